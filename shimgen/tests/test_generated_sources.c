/* The generated front, worker and CMake project: what they call, and that the
 * names in them agree with each other. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "def_writer.h"
#include "exit_codes.h"
#include "front_writer.h"
#include "project_writer.h"
#include "record_header_writer.h"
#include "resource_object.h"
#include "stub_writer.h"
#include "test_capture.h"
#include "test_image.h"
#include "worker_writer.h"
#include "wrap_plan.h"

static uint8_t image_bytes[TEST_IMAGE_SIZE];
static pe_image image;
static pe_export_table table;
static char written[131072];

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

static void build_plan(const char *input_path, const char *intercepts, wrap_plan *plan)
{
    const char *lists[1] = { intercepts };
    const char *declarations[1] = { "long ordinal_14(void *context)" };
    wrap_request request = {
        .input_path = input_path,
        .output_directory = "unused",
        .intercept_lists = lists,
        .intercept_list_count = intercepts != NULL,
        .prototypes = declarations,
        .prototype_count = intercepts != NULL && strstr(intercepts, "#14") != NULL,
        .twinshim_source_dir = "/twinshim",
    };
    error_message error = { "" };

    if (wrap_plan_build(&request, &image, &table, plan, NULL, &error) != 0)
        fail_msg("wrap_plan_build: %s", error.text);
}

static void write_with(void (*writer)(FILE *, const wrap_plan *), const wrap_plan *plan)
{
    test_capture_writer(writer, plan, written, sizeof written);
}

static void expect_text(const char *text)
{
    test_expect_text(written, text);
}

static void expect_no_text(const char *text)
{
    if (strstr(written, text) != NULL)
        fail_msg("the generated file holds \"%s\":\n%s", text, written);
}

static void the_front_binds_a_slot_per_intercepted_export(void **state)
{
    wrap_plan plan;

    (void)state;
    build_plan("dir/legacy.dll", "alpha,#14", &plan);
    write_with(front_write_source, &plan);
    /* Not static: the assembly stubs jump through them. */
    expect_text("\nFARPROC alpha_original_slot SHIMGEN_SLOT;\n");
    expect_text("\nFARPROC ordinal_14_original_slot SHIMGEN_SLOT;\n");
    expect_no_text("static FARPROC");
    expect_text("    { \"alpha\", &alpha_original_slot },\n");
    expect_text("    { MAKEINTRESOURCEA(14), &ordinal_14_original_slot },\n");
    expect_text("    .bindings = original_bindings,\n");
    expect_text("    .binding_count = sizeof original_bindings / sizeof original_bindings[0],\n");
    /* #14 has a prototype: a typed stub with a fixed link name. */
    expect_text(
        "long wrapped_ordinal_14(void *context) __asm__(SHIMGEN_LINK_NAME(\"wrapped_ordinal_14\"));\n");
    expect_text("    ordinal_14_function original = (ordinal_14_function)(void "
                "(*)(void))ordinal_14_original_slot;\n");
    expect_text("    result = original(context);\n");
    /* Timed around the call alone, the last error taken right after it. */
    expect_text("    call.start = shim_front_counter_now();\n"
                "    result = original(context);\n"
                "    end = shim_front_counter_now();\n"
                "    /* The host sees the original's last error, not the post's. */\n"
                "    last_error = shim_last_error();\n");
    expect_text("    SHIMGEN_RECORD(&call, 0, context);\n"
                "    enter_typed_call(&call, __builtin_return_address(0));\n");
    expect_text("    last_error = shim_last_error();\n"
                "    leave_typed_call(&call);\n");
    expect_text("    SHIMGEN_RECORD(&call, 1, result);\n");
    expect_text("    shim_set_last_error(last_error);\n    return result;\n}\n");
    /* alpha has none: observed, by its index in the table. */
    expect_no_text("alpha_function");
    expect_text("void legacy_observe_call(unsigned index, const observed_frame *frame)\n{\n");
    expect_text("    post_observed_record(&record, last_error);\n");
    /* No lookup and no system call per call: the record's time is the
     * front runtime's clock; and no session settings: those are the worker's. */
    expect_text("        .timestamp = shim_front_utc_now(),\n");
    /* One lookup, when the front loads (ntdll's exit flag, for the typed
     * calls the process exits in), never one per call. */
    {
        const char *lookup = strstr(written, "GetProcAddress");
        const char *constructor = strstr(written, "static void start_in_flight_chain(void)\n{\n");

        assert_non_null(lookup);
        assert_non_null(constructor);
        assert_true(lookup > constructor && lookup < strstr(constructor, "\n}\n"));
        assert_null(strstr(lookup + 1, "GetProcAddress"));
    }
    expect_no_text("GetSystemTime");
    expect_no_text("shim_front_get_original_symbol");
    expect_no_text("original_symbol");
    expect_no_text("stop_policy");
    expect_no_text("max_threads");
    wrap_plan_free(&plan);
}

