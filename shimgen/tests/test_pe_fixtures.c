/* The reader on DLLs the mingw-w64 compilers built (tests/fixtures): PE32+
 * from x86_64, PE32 from i686, with named, ordinal-only, data (initialised
 * and .bss) and forwarded exports. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "exit_codes.h"
#include "file_bytes.h"
#include "pe_exports.h"

typedef struct fixture {
    file_bytes file;
    pe_image image;
    pe_export_table table;
} fixture;

static int open_fixture(void **state, const char *path)
{
    static fixture loaded;
    error_message error = { "" };
    int rc;

    memset(&loaded, 0, sizeof loaded);
    rc = file_bytes_read(path, &loaded.file, &error);
    if (rc == 0)
        rc = pe_image_open(&loaded.image, loaded.file.data, loaded.file.size, &error);
    if (rc == 0)
        rc = pe_read_exports(&loaded.image, &loaded.table, &error);
    if (rc != 0) {
        print_error("%s: %s\n", path, error.text);
        return -1;
    }
    *state = &loaded;
    return 0;
}

static int open_x64(void **state)
{
    return open_fixture(state, SHIMGEN_FIXTURE_X64);
}

static int open_x86(void **state)
{
    return open_fixture(state, SHIMGEN_FIXTURE_X86);
}

static int close_fixture(void **state)
{
    fixture *loaded = *state;

    pe_export_table_free(&loaded->table);
    file_bytes_free(&loaded->file);
    return 0;
}

static const pe_export *named(const fixture *loaded, const char *name)
{
    const pe_export *entry = pe_find_export_by_name(&loaded->table, name);

    if (entry == NULL)
        fail_msg("no export named %s", name);
    return entry;
}

static void lists_every_export_of_the_def_file(void **state)
{
    const fixture *loaded = *state;
    const pe_export *secret;

    assert_int_equal(loaded->table.ordinal_base, 5);
    assert_string_equal(loaded->table.dll_name, "fixture.dll");
    /* Ordinals 5, 6, 8, 9, 10, 11: 7 is a gap. */
    assert_int_equal(loaded->table.count, 6);
    assert_null(pe_find_export_by_ordinal(&loaded->table, 7));

    assert_int_equal(named(loaded, "fixture_add")->ordinal, 5);
    assert_false(named(loaded, "fixture_add")->is_data);
    assert_null(named(loaded, "fixture_add")->forwarder);

    secret = pe_find_export_by_ordinal(&loaded->table, 8);
    assert_non_null(secret);
    assert_null(secret->name);
    assert_false(secret->is_data);
}

static void tells_data_from_code(void **state)
{
    const fixture *loaded = *state;

    assert_true(named(loaded, "fixture_counter")->is_data);
    assert_int_equal(named(loaded, "fixture_counter")->ordinal, 6);
    /* In .bss: no bytes in the file, still data. */
    assert_true(named(loaded, "fixture_zeroed")->is_data);
}

static void keeps_forwarders(void **state)
{
    const fixture *loaded = *state;

    assert_string_equal(named(loaded, "fixture_sleep")->forwarder, "KERNEL32.Sleep");
    assert_int_equal(named(loaded, "fixture_sleep")->ordinal, 10);
    assert_string_equal(named(loaded, "fixture_by_ordinal")->forwarder, "KERNEL32.#1");
}

static void x64_fixture_is_pe32_plus(void **state)
{
    const fixture *loaded = *state;

    assert_true(loaded->image.is_pe32_plus);
    assert_int_equal(loaded->image.machine, PE_MACHINE_AMD64);
    assert_true(loaded->image.file_characteristics & PE_FILE_IS_DLL);
}

static void x86_fixture_is_pe32(void **state)
{
    const fixture *loaded = *state;

    assert_false(loaded->image.is_pe32_plus);
    assert_int_equal(loaded->image.machine, PE_MACHINE_I386);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(lists_every_export_of_the_def_file, open_x64, close_fixture),
        cmocka_unit_test_setup_teardown(tells_data_from_code, open_x64, close_fixture),
        cmocka_unit_test_setup_teardown(keeps_forwarders, open_x64, close_fixture),
        cmocka_unit_test_setup_teardown(x64_fixture_is_pe32_plus, open_x64, close_fixture),
        cmocka_unit_test_setup_teardown(lists_every_export_of_the_def_file, open_x86, close_fixture),
        cmocka_unit_test_setup_teardown(tells_data_from_code, open_x86, close_fixture),
        cmocka_unit_test_setup_teardown(keeps_forwarders, open_x86, close_fixture),
        cmocka_unit_test_setup_teardown(x86_fixture_is_pe32, open_x86, close_fixture),
    };

    return cmocka_run_group_tests_name("pe_fixtures", tests, NULL, NULL);
}
