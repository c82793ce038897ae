/* In-process COM servers: a DLL that exports DllGetClassObject or
 * DllRegisterServer. COM loads the file the registration names, and the
 * original's DllRegisterServer, reached through the front, registers the
 * original: `wrap` warns and writes a README section, `check` prints a note
 * that changes no exit code. The servers are the test image with its first
 * export renamed; check reads a folder of such images in a temporary folder. */
#define _XOPEN_SOURCE 700

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "check_command.h"
#include "com_server.h"
#include "exit_codes.h"
#include "project_writer.h"
#include "test_capture.h"
#include "test_image.h"
#include "wrap_plan.h"

/* Free room in the test image's .rdata, after the export directory, for
 * names longer than the ones it has. */
enum {
    TEST_FIRST_LONG_NAME = 0x500,
    TEST_SECOND_LONG_NAME = 0x540,
    /* In .text, clear of the two code RVAs, for the front's tag. */
    TEST_TAG = 0x240
};

static char folder[64];
static char written[16384];

/* The test image (PE32+) with its first name (alpha, ordinal 10) replaced by
 * `first_name`, and its second (beta_data) by `second_name` when not NULL. */
static void build_image(uint8_t *bytes, const char *first_name, const char *second_name)
{
    test_image_build(bytes, true);
    if (first_name != NULL) {
        memcpy(bytes + TEST_FIRST_LONG_NAME, first_name, strlen(first_name) + 1);
        test_put32(bytes, TEST_NAMES + 0, TEST_FIRST_LONG_NAME);
    }
    if (second_name != NULL) {
        memcpy(bytes + TEST_SECOND_LONG_NAME, second_name, strlen(second_name) + 1);
        test_put32(bytes, TEST_NAMES + 4, TEST_SECOND_LONG_NAME);
    }
}

/* Reads `bytes` as a DLL and its export table. */
static void open_image(const uint8_t *bytes, pe_image *image, pe_export_table *table)
{
    error_message error = { "" };

    assert_int_equal(pe_image_open(image, bytes, TEST_IMAGE_SIZE, &error), 0);
    assert_int_equal(pe_read_exports(image, table, &error), 0);
}

static com_server_exports examine(const char *first_name, const char *second_name)
{
    uint8_t bytes[TEST_IMAGE_SIZE];
    pe_image image;
    pe_export_table table;
    com_server_exports server;

    build_image(bytes, first_name, second_name);
    open_image(bytes, &image, &table);
    server = com_server_examine(&table);
    pe_export_table_free(&table);
    return server;
}

static void the_two_entry_points_make_a_com_server(void **state)
{
    com_server_exports server;

    (void)state;
    server = examine(NULL, NULL);
    assert_false(com_server_is_one(server));
    assert_string_equal(com_server_export_list(server), "");
    server = examine("DllGetClassObject", NULL);
    assert_true(server.gets_class_objects);
    assert_false(server.registers_itself);
    assert_true(com_server_is_one(server));
    assert_string_equal(com_server_export_list(server), "DllGetClassObject");
    server = examine("DllRegisterServer", NULL);
    assert_true(com_server_is_one(server));
    assert_string_equal(com_server_export_list(server), "DllRegisterServer");
    server = examine("DllGetClassObject", "DllRegisterServer");
    assert_true(server.gets_class_objects && server.registers_itself);
    assert_string_equal(com_server_export_list(server), "DllGetClassObject, DllRegisterServer");
    /* Names are matched exactly, as GetProcAddress does. */
    server = examine("dllgetclassobject", "DllRegisterServerEx");
    assert_false(com_server_is_one(server));
}

/* Wraps the test image with the given first two names as calc.dll; the
 * warnings go to `written`. */
static void plan_for(const char *first_name, const char *second_name, uint8_t *bytes, pe_image *image,
                     pe_export_table *table, wrap_plan *plan)
{
    wrap_request request = { .input_path = "dir/calc.dll", .twinshim_source_dir = "/twinshim" };
    error_message error = { "" };
    FILE *warnings = tmpfile();

    assert_non_null(warnings);
    build_image(bytes, first_name, second_name);
    open_image(bytes, image, table);
    assert_int_equal(wrap_plan_build(&request, image, table, plan, warnings, &error), 0);
    assert_true(test_capture_text(warnings, written, sizeof written));
}

static void expect_text(const char *text)
{
    test_expect_text(written, text);
}

static void expect_no_text(const char *text)
{
    if (strstr(written, text) != NULL)
        fail_msg("\"%s\" should not be in:\n%s", text, written);
}

static void a_self_registering_server_is_warned_about(void **state)
{
    uint8_t bytes[TEST_IMAGE_SIZE];
    pe_image image;
    pe_export_table table;
    wrap_plan plan;

    (void)state;
    plan_for("DllGetClassObject", "DllRegisterServer", bytes, &image, &table, &plan);
    expect_text("shimgen: warning: dir/calc.dll is an in-process COM server (DllGetClassObject, "
                "DllRegisterServer): COM loads the file its registration names, which must be the front "
                "calc.dll; regsvr32 on the front runs the original's DllRegisterServer, which registers "
                "calc_orig.dll when it takes its path from GetModuleFileName of its own module");
    test_capture_writer(project_write_readme, &plan, written, sizeof written);
    expect_text("### COM registration\n\nThe original is an in-process COM server (it exports "
                "DllGetClassObject, DllRegisterServer).");
    expect_text("the front, `calc.dll`, in its install folder");
    expect_text("`regsvr32 calc.dll` on the front runs the original's `DllRegisterServer`,\n"
                "which registers `calc_orig.dll`");
    expect_text("- register the original under the front's name, `calc.dll`, in the install\n"
                "  folder (`regsvr32 calc.dll`), before the steps above put the front there");
    expect_text("every `TypeLib\\{LIBID}\\<version>\\0\\win32` or `win64` value that names\n"
                "  `calc_orig.dll` back at the front's path.");
    expect_text("Under Wine 8, COM reads classes only from `HKEY_LOCAL_MACHINE\\Software\\Classes`");
    /* The section sits among the install notes, before the intercepts. */
    assert_true(strstr(written, "### COM registration") < strstr(written, "## Intercepted exports"));
    assert_true(strstr(written, "### Where the loaders take it from") <
                strstr(written, "### COM registration"));
    wrap_plan_free(&plan);
    pe_export_table_free(&table);
}

