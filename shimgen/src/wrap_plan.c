#include <assert.h>
#include <ctype.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "exit_codes.h"
#include "header_match.h"
#include "name_pattern.h"
#include "wrap_plan.h"

const intercept *wrap_plan_intercept_of(const wrap_plan *plan, const pe_export *entry)
{
    for (size_t index = 0; index < plan->intercept_count; index++)
        if (plan->intercepts[index].target == entry)
            return &plan->intercepts[index];
    return NULL;
}

bool wrap_plan_jumps(const wrap_plan *plan, const pe_export *entry)
{
    return !entry->is_data && entry->forwarder == NULL && wrap_plan_intercept_of(plan, entry) == NULL;
}

bool wrap_plan_first_jump_of_ordinal(const wrap_plan *plan, size_t index)
{
    const pe_export *entry = &plan->table->entries[index];

    if (!wrap_plan_jumps(plan, entry))
        return false;
    /* The table keeps the names of one ordinal together. */
    for (size_t earlier = index; earlier > 0 && plan->table->entries[earlier - 1].ordinal == entry->ordinal;
         earlier--)
        if (wrap_plan_jumps(plan, &plan->table->entries[earlier - 1]))
            return false;
    return true;
}

bool wrap_plan_is_x64(const wrap_plan *plan)
{
    return plan->image->machine == PE_MACHINE_AMD64;
}

static void warn(FILE *warnings, const char *format, ...)
#if defined(__GNUC__) || defined(__clang__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

static void warn(FILE *warnings, const char *format, ...)
{
    va_list arguments;

    if (warnings == NULL)
        return;
    fputs("shimgen: warning: ", warnings);
    va_start(arguments, format);
    vfprintf(warnings, format, arguments);
    va_end(arguments);
    fputc('\n', warnings);
}

static int choose_names(const wrap_request *request, wrap_plan *plan, error_message *error)
{
    const char *slash = strrchr(request->input_path, '/');
    const char *file_name = slash != NULL ? slash + 1 : request->input_path;
    const char *identifier = plan->names.identifier;
    int rc;

#ifdef _WIN32
    if (strrchr(file_name, '\\') != NULL)
        file_name = strrchr(file_name, '\\') + 1;
#endif
    rc = names_derive(file_name, request->name, &plan->names, error);
    if (rc != 0)
        return rc;
    snprintf(plan->def_file, sizeof plan->def_file, "%s.def", identifier);
    snprintf(plan->front_source_file, sizeof plan->front_source_file, "%s_front.c", identifier);
    snprintf(plan->record_header_file, sizeof plan->record_header_file, "%s_call_record.h", identifier);
    snprintf(plan->worker_source_file, sizeof plan->worker_source_file, "%s_worker.c", identifier);
    snprintf(plan->stubs_source_file, sizeof plan->stubs_source_file, "%s_stubs.c", identifier);
    return 0;
}

/* ld's .def lexer has no escape: a double quote or a control character in a
 * name or forwarder cannot be written, quoted or not. */
static bool def_can_hold(const char *text)
{
    for (const unsigned char *at = (const unsigned char *)text; *at != '\0'; at++)
        if (*at == '"' || *at < 0x20 || *at == 0x7f)
            return false;
    return true;
}

static int check_def_names(const pe_export_table *table, error_message *error)
{
    for (size_t index = 0; index < table->count; index++) {
        const pe_export *entry = &table->entries[index];

        if ((entry->name != NULL && !def_can_hold(entry->name)) ||
            (entry->forwarder != NULL && !def_can_hold(entry->forwarder)))
            return error_set(error, SHIMGEN_EXIT_BAD_REQUEST,
                             "export ordinal %" PRIu32 " has a name a .def file cannot hold", entry->ordinal);
    }
    return 0;
}

