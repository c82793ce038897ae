#include <inttypes.h>
#include <stdbool.h>
#include <string.h>

#include "c_literal.h"
#include "front_writer.h"
#include "typed_stub_writer.h"

static void write_binding(FILE *out, const pe_export *entry, const char *slot)
{
    fputs("    { ", out);
    if (entry->name != NULL)
        c_literal_write(out, entry->name);
    else
        fprintf(out, "MAKEINTRESOURCEA(%" PRIu32 ")", entry->ordinal);
    fprintf(out, ", &%s },\n", slot);
}

/* One slot per stub, and the table that names them: the runtime fills every
 * slot at attach, from the original it loaded by absolute path, before any
 * export of the front can be called, so a stub calls through its slot
 * without a lookup per call. The slots are not static: the assembly stubs in
 * the stubs file jump through them. */
static void write_bindings(FILE *out, const wrap_plan *plan)
{
    char slot[PE_EXPORT_NAME_MAX + 64];

    fputs("\n/* The original's exports the stubs call. The runtime stores each address in\n"
          " * its slot at attach, before any export of the front can be called; an\n"
          " * original that lacks one of them makes the front fail to load. In .data,\n"
          " * not .bss: on the page of the runtime's own state, which every post reads\n"
          " * (a call made now and then finds each page cold). */\n"
          "#define SHIMGEN_SLOT __attribute__((section(\".data\")))\n",
          out);
    for (size_t index = 0; index < plan->intercept_count; index++)
        fprintf(out, "FARPROC %s_original_slot SHIMGEN_SLOT;\n", plan->intercepts[index].c_name);
    for (size_t index = 0; index < plan->table->count; index++)
        if (wrap_plan_first_jump_of_ordinal(plan, index))
            fprintf(out, "FARPROC shimgen_jump_%" PRIu32 "_slot SHIMGEN_SLOT;\n",
                    plan->table->entries[index].ordinal);
    fputs("\nstatic const shim_front_binding original_bindings[] = {\n", out);
    for (size_t index = 0; index < plan->intercept_count; index++) {
        snprintf(slot, sizeof slot, "%s_original_slot", plan->intercepts[index].c_name);
        write_binding(out, plan->intercepts[index].target, slot);
    }
    for (size_t index = 0; index < plan->table->count; index++)
        if (wrap_plan_first_jump_of_ordinal(plan, index)) {
            snprintf(slot, sizeof slot, "shimgen_jump_%" PRIu32 "_slot", plan->table->entries[index].ordinal);
            write_binding(out, &plan->table->entries[index], slot);
        }
    fputs("};\n", out);
}

static bool has_bindings(const wrap_plan *plan)
{
    if (plan->intercept_count > 0)
        return true;
    for (size_t index = 0; index < plan->table->count; index++)
        if (wrap_plan_jumps(plan, &plan->table->entries[index]))
            return true;
    return false;
}

static size_t observed_count(const wrap_plan *plan)
{
    size_t count = 0;

    for (size_t index = 0; index < plan->intercept_count; index++)
        count += plan->intercepts[index].has_prototype ? 0 : 1;
    return count;
}

/* The C side of the observing stubs: the frame the stubs file saves, and
 * the function it calls, which posts a record and keeps the host's last
 * error. */
static void write_observer(FILE *out, const wrap_plan *plan)
{
    const char *identifier = plan->names.identifier;

    fprintf(out,
            "\n/* An observing stub's record: the header, then the raw registers. */\n"
            "typedef struct observed_record {\n"
            "    %s_call_record header;\n"
            "    unsigned long long registers[%s_RECORD_REGISTERS];\n"
            "} observed_record;\n\n"
            "/* The fields every observed record has but the registers and the return\n"
            " * address; the others are 0. The name stays in %s_intercepted_exports:\n"
            " * the record carries its index. (twinshim_add_front builds this file\n"
            " * without the SLP vectorizer, which made these constant stores loads\n"
            " * from .rdata, a page a call made now and then finds cold.) */\n"
            "static void start_observed_record(observed_record *record, unsigned index, DWORD last_error)\n"
            "{\n"
            "    record->header = (%s_call_record){\n"
            "        .export_index = (unsigned short)index,\n"
            "        .kind = %s_RECORD_OBSERVED,\n"
            "        .thread_id = shim_current_thread_id(),\n"
            "        .last_error = last_error,\n"
            "        .timestamp = shim_front_utc_now(),\n"
            "    };\n"
            "}\n\n"
            "/* Posts without waiting; the original, and the host after it, see the\n"
            " * host's last error, not the post's. */\n"
            "static void post_observed_record(const observed_record *record, DWORD last_error)\n"
            "{\n"
            "    (void)shim_front_post(record, sizeof *record);\n"
            "    shim_set_last_error(last_error);\n"
            "}\n\n",
            identifier, identifier, identifier, identifier, identifier);
    if (wrap_plan_is_x64(plan))
        fprintf(out,
                "/* What shimgen_observe_common in %s saved, from its rsp + 32. */\n"
                "typedef struct observed_frame {\n"
                "    unsigned long long rcx, rdx, r8, r9, rax, slot;\n"
                "    unsigned long long xmm[4][2];\n"
                "    unsigned long long unused[3];\n"
                "    unsigned long long return_address;\n"
                "} observed_frame;\n\n"
                "void %s_observe_call(unsigned index, const observed_frame *frame);\n\n"
                "/* Called by an observing stub before it jumps to the original: records\n"
                " * the raw argument registers (what they mean depends on the prototype,\n"
                " * which the export table does not record) and never blocks. */\n"
                "void %s_observe_call(unsigned index, const observed_frame *frame)\n"
                "{\n"
                "    observed_record record;\n"
                "    DWORD last_error = shim_last_error();\n\n"
                "    start_observed_record(&record, index, last_error);\n"
                "    record.registers[0] = frame->rcx;\n"
                "    record.registers[1] = frame->rdx;\n"
                "    record.registers[2] = frame->r8;\n"
                "    record.registers[3] = frame->r9;\n"
                "    for (unsigned at = 0; at < 4; at++)\n"
                "        record.registers[4 + at] = frame->xmm[at][0];\n"
                "    record.header.return_address = frame->return_address;\n"
                "    post_observed_record(&record, last_error);\n"
                "}\n",
                plan->stubs_source_file, identifier, identifier);
    else
        fprintf(out,
                "/* What shimgen_observe_common in %s pushed. */\n"
                "typedef struct observed_frame {\n"
                "    unsigned long edx, ecx, eax;\n"
                "    unsigned long stub_return, index, return_address;\n"
                "    unsigned long stack[6]; /* the first stack slots: arguments, or the caller's frame */\n"
                "} observed_frame;\n\n"
                "void %s_observe_call(const observed_frame *frame);\n\n"
                "/* Called by an observing stub before it jumps to the original: records\n"
                " * the raw argument registers and stack slots (what they mean depends on\n"
                " * the prototype and the calling convention) and never blocks. */\n"
                "void %s_observe_call(const observed_frame *frame)\n"
                "{\n"
                "    observed_record record;\n"
                "    DWORD last_error = shim_last_error();\n\n"
                "    start_observed_record(&record, (unsigned)frame->index, last_error);\n"
                "    record.registers[0] = frame->ecx;\n"
                "    record.registers[1] = frame->edx;\n"
                "    for (unsigned at = 0; at < 6; at++)\n"
                "        record.registers[2 + at] = frame->stack[at];\n"
                "    record.header.return_address = frame->return_address;\n"
                "    post_observed_record(&record, last_error);\n"
                "}\n",
                plan->stubs_source_file, identifier, identifier);
}

