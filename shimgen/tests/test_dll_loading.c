/* What the loaders will do with the front's name: API sets, KnownDLLs and
 * Wine builtins, as `wrap` warns, refuses and writes into the README. Wine's
 * builtins are faked in a temporary folder named by SHIMGEN_WINE_DLL_ROOT. */
#define _XOPEN_SOURCE 700

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "dll_loading.h"
#include "exit_codes.h"
#include "project_writer.h"
#include "test_capture.h"
#include "test_image.h"
#include "wrap_plan.h"

static uint8_t image_bytes[TEST_IMAGE_SIZE];
static pe_image image;
static pe_export_table table;
static char wine_root[64];
static char written[16384];

/* Writes ROOT/FOLDER/NAME: a DLL with Wine's marker after its DOS header, or without. */
static void put_dll(const char *folder, const char *name, bool builtin)
{
    char path[256];
    uint8_t bytes[128] = { 'M', 'Z' };
    FILE *file;

    snprintf(path, sizeof path, "%s/%s", wine_root, folder);
    mkdir(path, 0777);
    snprintf(path, sizeof path, "%s/%s/%s", wine_root, folder, name);
    if (builtin)
        memcpy(bytes + 0x40, "Wine builtin DLL", 16);
    file = fopen(path, "wb");
    assert_non_null(file);
    assert_int_equal(fwrite(bytes, 1, sizeof bytes, file), sizeof bytes);
    assert_int_equal(fclose(file), 0);
}

static int set_up(void **state)
{
    (void)state;
    strcpy(wine_root, "/tmp/shimgen-wine-XXXXXX");
    if (mkdtemp(wine_root) == NULL || setenv("SHIMGEN_WINE_DLL_ROOT", wine_root, 1) != 0)
        return -1;
    put_dll("x86_64-windows", "zlib1.dll", true);
    put_dll("x86_64-windows", "plain.dll", false);
    put_dll("i386-windows", "only32.dll", true);
    return test_image_read(image_bytes, &image, &table);
}

static int tear_down(void **state)
{
    char command[128];

    (void)state;
    pe_export_table_free(&table);
    snprintf(command, sizeof command, "rm -rf '%s'", wine_root);
    return system(command) == 0 ? 0 : -1;
}

static void api_set_names_are_recognised(void **state)
{
    dll_loading loading;

    (void)state;
    dll_loading_examine("api-ms-win-core-file-l1-1-0.dll", true, &loading);
    assert_true(loading.is_api_set);
    dll_loading_examine("EXT-MS-Win-ntuser-window-l1-1-0.dll", true, &loading);
    assert_true(loading.is_api_set);
    dll_loading_examine("api-ms.dll", true, &loading);
    assert_false(loading.is_api_set);
    dll_loading_examine("my-api-ms-win-core.dll", true, &loading);
    assert_false(loading.is_api_set);
}

static void known_dlls_need_the_dll_extension(void **state)
{
    dll_loading loading;

    (void)state;
    dll_loading_examine("KERNEL32.DLL", true, &loading);
    assert_true(loading.is_known_dll);
    dll_loading_examine("shlwapi.dll", true, &loading);
    assert_true(loading.is_known_dll);
    dll_loading_examine("kernel32.ocx", true, &loading);
    assert_false(loading.is_known_dll);
    dll_loading_examine("legacy.dll", true, &loading);
    assert_false(loading.is_known_dll);
}

/* A builtin is a file of that name in Wine's folder for the architecture
 * that carries Wine's marker; names match without case. */
static void wine_builtins_are_found_by_name_and_marker(void **state)
{
    dll_loading loading;
    char expected[256];

    (void)state;
    dll_loading_examine("ZLIB1.dll", true, &loading);
    assert_true(loading.wine_has_builtin);
    snprintf(expected, sizeof expected, "%s/x86_64-windows/zlib1.dll", wine_root);
    assert_string_equal(loading.wine_builtin_path, expected);
    dll_loading_examine("zlib1.dll", false, &loading); /* only a 64-bit builtin */
    assert_false(loading.wine_has_builtin);
    dll_loading_examine("only32.dll", false, &loading);
    assert_true(loading.wine_has_builtin);
    dll_loading_examine("plain.dll", true, &loading); /* no marker: not Wine's */
    assert_false(loading.wine_has_builtin);
    dll_loading_examine("absent.dll", true, &loading);
    assert_false(loading.wine_has_builtin);
}