/* Fills display_name and c_name for the export `entry`. */
static void name_intercept(intercept *stub, const pe_export *entry)
{
    stub->target = entry;
    if (entry->name == NULL) {
        snprintf(stub->display_name, sizeof stub->display_name, "#%" PRIu32, entry->ordinal);
        snprintf(stub->c_name, sizeof stub->c_name, "ordinal_%" PRIu32, entry->ordinal);
        return;
    }
    snprintf(stub->display_name, sizeof stub->display_name, "%s", entry->name);
    if (is_c_identifier(entry->name, strlen(entry->name))) {
        snprintf(stub->c_name, sizeof stub->c_name, "%s", entry->name);
        return;
    }
    /* C++ or decorated names: keep what is readable, and the ordinal, which
     * is unique, to tell two sanitised names apart. */
    snprintf(stub->c_name, sizeof stub->c_name, "%s_%" PRIu32, entry->name, entry->ordinal);
    for (char *at = stub->c_name; *at != '\0'; at++)
        if (!(isalnum((unsigned char)*at) || *at == '_'))
            *at = '_';
}

/* Adds `entry` unless a pattern already took it. */
static int add_target(wrap_plan *plan, const pe_export *entry, const char *wanted, bool from_pattern,
                      error_message *error)
{
    intercept *stub = &plan->intercepts[plan->intercept_count];

    memset(stub, 0, sizeof *stub);
    name_intercept(stub, entry);
    for (size_t index = 0; index < plan->intercept_count; index++) {
        if (plan->intercepts[index].target == entry) {
            if (from_pattern)
                return 0;
            return error_set(error, SHIMGEN_EXIT_BAD_REQUEST, "--intercept %s: given twice", wanted);
        }
        if (strcmp(plan->intercepts[index].c_name, stub->c_name) == 0)
            return error_set(error, SHIMGEN_EXIT_BAD_REQUEST,
                             "--intercept %s: %s and %s would get the same stub name %s", wanted,
                             plan->intercepts[index].display_name, stub->display_name, stub->c_name);
    }
    plan->intercept_count++;
    return 0;
}

/* A pattern takes every code export the original defines itself whose name
 * (or #N) matches: data exports cannot be intercepted, and the original's
 * own forwarders stay forwarders unless named one by one. */
static int add_pattern(wrap_plan *plan, const pe_export_table *table, const char *pattern,
                       error_message *error)
{
    size_t matched = 0;

    for (size_t index = 0; index < table->count; index++) {
        const pe_export *entry = &table->entries[index];
        char display[PE_EXPORT_NAME_MAX + 16];
        int rc;

        if (entry->is_data || entry->forwarder != NULL)
            continue;
        if (entry->name != NULL)
            snprintf(display, sizeof display, "%s", entry->name);
        else
            snprintf(display, sizeof display, "#%" PRIu32, entry->ordinal);
        if (!name_pattern_matches(pattern, display))
            continue;
        rc = add_target(plan, entry, pattern, true, error);
        if (rc != 0)
            return rc;
        matched++;
    }
    if (matched == 0)
        return error_set(error, SHIMGEN_EXIT_BAD_REQUEST,
                         "--intercept %s: the pattern matches no code export the DLL defines", pattern);
    return 0;
}

static int add_intercept(wrap_plan *plan, const pe_export_table *table, const char *symbol, size_t length,
                         error_message *error)
{
    char wanted[PE_EXPORT_NAME_MAX + 1];
    const pe_export *entry;

    if (length == 0 || length > PE_EXPORT_NAME_MAX)
        return error_set(error, SHIMGEN_EXIT_BAD_REQUEST,
                         "--intercept needs export names or patterns, separated by commas");
    memcpy(wanted, symbol, length);
    wanted[length] = '\0';
    if (wanted[0] == '#') {
        char *end;
        unsigned long ordinal = strtoul(wanted + 1, &end, 10);

        entry =
            *end == '\0' && end != wanted + 1 ? pe_find_export_by_ordinal(table, (uint32_t)ordinal) : NULL;
    } else {
        entry = pe_find_export_by_name(table, wanted);
    }
    /* A C++ name holds '?': taken as a name when the DLL has it, else as a pattern. */
    if (entry == NULL && name_pattern_is_pattern(wanted))
        return add_pattern(plan, table, wanted, error);
    if (entry == NULL)
        return error_set(error, SHIMGEN_EXIT_BAD_REQUEST, "--intercept %s: the DLL has no such export",
                         wanted);
    if (entry->is_data && entry->forwarder == NULL)
        return error_set(error, SHIMGEN_EXIT_BAD_REQUEST,
                         "--intercept %s: a data export cannot be intercepted, only forwarded", wanted);
    return add_target(plan, entry, wanted, false, error);
}

