/* The names derived from a DLL's file name: file names keep the original's
 * spelling and extension, C, CMake and environment names get their own. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "exit_codes.h"
#include "names.h"

typedef struct expected_names {
    const char *file_name;
    const char *front_stem;
    const char *front_suffix;
    const char *original_file;
    const char *worker_file;
    const char *identifier;
    const char *log_variable;
    const char *wine_override;
} expected_names;

static const expected_names cases[] = {
    { "legacy.dll", "legacy", ".dll", "legacy_orig.dll", "legacy_worker.dll", "legacy", "LEGACY_SHIM_LOG",
      "legacy" },
    { "libfoo-20.dll", "libfoo-20", ".dll", "libfoo-20_orig.dll", "libfoo-20_worker.dll", "libfoo_20",
      "LIBFOO_20_SHIM_LOG", "libfoo-20" },
    { "7z.dll", "7z", ".dll", "7z_orig.dll", "7z_worker.dll", "dll_7z", "DLL_7Z_SHIM_LOG", "7z" },
    { "libstdc++-6.dll", "libstdc++-6", ".dll", "libstdc++-6_orig.dll", "libstdc++-6_worker.dll",
      "libstdc___6", "LIBSTDC___6_SHIM_LOG", "libstdc++-6" },
    /* A dot in the stem: the front keeps it, the original and worker lose it
     * (a forwarder's module part holds no dot). */
    { "my-lib.v2.dll", "my-lib.v2", ".dll", "my-lib_v2_orig.dll", "my-lib_v2_worker.dll", "my_lib_v2",
      "MY_LIB_V2_SHIM_LOG", "my-lib.v2" },
    { "MixedCase.DLL", "MixedCase", ".DLL", "MixedCase_orig.dll", "MixedCase_worker.dll", "MixedCase",
      "MIXEDCASE_SHIM_LOG", "MixedCase" },
    /* Another extension: the front keeps it; the original is a .dll, the only
     * extension a forwarder reaches. */
    { "Player.ocx", "Player", ".ocx", "Player_orig.dll", "Player_worker.dll", "Player", "PLAYER_SHIM_LOG",
      "Player.ocx" },
    { "wdmaud.drv", "wdmaud", ".drv", "wdmaud_orig.dll", "wdmaud_worker.dll", "wdmaud", "WDMAUD_SHIM_LOG",
      "wdmaud.drv" },
    /* No extension: LoadLibrary looks for NAME.dll. */
    { "plain", "plain", ".dll", "plain_orig.dll", "plain_worker.dll", "plain", "PLAIN_SHIM_LOG", "plain" },
};

static void derives_each_kind_of_name(void **state)
{
    (void)state;
    for (size_t index = 0; index < sizeof cases / sizeof cases[0]; index++) {
        const expected_names *expected = &cases[index];
        dll_names names;
        error_message error = { "" };
        char front_file[256];

        if (names_derive(expected->file_name, NULL, &names, &error) != 0)
            fail_msg("%s was refused: %s", expected->file_name, error.text);
        snprintf(front_file, sizeof front_file, "%s%s", expected->front_stem, expected->front_suffix);
        assert_string_equal(names.front_file, front_file);
        assert_string_equal(names.front_stem, expected->front_stem);
        assert_string_equal(names.front_suffix, expected->front_suffix);
        assert_string_equal(names.original_file, expected->original_file);
        assert_string_equal(names.worker_file, expected->worker_file);
        assert_string_equal(names.identifier, expected->identifier);
        assert_string_equal(names.log_variable, expected->log_variable);
        assert_string_equal(names.wine_override, expected->wine_override);
    }
}

static void file_names_are_their_stems_plus_dll(void **state)
{
    dll_names names;
    error_message error = { "" };
    char joined[256];

    (void)state;
    assert_int_equal(names_derive("my-lib.v2.dll", NULL, &names, &error), 0);
    snprintf(joined, sizeof joined, "%s.dll", names.original_stem);
    assert_string_equal(names.original_file, joined);
    snprintf(joined, sizeof joined, "%s.dll", names.worker_stem);
    assert_string_equal(names.worker_file, joined);
    assert_null(strchr(names.original_stem, '.'));
}

static void name_replaces_the_stem_and_keeps_the_extension(void **state)
{
    dll_names names;
    error_message error = { "" };

    (void)state;
    assert_int_equal(names_derive("Player.ocx", "Renamed-2", &names, &error), 0);
    assert_string_equal(names.front_file, "Renamed-2.ocx");
    assert_string_equal(names.worker_file, "Renamed-2_worker.dll");
    assert_string_equal(names.identifier, "Renamed_2");
}

static void dll_suffix_is_recognised_in_any_case(void **state)
{
    dll_names names;
    error_message error = { "" };

    (void)state;
    assert_int_equal(names_derive("KERNEL32.DLL", NULL, &names, &error), 0);
    assert_true(names.has_dll_suffix);
    assert_int_equal(names_derive("Player.ocx", NULL, &names, &error), 0);
    assert_false(names.has_dll_suffix);
}

static void refused(const char *file_name, const char *stem, const char *reason)
{
    dll_names names;
    error_message error = { "" };

    assert_int_equal(names_derive(file_name, stem, &names, &error), SHIMGEN_EXIT_BAD_REQUEST);
    if (strstr(error.text, reason) == NULL)
        fail_msg("error \"%s\" does not mention \"%s\"", error.text, reason);
}

static void refuses_what_a_file_name_cannot_carry(void **state)
{
    (void)state;
    refused("a\"b.dll", NULL, "may hold only");
    refused("semi;colon.dll", NULL, "may hold only");
    refused("dollar$.dll", NULL, "may hold only");
    refused("space name.dll", NULL, "may hold only");
    refused("legacy.dll", "", "1 to");
    refused("legacy.dll", "bad/name", "may hold only");
    refused("legacy.d;l", NULL, "extension");
    refused("legacy.averyveryverylongextension", NULL, "extension");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(derives_each_kind_of_name),
        cmocka_unit_test(file_names_are_their_stems_plus_dll),
        cmocka_unit_test(name_replaces_the_stem_and_keeps_the_extension),
        cmocka_unit_test(dll_suffix_is_recognised_in_any_case),
        cmocka_unit_test(refuses_what_a_file_name_cannot_carry),
    };

    return cmocka_run_group_tests_name("names", tests, NULL, NULL);
}