/* Every code export the original defines gets a jump stub bound at attach;
 * the data export and the forwarder stay in the .def. */
static void a_front_without_intercepts_binds_every_code_export(void **state)
{
    wrap_plan plan;

    (void)state;
    build_plan("dir/legacy.dll", NULL, &plan);
    write_with(front_write_source, &plan);
    expect_text("    { \"alpha\", &shimgen_jump_10_slot },\n");
    expect_text("    { MAKEINTRESOURCEA(14), &shimgen_jump_14_slot },\n");
    expect_no_text("beta_data");
    expect_no_text("gamma");
    expect_no_text("_original_slot");
    expect_no_text("observe_call");
    write_with(stub_write_source, &plan);
    expect_text("    \"shimgen_jump_10:\\n\"\n    \"    jmp *shimgen_jump_10_slot(%rip)\\n\"\n");
    expect_text("    \"shimgen_jump_14:\\n\"\n    \"    jmp *shimgen_jump_14_slot(%rip)\\n\"\n");
    expect_no_text("shimgen_observe_common");
    wrap_plan_free(&plan);
}

/* x86-64: the observing stub saves the argument registers, calls the C side
 * with an aligned stack and shadow space, restores and tail-jumps. */
static void an_observing_stub_restores_and_jumps(void **state)
{
    static const char *const in_order[] = {
        "\"wrapped_alpha:\\n\"",
        "mov $0, %r10d",
        "lea alpha_original_slot(%rip), %r11",
        "jmp shimgen_observe_common",
        ".seh_proc shimgen_observe_common",
        "sub $168, %rsp",
        "mov %rcx, 32(%rsp)",
        "movups %xmm3, 128(%rsp)",
        "lea 32(%rsp), %rdx",
        "call legacy_observe_call",
        "movups 128(%rsp), %xmm3",
        "mov 32(%rsp), %rcx",
        "add $168, %rsp",
        "jmp *(%r11)",
    };
    const char *at;
    wrap_plan plan;

    (void)state;
    build_plan("dir/legacy.dll", "alpha", &plan);
    write_with(stub_write_source, &plan);
    at = written;
    for (size_t index = 0; index < sizeof in_order / sizeof in_order[0]; index++) {
        at = strstr(at, in_order[index]);
        if (at == NULL)
            fail_msg("the stubs lack \"%s\" in order:\n%s", in_order[index], written);
    }
    expect_text("#if !defined(__x86_64__)\n");
    wrap_plan_free(&plan);
}

/* The record names its export by an index into one table, in the header
 * both DLLs include: the hot path copies no name, clears nothing and reads
 * no performance counter, and the worker's log takes the name from there. */