static int add_intercepts(const wrap_request *request, wrap_plan *plan, const pe_export_table *table,
                          error_message *error)
{
    /* Each export is intercepted at most once, plus the entry add_target
     * fills before it checks. */
    plan->intercepts = calloc(table->count + 1, sizeof *plan->intercepts);
    if (plan->intercepts == NULL)
        return error_set(error, SHIMGEN_EXIT_INTERNAL, "out of memory");
    for (size_t list = 0; list < request->intercept_list_count; list++) {
        const char *start = request->intercept_lists[list];

        for (;;) {
            const char *comma = strchr(start, ',');
            size_t length = comma != NULL ? (size_t)(comma - start) : strlen(start);
            int rc = add_intercept(plan, table, start, length, error);

            if (rc != 0)
                return rc;
            if (comma == NULL)
                break;
            start = comma + 1;
        }
    }
    /* A header without --intercept: trace every function the DLL defines. */
    if (request->header != NULL && request->intercept_list_count == 0)
        for (size_t index = 0; index < table->count; index++)
            if (!table->entries[index].is_data && table->entries[index].forwarder == NULL)
                return add_pattern(plan, table, "*", error);
    return 0;
}

/* The intercept a prototype names: by the export's own spelling (a C++ or
 * decorated name, or #N), else by the C name of its stub. */
static intercept *intercept_named(wrap_plan *plan, const char *name)
{
    for (size_t index = 0; index < plan->intercept_count; index++)
        if (strcmp(plan->intercepts[index].display_name, name) == 0)
            return &plan->intercepts[index];
    for (size_t index = 0; index < plan->intercept_count; index++)
        if (strcmp(plan->intercepts[index].c_name, name) == 0)
            return &plan->intercepts[index];
    return NULL;
}

static int add_prototypes(const wrap_request *request, wrap_plan *plan, error_message *error)
{
    /* add_intercepts allocated the array before it counted any intercept. */
    assert(plan->intercept_count == 0 || plan->intercepts != NULL);
    for (size_t index = 0; index < request->prototype_count; index++) {
        prototype parsed;
        intercept *stub = NULL;
        int rc = prototype_parse(request->prototypes[index], &parsed, error);

        if (rc != 0)
            return rc;
        stub = intercept_named(plan, parsed.function_name);
        if (stub == NULL)
            return error_set(error, SHIMGEN_EXIT_BAD_REQUEST,
                             "--prototype %s: no intercepted export has that name; spell it as the DLL does "
                             "(`shimgen exports` lists them: f, ?f@@YAXH@Z, _f@8, or #N for an ordinal-only "
                             "export) and list it in --intercept",
                             parsed.function_name);
        if (stub->has_prototype)
            return error_set(error, SHIMGEN_EXIT_BAD_REQUEST, "--prototype %s: given twice",
                             parsed.function_name);
        stub->signature = parsed;
        stub->has_prototype = true;
    }
    return 0;
}

/* A header name goes into `#include` as written: "h", <h>, or h (taken as
 * "h"). Nothing inside may end the directive early or start a new line. */