static void write_configuration(FILE *out, const wrap_plan *plan)
{
    fprintf(out,
            "/* Generated by shimgen from\n"
            " * %s:\n"
            " * the front that takes the name %s.\n"
            " * Code exports not intercepted here jump to the original through the\n"
            " * stubs in %s; data exports and the original's own forwarders are\n"
            " * forwarded by %s. */\n"
            "#include <limits.h>\n"
            "#include <stdint.h>\n"
            "#include <string.h>\n\n"
            "#include <windows.h>\n"
            "%s\n"
            "#include \"twinshim/front.h\"\n\n",
            plan->input_path, plan->names.front_file, plan->stubs_source_file, plan->def_file,
            typed_stub_any(plan) ? "#include <winternl.h> /* the typed calls' chain, in the TEB */\n" : "");
    if (plan->include_count > 0) {
        fputs("/* Given with --include: the types of the prototypes. */\n", out);
        for (size_t index = 0; index < plan->include_count; index++) {
            const char *header = plan->includes[index];
            bool delimited = header[0] == '<' || header[0] == '"';

            fprintf(out, "#include %s%s%s\n", delimited ? "" : "\"", header, delimited ? "" : "\"");
        }
        fputc('\n', out);
    }
    if (plan->header_path[0] != '\0')
        fprintf(out,
                "/* Given with --header (%s): the typed stubs' types. */\n"
                "#include \"%s\"\n\n",
                plan->header_path, plan->header_name);
    fprintf(out, "#include \"%s\"\n\n", plan->record_header_file);
    fprintf(out,
            "/* The link names the .def and %s use: i686 C names carry a\n"
            " * leading underscore, x86-64 ones do not. */\n"
            "#if defined(__i386__)\n"
            "#define SHIMGEN_LINK_NAME(name) \"_\" name\n"
            "#else\n"
            "#define SHIMGEN_LINK_NAME(name) name\n"
            "#endif\n",
            plan->stubs_source_file);
    if (has_bindings(plan))
        write_bindings(out, plan);
    fprintf(out,
            "\n/* `shimgen check` reads the names below from the front's bytes, by this\n"
            " * tag; kept although nothing refers to it. */\n"
            "__attribute__((used)) static const wchar_t shimgen_check_tag[] =\n"
            "    L\"" FRONT_CHECK_TAG "%s;original=%s\";\n",
            plan->names.worker_file, plan->names.original_file);
    fprintf(out,
            "\n/* Both files are found in the front's own folder, by absolute path:\n"
            " * never on the search path, never in the current directory. The stop\n"
            " * policy and the pool's threads are the worker's settings (its on_start). */\n"
            "const shim_front_config shim_front_configuration = {\n"
            "    .worker_file_name = L\"%s\",\n"
            "    .original_file_name = L\"%s\",\n",
            plan->names.worker_file, plan->names.original_file);
    if (has_bindings(plan))
        fputs("    .bindings = original_bindings,\n"
              "    .binding_count = sizeof original_bindings / sizeof original_bindings[0],\n",
              out);
    fputs("};\n", out);
    if (observed_count(plan) > 0)
        write_observer(out, plan);
}

void front_write_source(FILE *out, const wrap_plan *plan)
{
    write_configuration(out, plan);
    typed_stub_write_all(out, plan);
}