static void a_record_carries_the_export_index(void **state)
{
    wrap_plan plan;

    (void)state;
    build_plan("dir/legacy.dll", "alpha,#14", &plan);
    write_with(front_write_record_header, &plan);
    expect_text("    unsigned short export_index;");
    expect_text("    unsigned long long timestamp;\n");
    expect_text("_Static_assert(sizeof(legacy_call_record) == 40,");
    expect_text("#define legacy_INTERCEPTED_EXPORT_COUNT 2\n");
    /* The typed export's parameters by name, for the worker's "args". */
    expect_text("static const char *const legacy_parameters_1[] = { \"context\" };\n");
    expect_text("    { \"alpha\", 10, 0, NULL },\n    { \"#14\", 14, 1, legacy_parameters_1 },\n};\n");
    expect_text(
        "    return index < legacy_INTERCEPTED_EXPORT_COUNT ? &legacy_intercepted_exports[index] : NULL;\n");
    expect_no_text("symbol");
    write_with(front_write_source, &plan);
    expect_text("        .export_index = (unsigned short)index,\n");
    expect_text("        .timestamp = shim_front_utc_now(),\n");
    expect_no_text("QueryPerformanceCounter");
    expect_no_text("memset");
    expect_no_text("strncpy");
    /* #14 is the second intercept, typed: index 1, its argument and result. */
    expect_text("    begin_typed_call(&call, 1, 2, 1);\n");
    expect_text("    post_typed_call(&call, end, last_error);\n");
    write_with(worker_write_source, &plan);
    expect_text("legacy_export(record->export_index)");
    wrap_plan_free(&plan);
}

/* Without intercepts the header has no table (C has no empty arrays), yet
 * the worker's lookup still compiles and finds no name. */
static void a_record_header_without_intercepts_names_nothing(void **state)
{
    wrap_plan plan;

    (void)state;
    build_plan("dir/legacy.dll", NULL, &plan);
    write_with(front_write_record_header, &plan);
    expect_text("#define legacy_INTERCEPTED_EXPORT_COUNT 0\n");
    expect_no_text("legacy_intercepted_exports[");
    expect_text("static inline const legacy_intercepted_export *legacy_export(unsigned index)\n{\n"
                "    (void)index;\n    return NULL;\n}\n");
    wrap_plan_free(&plan);
}

static void the_worker_uses_the_session_api(void **state)
{
    wrap_plan plan;

    (void)state;
    build_plan("dir/legacy.dll", "alpha", &plan);
    write_with(worker_write_source, &plan);
    expect_text("shim_session_get_plugin_state(session)");
    expect_text("shim_session_set_stop_policy(session, SHIM_STOP_DRAIN)");
    expect_text("shim_session_set_max_threads(session, SHIM_DEFAULT_MAX_THREADS)");
    expect_text("shim_session_set_delivery_latency(session, SHIM_DEFAULT_DELIVERY_LATENCY_MS)");
    expect_text("shim_session_set_deferred_limit(session, SHIM_DEFAULT_DEFERRED_LIMIT)");
    expect_text("shim_session_set_message_batch(session, SHIM_MESSAGE_BATCH_LIMIT)");
    expect_text("SHIM_DEFINE_PLUGIN(legacy_plugin)");
    /* Each record says what the runtime said of its message, in one function
     * (format_record), without a line break: the sink adds it to a file. */
    expect_text("    delivery.sequence = message->sequence;\n"
                "    delivery.process_id = message->process_id;\n"
                "    delivery.process_started = message->process_started;\n"
                "    delivery.possible_repeat = (message->flags & SHIM_MESSAGE_POSSIBLE_REPEAT) != 0;\n"
                "    delivery.recovered = (message->flags & SHIM_MESSAGE_RECOVERED) != 0;\n");
    expect_text("format_record(&line, message->payload, message->size, &delivery)");
    expect_text("    put_text(line, \"}\");\n    return line->overflow ? 0 : line->length;\n");
    expect_no_text("}\\n\");\n    return line->overflow");
    wrap_plan_free(&plan);
}

/* The records go through the sink library: the target from the log
 * variable, else the project's default; RFC 5424 APP-NAME the front's file
 * name; each message handed to the sink, which finishes it once durable;
 * stopped and closed as sink.h says. The worker writes no file itself. */