static int check_includes(const wrap_request *request, error_message *error)
{
    for (size_t index = 0; index < request->include_count; index++) {
        const char *header = request->includes[index];
        size_t length = strlen(header);
        size_t inner_start = 0;
        size_t inner_end = length;

        if (length > 0 && (header[0] == '<' || header[0] == '"')) {
            char closing = header[0] == '<' ? '>' : '"';

            if (length < 3 || header[length - 1] != closing)
                return error_set(error, SHIMGEN_EXIT_BAD_REQUEST, "--include %s: unbalanced %c...%c", header,
                                 header[0], closing);
            inner_start = 1;
            inner_end = length - 1;
        }
        if (inner_end == inner_start)
            return error_set(error, SHIMGEN_EXIT_BAD_REQUEST, "--include needs a header name");
        for (size_t at = inner_start; at < inner_end; at++) {
            unsigned char character = (unsigned char)header[at];

            if (character < 0x20 || character == 0x7f || strchr("\"<>", character) != NULL)
                return error_set(error, SHIMGEN_EXIT_BAD_REQUEST,
                                 "--include %s: a header name holds no quote, angle bracket or control "
                                 "character",
                                 header);
        }
    }
    return 0;
}

/* What the loaders will do with the front's name, when it is not simply
 * "taken from the program's folder". */
static void warn_about_loading(const wrap_plan *plan, FILE *warnings)
{
    const dll_loading *loading = &plan->loading;

    if (loading->is_api_set)
        warn(warnings,
             "%s is an API-set name: Windows resolves it through the API-set schema to a system DLL and "
             "never "
             "loads a file of that name, so the front will not be loaded by name (written anyway: --force)",
             plan->names.front_file);
    if (loading->is_known_dll)
        warn(warnings,
             "%s is a KnownDLL: Windows maps it from \\KnownDLLs and never takes it from the program's "
             "folder, "
             "so the front replaces it only where the program loads it by full path",
             plan->names.front_file);
    if (plan->image->is_wine_builtin)
        warn(warnings,
             "%s is a Wine builtin: under Wine, run the program with WINEDLLOVERRIDES=\"%s=n,b\" so the "
             "front is loaded instead of the builtin (see the generated README.md)",
             plan->input_path, plan->names.wine_override);
    else if (loading->wine_has_builtin)
        warn(warnings,
             "Wine has a builtin %s (%s), which it loads instead of a file of that name in the program's "
             "folder: under Wine, run the program with WINEDLLOVERRIDES=\"%s=n,b\" (see the generated "
             "README.md)",
             plan->names.front_file, loading->wine_builtin_path, plan->names.wine_override);
}

/* COM loads a server from the path its registration names, and the
 * original's DllRegisterServer, reached through the front, names itself. */
static void warn_about_com_registration(const wrap_plan *plan, FILE *warnings)
{
    if (!com_server_is_one(plan->com_server))
        return;
    if (plan->com_server.registers_itself)
        warn(warnings,
             "%s is an in-process COM server (%s): COM loads the file its registration names, which must be "
             "the front %s; regsvr32 on the front runs the original's DllRegisterServer, which registers %s "
             "when it takes its path from GetModuleFileName of its own module, as servers do (see the "
             "generated README.md)",
             plan->input_path, com_server_export_list(plan->com_server), plan->names.front_file,
             plan->names.original_file);
    else
        warn(warnings,
             "%s is an in-process COM server (%s): COM loads the file its registration names, which must be "
             "the front %s, not %s (see the generated README.md)",
             plan->input_path, com_server_export_list(plan->com_server), plan->names.front_file,
             plan->names.original_file);
}

