/* The .def file: forwards by name and by ordinal, keeps DATA, NONAME and
 * existing forwarders, points intercepted exports at their stubs, and quotes
 * what ld's lexer would misread. Names it cannot hold never reach it: the
 * plan refuses them (test_wrap_plan.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "def_writer.h"
#include "test_capture.h"

static pe_export entries[] = {
    { .ordinal = 1, .name = "legacy_add", .rva = 0x1000 },
    { .ordinal = 2, .name = "legacy_version", .rva = 0x1010 },
    { .ordinal = 3, .name = NULL, .rva = 0x1020 },
    { .ordinal = 4, .name = "legacy_counter", .rva = 0x3000, .is_data = true },
    { .ordinal = 5, .name = "AcquireLock", .rva = 0x2000, .forwarder = "NTDLL.RtlAcquireLock" },
    { .ordinal = 6, .name = NULL, .rva = 0x2010, .forwarder = "NTDLL.#12" },
    { .ordinal = 7, .name = "??2@YAPEAX_K@Z", .rva = 0x1030 },
    { .ordinal = 8, .name = "DATA", .rva = 0x1040 },
    { .ordinal = 8, .name = "data_alias", .rva = 0x1040 },
    { .ordinal = 9, .name = NULL, .rva = 0x3010, .is_data = true },
    { .ordinal = 10, .name = "??_7x@@6B@", .rva = 0x3020, .is_data = true },
};

static const pe_export_table table = {
    .dll_name = "legacy.dll",
    .ordinal_base = 1,
    .count = sizeof entries / sizeof entries[0],
    .entries = entries,
};

static char written[4096];

static void write_def(const wrap_plan *plan)
{
    test_capture_writer(def_write, plan, written, sizeof written);
}

static void make_plan(wrap_plan *plan, intercept *intercepts, size_t intercept_count)
{
    memset(plan, 0, sizeof *plan);
    plan->input_path = "legacy.dll";
    plan->table = &table;
    strcpy(plan->names.front_file, "legacy.dll");
    strcpy(plan->names.original_stem, "legacy_orig");
    strcpy(plan->front_source_file, "legacy_front.c");
    plan->intercepts = intercepts;
    plan->intercept_count = intercept_count;
}

static void expect_line(const char *line)
{
    char framed[512];

    snprintf(framed, sizeof framed, "\n    %s\n", line);
    if (strstr(written, framed) == NULL)
        fail_msg("the .def lacks the line \"%s\":\n%s", line, written);
}

/* Code jumps through a stub to the copy the front loaded; data and the
 * original's own forwarders stay forwarders. */
static void each_kind_of_export_gets_its_line(void **state)
{
    wrap_plan plan;

    (void)state;
    make_plan(&plan, NULL, 0);
    write_def(&plan);
    assert_non_null(strstr(written, "\nLIBRARY legacy.dll\nEXPORTS\n"));
    expect_line("legacy_add = shimgen_jump_1 @1");
    expect_line("legacy_version = shimgen_jump_2 @2");
    expect_line("shimgen_ordinal_3 = shimgen_jump_3 @3 NONAME");
    expect_line("legacy_counter = legacy_orig.legacy_counter @4 DATA");
    expect_line("shimgen_ordinal_9 = \"legacy_orig.#9\" @9 NONAME DATA");
    expect_line("AcquireLock = NTDLL.RtlAcquireLock @5");
    expect_line("shimgen_ordinal_6 = \"NTDLL.#12\" @6 NONAME");
}

static void quotes_names_ld_would_misread(void **state)
{
    wrap_plan plan;

    (void)state;
    make_plan(&plan, NULL, 0);
    write_def(&plan);
    expect_line("\"??2@YAPEAX_K@Z\" = shimgen_jump_7 @7");
    expect_line("\"DATA\" = shimgen_jump_8 @8");
    expect_line("\"??_7x@@6B@\" = \"legacy_orig.??_7x@@6B@\" @10 DATA");
}

/* Both names of ordinal 8 share its one jump stub. */
static void an_alias_keeps_its_name_but_not_the_ordinal(void **state)
{
    wrap_plan plan;

    (void)state;
    make_plan(&plan, NULL, 0);
    write_def(&plan);
    expect_line("data_alias = shimgen_jump_8");
}

static void intercepted_exports_point_at_their_stubs(void **state)
{
    intercept stubs[2];
    wrap_plan plan;

    (void)state;
    memset(stubs, 0, sizeof stubs);
    stubs[0].target = &entries[0];
    strcpy(stubs[0].c_name, "legacy_add");
    stubs[1].target = &entries[2];
    strcpy(stubs[1].c_name, "ordinal_3");
    make_plan(&plan, stubs, 2);
    write_def(&plan);
    expect_line("legacy_add = wrapped_legacy_add @1");
    expect_line("shimgen_ordinal_3 = wrapped_ordinal_3 @3 NONAME");
    expect_line("legacy_version = shimgen_jump_2 @2");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(each_kind_of_export_gets_its_line),
        cmocka_unit_test(quotes_names_ld_would_misread),
        cmocka_unit_test(an_alias_keeps_its_name_but_not_the_ordinal),
        cmocka_unit_test(intercepted_exports_point_at_their_stubs),
    };

    return cmocka_run_group_tests_name("def_writer", tests, NULL, NULL);
}