static void the_worker_writes_through_the_sinks(void **state)
{
    wrap_plan plan;

    (void)state;
    build_plan("dir/legacy.dll", "alpha", &plan);
    write_with(worker_write_source, &plan);
    expect_text("#include \"twinshim/sink.h\"\n");
    expect_text("#ifndef LEGACY_SHIM_LOG_DEFAULT\n#define LEGACY_SHIM_LOG_DEFAULT L\"\"\n#endif\n");
    expect_text("    static const wchar_t configured[] = LEGACY_SHIM_LOG_DEFAULT;\n");
    expect_text("    shim_sink_options options = { .app_name = \"legacy.dll\" };\n");
    /* The environment first; the default only when it names nothing. */
    expect_text("    length = GetEnvironmentVariableW(L\"LEGACY_SHIM_LOG\", target, MAX_PATH);\n"
                "    if (length == 0) {\n"
                "        memcpy(target, configured, sizeof configured);\n");
    expect_text("    status = shim_sink_open(session, target, &options, &sink);\n");
    expect_text("    (void)shim_sink_deliver(sink, message, line.text, line.length);\n");
    /* The record's 16 KB line is on the stack only with a log: without
     * one, on_message probes no stack page. */
    expect_text(
        "static __attribute__((noinline)) void log_call(shim_sink *sink, const shim_message *message)\n");
    expect_text("    if (sink != NULL)\n        log_call(sink, message);\n");
    expect_text("    .on_stopping = stop_log,\n");
    expect_text("        shim_sink_stop(plugin_state);\n");
    expect_text("    .on_stopped = close_log,\n");
    expect_text("        shim_sink_close(plugin_state);\n");
    expect_no_text("CreateFile");
    expect_no_text("WriteFile");
    expect_no_text("write_line");
    expect_no_text("CloseHandle");
    /* The project links the library, and its cache variable becomes the
     * default, as a C wide string. */
    write_with(project_write_cmake, &plan);
    expect_text("target_link_libraries(legacy_worker PRIVATE twinshim::sinks)\n");
    expect_text("set(LEGACY_SHIM_LOG_DEFAULT \"\" CACHE STRING\n");
    expect_text("    target_compile_definitions(legacy_worker PRIVATE "
                "\"LEGACY_SHIM_LOG_DEFAULT=L\\\"${log_default}\\\"\")\n");
    /* The README names the variable and its values. */
    write_with(project_write_readme, &plan);
    expect_text("environment variable `LEGACY_SHIM_LOG` names:\n");
    expect_text("| `relp://HOST:PORT`, e.g. `relp://127.0.0.1:2514`");
    expect_text("APP-NAME `legacy.dll`, PROCID the calling process");
    expect_text("the project's default: `LEGACY_SHIM_LOG_DEFAULT`, a CMake cache variable");
    wrap_plan_free(&plan);
}

/* The exit hook writes through the sink's exit path (no heap, no lock, no
 * wait) with the record built on the stack, and the worker itself takes no
 * lock anywhere: under Wine a lock's release may spin forever on one an
 * ended thread holds. */
static void the_exit_hook_uses_the_sinks_exit_path(void **state)
{
    wrap_plan plan;
    const char *hook;
    const char *end;
    const char *deliver;

    (void)state;
    build_plan("dir/legacy.dll", "alpha", &plan);
    write_with(worker_write_source, &plan);
    expect_text("    .on_exit_message = call_seen_at_exit,\n");
    hook = strstr(written, "static int call_seen_at_exit(");
    assert_non_null(hook);
    end = strstr(hook, "\n}\n");
    assert_non_null(end);
    if (strstr(hook, "    return shim_sink_write_at_exit(sink, &record);\n") == NULL ||
        strstr(hook, "shim_sink_write_at_exit") > end)
        fail_msg("the exit hook does not write through shim_sink_write_at_exit:\n%s", hook);
    deliver = strstr(hook, "shim_sink_deliver");
    if (deliver != NULL && deliver < end)
        fail_msg("the exit hook delivers as on_message does:\n%s", hook);
    expect_no_text("SRWLock");
    expect_no_text("HeapAlloc(");
    expect_no_text("malloc(");
    expect_no_text("printf(");
    wrap_plan_free(&plan);
}

/* Copies into `value` the text between `before` and the next `after` in
 * `written`, or fails the test. */