/* Builds the plan for a front named `name`; the warnings go to `written`. */
static int plan_named(const char *name, bool force, wrap_plan *plan, error_message *error)
{
    wrap_request request = { .input_path = "dir/input.dll", .name = name, .force = force };
    FILE *warnings = tmpfile();
    int rc;

    assert_non_null(warnings);
    rc = wrap_plan_build(&request, &image, &table, plan, warnings, error);
    assert_true(test_capture_text(warnings, written, sizeof written));
    return rc;
}

static void write_readme(const wrap_plan *plan)
{
    test_capture_writer(project_write_readme, plan, written, sizeof written);
}

static void expect_text(const char *text)
{
    test_expect_text(written, text);
}

static void an_api_set_name_is_refused_unless_forced(void **state)
{
    wrap_plan plan;
    error_message error = { "" };

    (void)state;
    assert_int_equal(plan_named("api-ms-win-core-file-l1-1-0", false, &plan, &error), SHIMGEN_EXIT_API_SET);
    assert_non_null(strstr(error.text, "api-ms-win-core-file-l1-1-0.dll is an API-set name"));
    assert_non_null(strstr(error.text, "--force"));
    wrap_plan_free(&plan);
    assert_int_equal(plan_named("api-ms-win-core-file-l1-1-0", true, &plan, &error), 0);
    expect_text("shimgen: warning: api-ms-win-core-file-l1-1-0.dll is an API-set name");
    write_readme(&plan);
    expect_text("**Windows never loads this front by name.**");
    wrap_plan_free(&plan);
}

static void a_known_dll_is_warned_about(void **state)
{
    wrap_plan plan;
    error_message error = { "" };

    (void)state;
    assert_int_equal(plan_named("shlwapi", false, &plan, &error), 0);
    expect_text("shimgen: warning: shlwapi.dll is a KnownDLL");
    write_readme(&plan);
    expect_text("**Windows does not take this front from the program's folder.** `shlwapi.dll`");
    wrap_plan_free(&plan);
}

/* zlib1.dll: Wine has a builtin of that name, and the input is not it. */
static void a_wine_builtin_of_the_same_name_needs_the_override(void **state)
{
    wrap_plan plan;
    error_message error = { "" };

    (void)state;
    assert_int_equal(plan_named("zlib1", false, &plan, &error), 0);
    expect_text("shimgen: warning: Wine has a builtin zlib1.dll (");
    expect_text("WINEDLLOVERRIDES=\"zlib1=n,b\"");
    write_readme(&plan);
    expect_text("Windows takes `zlib1.dll` from the program's folder");
    expect_text(
        "**Under Wine, an override is needed.** Wine has a builtin of this name (the original is not it).");
    expect_text("WINEDLLOVERRIDES=\"zlib1=n,b\" wine program.exe");
    wrap_plan_free(&plan);
}

static void a_plain_name_loads_from_the_folder_everywhere(void **state)
{
    wrap_plan plan;
    error_message error = { "" };

    (void)state;
    assert_int_equal(plan_named("plain", false, &plan, &error), 0);
    assert_string_equal(written, "");
    write_readme(&plan);
    expect_text("Windows takes `plain.dll` from the program's folder (it is neither a KnownDLL\nnor an "
                "API-set name)");
    expect_text("Under Wine: no Wine builtin named `plain.dll` was found in");
    wrap_plan_free(&plan);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(api_set_names_are_recognised),
        cmocka_unit_test(known_dlls_need_the_dll_extension),
        cmocka_unit_test(wine_builtins_are_found_by_name_and_marker),
        cmocka_unit_test(an_api_set_name_is_refused_unless_forced),
        cmocka_unit_test(a_known_dll_is_warned_about),
        cmocka_unit_test(a_wine_builtin_of_the_same_name_needs_the_override),
        cmocka_unit_test(a_plain_name_loads_from_the_folder_everywhere),
    };

    return cmocka_run_group_tests_name("dll_loading", tests, set_up, tear_down);
}