int wrap_plan_build(const wrap_request *request, const pe_image *image, const pe_export_table *table,
                    wrap_plan *plan, FILE *warnings, error_message *error)
{
    int rc;

    memset(plan, 0, sizeof *plan);
    plan->input_path = request->input_path;
    plan->image = image;
    plan->table = table;
    plan->twinshim_source_dir = request->twinshim_source_dir;
    plan->includes = request->includes;
    plan->include_count = request->include_count;
    /* An EXE has no DllMain to run the front runtime, and the host would
     * never load it with LoadLibrary in its place. */
    if ((image->file_characteristics & PE_FILE_IS_DLL) == 0)
        return error_set(error, SHIMGEN_EXIT_NOT_A_DLL,
                         "not a DLL (its COFF header lacks IMAGE_FILE_DLL: an EXE or a driver?); only a DLL "
                         "can be wrapped");
    /* The stubs are x86 or x86-64 assembly, and the front must match the
     * original's architecture to take its place. */
    if (image->machine != PE_MACHINE_I386 && image->machine != PE_MACHINE_AMD64)
        return error_set(error, SHIMGEN_EXIT_NOT_A_DLL,
                         "a %s DLL; shimgen writes fronts for x86 (PE32) and x86-64 (PE32+) DLLs only",
                         pe_machine_name(image->machine));
    rc = choose_names(request, plan, error);
    if (rc == 0)
        rc = check_def_names(table, error);
    if (rc == 0)
        rc = add_intercepts(request, plan, table, error);
    if (rc == 0)
        rc = add_prototypes(request, plan, error);
    if (rc == 0)
        rc = check_includes(request, error);
    /* --prototype wins: the header types only what it left. */
    if (rc == 0 && request->header != NULL)
        rc = header_match_apply(request, plan, warnings, error);
    if (rc != 0)
        return rc;
    if (table->count == 0)
        warn(warnings, "the DLL exports nothing: the front will export nothing either");
    dll_loading_examine(plan->names.front_file, image->is_pe32_plus, &plan->loading);
    if (plan->loading.is_api_set && !request->force)
        return error_set(error, SHIMGEN_EXIT_API_SET,
                         "%s is an API-set name (api-ms-win-*, ext-ms-*): Windows resolves it through the "
                         "API-set schema and never loads a file of that name, so no front can take its place "
                         "(--force writes the project anyway)",
                         plan->names.front_file);
    warn_about_loading(plan, warnings);
    plan->com_server = com_server_examine(table);
    warn_about_com_registration(plan, warnings);
    return 0;
}

void wrap_plan_add_resources(wrap_plan *plan, const pe_resource_list *resources)
{
    plan->resources = resources;
    if (resources->count != 0)
        snprintf(plan->resource_file, sizeof plan->resource_file, "%s_resources.obj", plan->names.identifier);
}

bool wrap_plan_has_resources(const wrap_plan *plan)
{
    return plan->resources != NULL && plan->resources->count != 0;
}

void wrap_plan_print_typing(FILE *out, const wrap_plan *plan)
{
    size_t typed = 0;
    size_t by_option = 0;
    const char *reasons[32];
    size_t reason_count = 0;

    if (plan->header_path[0] == '\0')
        return;
    for (size_t index = 0; index < plan->intercept_count; index++) {
        const intercept *stub = &plan->intercepts[index];
        size_t known = 0;

        typed += stub->has_prototype ? 1 : 0;
        by_option += stub->has_prototype && strcmp(stub->signature.origin, "--prototype") == 0 ? 1 : 0;
        while (stub->untyped_reason != NULL && known < reason_count &&
               strcmp(reasons[known], stub->untyped_reason) != 0)
            known++;
        if (stub->untyped_reason != NULL && known == reason_count &&
            reason_count < sizeof reasons / sizeof reasons[0])
            reasons[reason_count++] = stub->untyped_reason;
    }
    fprintf(out, "shimgen: %zu of %zu intercepted exports typed from %s", typed - by_option,
            plan->intercept_count, plan->header_name);
    if (by_option > 0)
        fprintf(out, ", %zu by --prototype", by_option);
    fputs(typed < plan->intercept_count ? "; observed (raw registers) instead:\n" : "\n", out);
    for (size_t reason = 0; reason < reason_count; reason++) {
        const char *separator = "";

        fprintf(out, "shimgen:   %s: ", reasons[reason]);
        for (size_t index = 0; index < plan->intercept_count; index++)
            if (plan->intercepts[index].untyped_reason != NULL &&
                strcmp(plan->intercepts[index].untyped_reason, reasons[reason]) == 0) {
                fprintf(out, "%s%s", separator, plan->intercepts[index].display_name);
                separator = ", ";
            }
        fputc('\n', out);
    }
}

void wrap_plan_free(wrap_plan *plan)
{
    free(plan->header_include_dirs);
    plan->header_include_dirs = NULL;
    free(plan->intercepts);
    plan->intercepts = NULL;
    plan->intercept_count = 0;
}
