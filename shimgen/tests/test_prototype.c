/* Parsing --prototype into the pieces a stub needs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "exit_codes.h"
#include "prototype.h"

static prototype parse_ok(const char *text)
{
    prototype parsed;
    error_message error = { "" };

    if (prototype_parse(text, &parsed, &error) != 0)
        fail_msg("\"%s\" was refused: %s", text, error.text);
    return parsed;
}

static void expect_refused(const char *text, const char *reason)
{
    prototype parsed;
    error_message error = { "" };

    assert_int_equal(prototype_parse(text, &parsed, &error), SHIMGEN_EXIT_BAD_REQUEST);
    if (strstr(error.text, reason) == NULL)
        fail_msg("error \"%s\" does not mention \"%s\"", error.text, reason);
}

static void splits_a_simple_prototype(void **state)
{
    prototype parsed = parse_ok("int legacy_add(int a, int b)");

    (void)state;
    assert_string_equal(parsed.function_name, "legacy_add");
    assert_string_equal(parsed.return_type, "int");
    assert_false(parsed.returns_void);
    assert_int_equal(parsed.parameter_count, 2);
    assert_string_equal(parsed.parameter_list, "int a, int b");
    assert_string_equal(parsed.argument_list, "a, b");
}

static void keeps_pointers_and_qualifiers(void **state)
{
    prototype parsed = parse_ok("  const char *  WINAPI lookup ( const wchar_t *name , DWORD *size ) ;");

    (void)state;
    assert_string_equal(parsed.function_name, "lookup");
    assert_string_equal(parsed.return_type, "const char *  WINAPI");
    assert_string_equal(parsed.parameter_list, "const wchar_t *name, DWORD *size");
    assert_string_equal(parsed.argument_list, "name, size");
}

static void void_means_no_parameters(void **state)
{
    prototype parsed = parse_ok("void reset(void)");

    (void)state;
    assert_true(parsed.returns_void);
    assert_int_equal(parsed.parameter_count, 0);
    assert_string_equal(parsed.parameter_list, "void");
    assert_string_equal(parsed.argument_list, "");
    assert_int_equal(parse_ok("int count()").parameter_count, 0);
}

/* The name is the export as the DLL spells it: C++, decorated or #N. */
static void takes_the_export_as_the_dll_spells_it(void **state)
{
    (void)state;
    assert_string_equal(parse_ok("void ?foo@@YAXH@Z(int value)").function_name, "?foo@@YAXH@Z");
    assert_string_equal(parse_ok("int _foo@8(int a, int b)").function_name, "_foo@8");
    assert_string_equal(parse_ok("int @fast@8(int a, int b)").function_name, "@fast@8");
    assert_string_equal(parse_ok("long #3(void *context)").function_name, "#3");
    assert_string_equal(parse_ok("char *?get@@YAPEADXZ(void)").function_name, "?get@@YAPEADXZ");
    assert_string_equal(parse_ok("char *?get@@YAPEADXZ(void)").return_type, "char *");
    assert_string_equal(parse_ok("char*#4(void)").return_type, "char*");
}

static void refuses_what_a_stub_cannot_forward(void **state)
{
    (void)state;
    expect_refused("int printf_like(const char *format, ...)", "variadic");
    expect_refused("int unnamed(int)", "needs a type and a name");
    expect_refused("int callback(int (*function)(int))", "typedef");
    expect_refused("legacy_add(int a)", "return type");
    expect_refused("int legacy_add", "not of the form");
    expect_refused("int f(int a) extra", "after its ')'");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(splits_a_simple_prototype),
        cmocka_unit_test(keeps_pointers_and_qualifiers),
        cmocka_unit_test(void_means_no_parameters),
        cmocka_unit_test(takes_the_export_as_the_dll_spells_it),
        cmocka_unit_test(refuses_what_a_stub_cannot_forward),
    };

    return cmocka_run_group_tests_name("prototype", tests, NULL, NULL);
}