static void text_between(const char *before, const char *after, char *value, size_t capacity)
{
    const char *start = strstr(written, before);
    const char *end;

    if (start == NULL)
        fail_msg("the generated file lacks \"%s\":\n%s", before, written);
    start += strlen(before);
    end = strstr(start, after);
    assert_non_null(end);
    assert_true((size_t)(end - start) < capacity);
    memcpy(value, start, (size_t)(end - start));
    value[end - start] = '\0';
}

/* The file CMake builds for `target`: its OUTPUT_NAME and SUFFIX joined. */
static void cmake_output_file(const char *identifier, const char *kind, char *file, size_t capacity)
{
    char before[512];
    char stem[128];
    char suffix[32];

    snprintf(before, sizeof before, "set_target_properties(%s_%s PROPERTIES OUTPUT_NAME \"", identifier,
             kind);
    text_between(before, "\"", stem, sizeof stem);
    snprintf(before, sizeof before, "set_target_properties(%s_%s PROPERTIES OUTPUT_NAME \"%s\" SUFFIX \"",
             identifier, kind, stem);
    text_between(before, "\"", suffix, sizeof suffix);
    snprintf(file, capacity, "%s%s", stem, suffix);
}

/* For each awkward file name: the front CMake builds has the original's file
 * name, the .def's LIBRARY says so too, and the worker and original the front
 * looks for are the files CMake builds and the README installs. */
static void file_names_agree_across_the_generated_files(void **state)
{
    static const char *const file_names[] = { "libfoo-20.dll", "7z.dll",        "libstdc++-6.dll",
                                              "my-lib.v2.dll", "MixedCase.DLL", "Player.ocx" };

    (void)state;
    for (size_t index = 0; index < sizeof file_names / sizeof file_names[0]; index++) {
        char input_path[64];
        char configured_worker[256];
        char configured_original[256];
        char built_front[256];
        char built_worker[256];
        char installed_original[256];
        char library[256];
        wrap_plan plan;

        snprintf(input_path, sizeof input_path, "dir/%s", file_names[index]);
        build_plan(input_path, "alpha", &plan);
        write_with(front_write_source, &plan);
        text_between(".worker_file_name = L\"", "\"", configured_worker, sizeof configured_worker);
        text_between(".original_file_name = L\"", "\"", configured_original, sizeof configured_original);
        write_with(project_write_cmake, &plan);
        cmake_output_file(plan.names.identifier, "front", built_front, sizeof built_front);
        cmake_output_file(plan.names.identifier, "worker", built_worker, sizeof built_worker);
        write_with(project_write_readme, &plan);
        text_between("1. rename the original `", "`;", installed_original, sizeof installed_original);
        write_with(def_write, &plan);
        text_between("\nLIBRARY ", "\n", library, sizeof library);

        assert_string_equal(built_front, file_names[index]);
        assert_string_equal(built_worker, configured_worker);
        assert_true(strstr(installed_original, configured_original) != NULL);
        if (library[0] == '"')
            assert_int_equal(strncmp(library + 1, file_names[index], strlen(file_names[index])), 0);
        else
            assert_string_equal(library, file_names[index]);
        wrap_plan_free(&plan);
    }
}

static void the_front_includes_the_given_headers(void **state)
{
    const char *lists[1] = { "alpha" };
    const char *headers[] = { "legacy_types.h", "<winsock2.h>", "\"quoted.h\"" };
    wrap_request request = {
        .input_path = "dir/legacy.dll",
        .intercept_lists = lists,
        .intercept_list_count = 1,
        .includes = headers,
        .include_count = 3,
        .twinshim_source_dir = "/twinshim",
    };
    wrap_plan plan;
    error_message error = { "" };

    (void)state;
    assert_int_equal(wrap_plan_build(&request, &image, &table, &plan, NULL, &error), 0);
    write_with(front_write_source, &plan);
    /* After windows.h and before the record, whose fields may use them. */
    expect_text("#include <windows.h>\n\n#include \"twinshim/front.h\"\n\n"
                "/* Given with --include: the types of the prototypes. */\n"
                "#include \"legacy_types.h\"\n#include <winsock2.h>\n#include \"quoted.h\"\n\n"
                "#include \"legacy_call_record.h\"\n");
    wrap_plan_free(&plan);
}

