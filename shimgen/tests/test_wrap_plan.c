/* What `shimgen wrap` accepts and refuses before it writes anything. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "exit_codes.h"
#include "known_dlls.h"
#include "test_image.h"
#include "wrap_plan.h"

static uint8_t image_bytes[TEST_IMAGE_SIZE];
static pe_image image;
static pe_export_table table;

static int read_test_image(void **state)
{
    (void)state;
    return test_image_read(image_bytes, &image, &table);
}

static int free_test_image(void **state)
{
    (void)state;
    pe_export_table_free(&table);
    return 0;
}

/* Builds a plan for `intercepts` and `prototypes` (either may be NULL). */
static int plan_for(const char *intercepts, const char *prototypes, wrap_plan *plan, error_message *error)
{
    const char *lists[1] = { intercepts };
    const char *declarations[1] = { prototypes };
    wrap_request request = {
        .input_path = "dir/Test-Lib.dll",
        .output_directory = "unused",
        .intercept_lists = lists,
        .intercept_list_count = intercepts != NULL,
        .prototypes = declarations,
        .prototype_count = prototypes != NULL,
        .twinshim_source_dir = "/twinshim",
    };

    return wrap_plan_build(&request, &image, &table, plan, NULL, error);
}

static void names_come_from_the_file_name(void **state)
{
    wrap_plan plan;
    error_message error = { "" };

    (void)state;
    assert_int_equal(plan_for(NULL, NULL, &plan, &error), 0);
    assert_string_equal(plan.names.front_file, "Test-Lib.dll");
    assert_string_equal(plan.names.original_file, "Test-Lib_orig.dll");
    assert_string_equal(plan.names.worker_file, "Test-Lib_worker.dll");
    assert_string_equal(plan.names.identifier, "Test_Lib");
    /* The generated files are named after the identifier. */
    assert_string_equal(plan.def_file, "Test_Lib.def");
    assert_string_equal(plan.front_source_file, "Test_Lib_front.c");
    assert_string_equal(plan.worker_source_file, "Test_Lib_worker.c");
    assert_int_equal(plan.intercept_count, 0);
    wrap_plan_free(&plan);
}

static void intercepts_by_name_and_by_ordinal(void **state)
{
    wrap_plan plan;
    error_message error = { "" };

    (void)state;
    assert_int_equal(plan_for("alpha,#14", "long ordinal_14(void *context)", &plan, &error), 0);
    assert_int_equal(plan.intercept_count, 2);
    assert_string_equal(plan.intercepts[0].c_name, "alpha");
    assert_false(plan.intercepts[0].has_prototype);
    assert_string_equal(plan.intercepts[1].c_name, "ordinal_14");
    assert_string_equal(plan.intercepts[1].display_name, "#14");
    assert_true(plan.intercepts[1].has_prototype);
    assert_string_equal(plan.intercepts[1].signature.argument_list, "context");
    assert_ptr_equal(wrap_plan_intercept_of(&plan, plan.intercepts[1].target), &plan.intercepts[1]);
    wrap_plan_free(&plan);
}

static void refuses(const char *intercepts, const char *prototypes, const char *reason)
{
    wrap_plan plan;
    error_message error = { "" };

    assert_int_equal(plan_for(intercepts, prototypes, &plan, &error), SHIMGEN_EXIT_BAD_REQUEST);
    if (strstr(error.text, reason) == NULL)
        fail_msg("error \"%s\" does not mention \"%s\"", error.text, reason);
    wrap_plan_free(&plan);
}

static void refuses_what_it_cannot_intercept(void **state)
{
    (void)state;
    refuses("nonexistent", NULL, "no such export");
    refuses("#13", NULL, "no such export"); /* an empty slot */
    refuses("beta_data", NULL, "data export");
    refuses("alpha,alpha", NULL, "twice");
    refuses("alpha,", NULL, "export names");
    refuses("alpha", "int gamma(void)", "no intercepted export");
}

/* ld's .def lexer has no escape for a double quote or a control character:
 * the plan refuses such a name before any file is written. */