/* Without DllRegisterServer, regsvr32 cannot run it: the README says who
 * must write the registration instead. */
static void a_server_without_self_registration_names_no_regsvr32(void **state)
{
    uint8_t bytes[TEST_IMAGE_SIZE];
    pe_image image;
    pe_export_table table;
    wrap_plan plan;

    (void)state;
    plan_for("DllGetClassObject", NULL, bytes, &image, &table, &plan);
    expect_text("shimgen: warning: dir/calc.dll is an in-process COM server (DllGetClassObject): COM loads "
                "the file its registration names, which must be the front calc.dll, not calc_orig.dll");
    expect_no_text("regsvr32");
    test_capture_writer(project_write_readme, &plan, written, sizeof written);
    expect_text("### COM registration");
    expect_text("It has no `DllRegisterServer`: whatever registers it must write the\n"
                "front's path into `InprocServer32`");
    expect_text("Under Wine 8, COM reads classes only from");
    expect_no_text("regsvr32");
    wrap_plan_free(&plan);
    pe_export_table_free(&table);
}

static void a_dll_that_is_no_server_gets_neither(void **state)
{
    uint8_t bytes[TEST_IMAGE_SIZE];
    pe_image image;
    pe_export_table table;
    wrap_plan plan;

    (void)state;
    plan_for(NULL, NULL, bytes, &image, &table, &plan);
    expect_no_text("COM");
    test_capture_writer(project_write_readme, &plan, written, sizeof written);
    expect_no_text("COM");
    expect_no_text("regsvr32");
    wrap_plan_free(&plan);
    pe_export_table_free(&table);
}

static void write_file(const char *name, const uint8_t *bytes, size_t size)
{
    char path[128];
    FILE *file;

    snprintf(path, sizeof path, "%s/%s", folder, name);
    file = fopen(path, "wb");
    assert_non_null(file);
    assert_int_equal(fwrite(bytes, 1, size, file), size);
    assert_int_equal(fclose(file), 0);
}

/* A deployed folder check finds nothing wrong with: a front and an original
 * with the same exports (first name `first_name`), and a worker that exports
 * shim_worker_connect. The front carries the tag, in UTF-16, in .text. */
static void deploy(const char *first_name)
{
    static const char tag[] = "twinshim:worker=calc_worker.dll;original=calc_orig.dll";
    uint8_t bytes[TEST_IMAGE_SIZE];

    build_image(bytes, first_name, NULL);
    write_file("calc_orig.dll", bytes, sizeof bytes);
    for (size_t index = 0; index < sizeof tag; index++)
        test_put16(bytes, TEST_TAG + 2 * index, (uint8_t)tag[index]);
    write_file("calc.dll", bytes, sizeof bytes);
    build_image(bytes, "shim_worker_connect", NULL);
    write_file("calc_worker.dll", bytes, sizeof bytes);
}

static int run_check(void)
{
    char error[256] = "";
    FILE *out = tmpfile();
    int rc;

    assert_non_null(out);
    rc = check_run(folder, NULL, out, error, sizeof error);
    assert_true(test_capture_text(out, written, sizeof written));
    assert_string_equal(error, "");
    return rc;
}

/* check reads no registry: the note is printed, and the folder still has
 * no finding (exit 0), as the same folder without a COM server. */
static void check_reminds_without_a_finding(void **state)
{
    (void)state;
    deploy("DllGetClassObject");
    assert_int_equal(run_check(), SHIMGEN_EXIT_OK);
    expect_text(
        "shimgen: check: calc.dll: an in-process COM server (DllGetClassObject): its registration "
        "(InprocServer32, the type library's win32/win64 path) must name the front, not calc_orig.dll "
        "(the registry is not checked)\n");
    expect_text(": no findings (1 front)\n");

    deploy(NULL);
    assert_int_equal(run_check(), SHIMGEN_EXIT_OK);
    expect_no_text("COM");
    expect_text(": no findings (1 front)\n");
}

static int set_up(void **state)
{
    (void)state;
    strcpy(folder, "/tmp/shimgen-com-XXXXXX");
    /* No Wine builtin of the front's name, whatever Wine is installed. */
    return mkdtemp(folder) != NULL && setenv("SHIMGEN_WINE_DLL_ROOT", folder, 1) == 0 ? 0 : -1;
}

static int tear_down(void **state)
{
    char command[128];

    (void)state;
    snprintf(command, sizeof command, "rm -rf '%s'", folder);
    return system(command) == 0 ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_two_entry_points_make_a_com_server),
        cmocka_unit_test(a_self_registering_server_is_warned_about),
        cmocka_unit_test(a_server_without_self_registration_names_no_regsvr32),
        cmocka_unit_test(a_dll_that_is_no_server_gets_neither),
        cmocka_unit_test(check_reminds_without_a_finding),
    };

    return cmocka_run_group_tests_name("com_server", tests, set_up, tear_down);
}