static void unusable_headers_are_refused(void **state)
{
    static const char *const unusable[] = { "a\"b.h", "<unbalanced.h", "\"x.h", "", "<>", "two\nlines.h" };

    (void)state;
    for (size_t index = 0; index < sizeof unusable / sizeof unusable[0]; index++) {
        const char *headers[1] = { unusable[index] };
        wrap_request request = {
            .input_path = "dir/legacy.dll",
            .includes = headers,
            .include_count = 1,
            .twinshim_source_dir = "/twinshim",
        };
        wrap_plan plan;
        error_message error = { "" };

        assert_int_equal(wrap_plan_build(&request, &image, &table, &plan, NULL, &error),
                         SHIMGEN_EXIT_BAD_REQUEST);
        assert_non_null(strstr(error.text, "--include"));
        wrap_plan_free(&plan);
    }
}

/* The resources become a COFF object with one .rsrc section, named in the
 * front's sources; wrap-resources.sh checks the bytes a host gets. */
static void the_front_links_the_resource_object(void **state)
{
    static const uint8_t name_units[] = { 'A', 0, 'B', 0 };
    static const uint8_t data[] = { 1, 2, 3, 4, 5 };
    pe_resource entries[] = { {
        .type = { .name = name_units, .name_length = 2 },
        .name = { .number = 7 },
        .language = 0x407,
        .size = sizeof data,
        .data = data,
    } };
    const pe_resource_list resources = { .count = 1, .entries = entries };
    uint8_t bytes[512];
    wrap_plan plan;
    FILE *out = tmpfile();
    size_t got;

    (void)state;
    assert_non_null(out);
    build_plan("dir/legacy.dll", NULL, &plan);
    wrap_plan_add_resources(&plan, &resources);
    assert_string_equal(plan.resource_file, "legacy_resources.obj");
    resource_object_write(out, &plan);
    rewind(out);
    got = fread(bytes, 1, sizeof bytes, out);
    fclose(out);
    /* x86-64, one section named .rsrc, one relocation (the data entry's RVA). */
    assert_true(got > 60);
    assert_int_equal(bytes[0] | bytes[1] << 8, 0x8664);
    assert_int_equal(bytes[2], 1);
    assert_memory_equal(bytes + 20, ".rsrc\0\0\0", 8);
    assert_int_equal(bytes[20 + 32] | bytes[20 + 33] << 8, 1);
    /* The data, as given, in the section: after the tree, 8-byte aligned. */
    {
        bool found = false;

        for (size_t at = 0; at + sizeof data <= got && !found; at++)
            found = memcmp(bytes + at, data, sizeof data) == 0;
        assert_true(found);
    }
    write_with(project_write_cmake, &plan);
    expect_text("legacy_stubs.c legacy_resources.obj DEF legacy.def)");
    wrap_plan_free(&plan);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_front_binds_a_slot_per_intercepted_export),
        cmocka_unit_test(a_front_without_intercepts_binds_every_code_export),
        cmocka_unit_test(an_observing_stub_restores_and_jumps),
        cmocka_unit_test(a_record_carries_the_export_index),
        cmocka_unit_test(a_record_header_without_intercepts_names_nothing),
        cmocka_unit_test(the_worker_uses_the_session_api),
        cmocka_unit_test(the_worker_writes_through_the_sinks),
        cmocka_unit_test(the_exit_hook_uses_the_sinks_exit_path),
        cmocka_unit_test(the_front_links_the_resource_object),
        cmocka_unit_test(file_names_agree_across_the_generated_files),
        cmocka_unit_test(the_front_includes_the_given_headers),
        cmocka_unit_test(unusable_headers_are_refused),
    };

    return cmocka_run_group_tests_name("generated_sources", tests, read_test_image, free_test_image);
}