static void refuses_names_a_def_file_cannot_hold(void **state)
{
    static const char *const names[] = { "bad\"name", "bad\nname", "bad\x7fname" };

    (void)state;
    for (size_t index = 0; index < sizeof names / sizeof names[0]; index++) {
        pe_export odd[] = { { .ordinal = 1, .name = names[index], .rva = 0x210 } };
        const pe_export_table odd_table = { .count = 1, .entries = odd };
        wrap_request request = { .input_path = "odd.dll", .twinshim_source_dir = "/twinshim" };
        wrap_plan plan;
        error_message error = { "" };

        assert_int_equal(wrap_plan_build(&request, &image, &odd_table, &plan, NULL, &error),
                         SHIMGEN_EXIT_BAD_REQUEST);
        assert_non_null(strstr(error.text, "ordinal 1"));
        wrap_plan_free(&plan);
    }
}

/* Only a DLL has the DllMain the front runtime needs: an EXE is refused. */
static void refuses_an_image_that_is_not_a_dll(void **state)
{
    uint8_t exe_bytes[TEST_IMAGE_SIZE];
    pe_image exe;
    wrap_request request = { .input_path = "tool.exe", .twinshim_source_dir = "/twinshim" };
    wrap_plan plan;
    error_message error = { "" };

    (void)state;
    test_image_build(exe_bytes, true);
    test_put16(exe_bytes, TEST_FILE_HEADER + 18, 0x0002); /* executable image, no IMAGE_FILE_DLL */
    assert_int_equal(pe_image_open(&exe, exe_bytes, sizeof exe_bytes, &error), 0);
    assert_int_equal(wrap_plan_build(&request, &exe, &table, &plan, NULL, &error), SHIMGEN_EXIT_NOT_A_DLL);
    assert_non_null(strstr(error.text, "not a DLL"));
    wrap_plan_free(&plan);
}

/* --prototype names an export as the DLL spells it: a C++ name, a decorated
 * one, #N, or the stub's C name. */
static void prototypes_name_exports_as_the_dll_spells_them(void **state)
{
    pe_export spelled[] = {
        { .ordinal = 1, .name = "?foo@@YAXH@Z", .rva = 0x210 },
        { .ordinal = 2, .name = "_bar@8", .rva = 0x210 },
        { .ordinal = 3, .name = NULL, .rva = 0x210 },
        { .ordinal = 4, .name = "?baz@@YAHXZ", .rva = 0x210 },
    };
    const pe_export_table spelled_table = { .count = 4, .entries = spelled };
    const char *lists[1] = { "?foo@@YAXH@Z,_bar@8,#3,?baz@@YAHXZ" };
    const char *declarations[] = {
        "void ?foo@@YAXH@Z(int value)", "int _bar@8(int a, int b)", "char *#3(void)",
        "int _baz__YAHXZ_4(void)", /* the stub's C name still works */
    };
    wrap_request request = {
        .input_path = "spelled.dll",
        .intercept_lists = lists,
        .intercept_list_count = 1,
        .prototypes = declarations,
        .prototype_count = 4,
        .twinshim_source_dir = "/twinshim",
    };
    wrap_plan plan;
    error_message error = { "" };

    (void)state;
    if (wrap_plan_build(&request, &image, &spelled_table, &plan, NULL, &error) != 0)
        fail_msg("refused: %s", error.text);
    assert_int_equal(plan.intercept_count, 4);
    for (size_t index = 0; index < plan.intercept_count; index++)
        assert_true(plan.intercepts[index].has_prototype);
    assert_string_equal(plan.intercepts[0].signature.parameter_list, "int value");
    assert_string_equal(plan.intercepts[1].signature.argument_list, "a, b");
    assert_string_equal(plan.intercepts[2].signature.return_type, "char *");
    assert_string_equal(plan.intercepts[2].c_name, "ordinal_3");
    assert_string_equal(plan.intercepts[3].c_name, "_baz__YAHXZ_4");
    wrap_plan_free(&plan);
}

static void knows_some_known_dlls(void **state)
{
    (void)state;
    assert_true(is_known_dll("KERNEL32"));
    assert_true(is_known_dll("shlwapi"));
    assert_false(is_known_dll("legacy"));
    assert_false(is_known_dll("kernel"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(names_come_from_the_file_name),
        cmocka_unit_test(intercepts_by_name_and_by_ordinal),
        cmocka_unit_test(refuses_what_it_cannot_intercept),
        cmocka_unit_test(refuses_names_a_def_file_cannot_hold),
        cmocka_unit_test(refuses_an_image_that_is_not_a_dll),
        cmocka_unit_test(prototypes_name_exports_as_the_dll_spells_them),
        cmocka_unit_test(knows_some_known_dlls),
    };

    return cmocka_run_group_tests_name("wrap_plan", tests, read_test_image, free_test_image);
}
