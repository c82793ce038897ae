#include <stdlib.h>
#include <string.h>

#include "absolute_path.h"
#include "exit_codes.h"
#include "header_match.h"
#include "header_reader.h"

#define CANDIDATES_PER_EXPORT 2

/* What an i686 export name says about its function. */
typedef enum decoration {
    DECORATION_NONE,
    DECORATION_STDCALL,    /* f@8, or MSVC's _f@8 */
    DECORATION_FASTCALL,   /* @f@8 */
    DECORATION_VECTORCALL, /* f@@8 */
} decoration;

typedef struct export_name {
    decoration kind;
    size_t argument_bytes;
    /* The C names it may stand for, most likely first; "" when unused. */
    char candidates[CANDIDATES_PER_EXPORT][PE_EXPORT_NAME_MAX + 1];
} export_name;

static const char *const convention_names[] = { "the default convention", "cdecl", "stdcall", "fastcall",
                                                "thiscall" };

/* Splits "name@N" at its last '@' into name and N; false when it does not
 * end in "@digits". */
static bool split_bytes(const char *text, size_t *name_length, size_t *bytes)
{
    const char *at = strrchr(text, '@');
    char *end;
    unsigned long value;

    if (at == NULL || at == text || at[1] == '\0')
        return false;
    value = strtoul(at + 1, &end, 10);
    if (*end != '\0' || end == at + 1)
        return false;
    *name_length = (size_t)(at - text);
    *bytes = value;
    return true;
}

static void read_export_name(const char *name, export_name *read)
{
    size_t length = 0;

    memset(read, 0, sizeof *read);
    if (name == NULL)
        return;
    snprintf(read->candidates[0], sizeof read->candidates[0], "%s", name);
    if (name[0] == '@' && split_bytes(name + 1, &length, &read->argument_bytes)) {
        read->kind = DECORATION_FASTCALL;
        snprintf(read->candidates[0], sizeof read->candidates[0], "%.*s", (int)length, name + 1);
    } else if (split_bytes(name, &length, &read->argument_bytes)) {
        if (length > 1 && name[length - 1] == '@') {
            read->kind = DECORATION_VECTORCALL;
            length--;
        } else {
            read->kind = DECORATION_STDCALL;
        }
        /* MSVC writes _f@8, mingw f@8: a leading underscore is most likely
         * the decoration's, but may be the name's own. */
        if (name[0] == '_' && length > 1) {
            snprintf(read->candidates[0], sizeof read->candidates[0], "%.*s", (int)length - 1, name + 1);
            snprintf(read->candidates[1], sizeof read->candidates[1], "%.*s", (int)length, name);
        } else {
            snprintf(read->candidates[0], sizeof read->candidates[0], "%.*s", (int)length, name);
        }
    }
}

/* The C names the header is asked for, sorted for bsearch. */
typedef struct wanted_names {
    const char **names;
    size_t count;
} wanted_names;

static int compare_names(const void *left, const void *right)
{
    return strcmp(*(const char *const *)left, *(const char *const *)right);
}

static bool is_wanted(const char *name, void *context)
{
    const wanted_names *wanted = context;

    return wanted->count > 0 &&
           bsearch(&name, wanted->names, wanted->count, sizeof *wanted->names, compare_names) != NULL;
}

/* A declaration that contradicts an i686 decorated name: refused. */
static int check_decoration(const wrap_plan *plan, const intercept *stub, const export_name *read,
                            const prototype *declared, error_message *error)
{
    prototype_convention expected =
        read->kind == DECORATION_FASTCALL ? PROTOTYPE_CONVENTION_FASTCALL : PROTOTYPE_CONVENTION_STDCALL;

    if (wrap_plan_is_x64(plan) || read->kind == DECORATION_NONE || read->kind == DECORATION_VECTORCALL)
        return 0;
    if (declared->convention != expected)
        return error_set(error, SHIMGEN_EXIT_BAD_REQUEST,
                         "--header: export %s is decorated as %s, but %s declares %s as %s",
                         stub->display_name, convention_names[expected], declared->origin,
                         declared->function_name, convention_names[declared->convention]);
    if (declared->argument_bytes != read->argument_bytes)
        return error_set(error, SHIMGEN_EXIT_BAD_REQUEST,
                         "--header: export %s takes %zu bytes of arguments (its @%zu), but %s declares %s "
                         "with "
                         "%zu",
                         stub->display_name, read->argument_bytes, read->argument_bytes, declared->origin,
                         declared->function_name, declared->argument_bytes);
    return 0;
}

/* The header's folder, then each -I, absolute, for the front's build. */
static int resolve_paths(const wrap_request *request, wrap_plan *plan, error_message *error)
{
    size_t count = request->header_include_dir_count + 1;
    char *slash;
    int rc = absolute_path_of(request->header, plan->header_path, sizeof plan->header_path);

    if (rc != 0)
        return error_set(error, SHIMGEN_EXIT_BAD_REQUEST, "--header %s: %s", request->header,
                         rc == -1 ? "no such file" : "a path CMake would misread ('\"', '$', '\\', ';')");
    plan->header_include_dirs = calloc(count, sizeof *plan->header_include_dirs);
    if (plan->header_include_dirs == NULL)
        return error_set(error, SHIMGEN_EXIT_INTERNAL, "out of memory");
    memcpy(plan->header_include_dirs[0], plan->header_path, sizeof plan->header_path);
    slash = strrchr(plan->header_include_dirs[0], '/');
    plan->header_name = strrchr(plan->header_path, '/') + 1;
    if (slash != NULL)
        slash[slash == plan->header_include_dirs[0] ? 1 : 0] = '\0';
    for (size_t index = 0; index < request->header_include_dir_count; index++) {
        rc = absolute_path_of(request->header_include_dirs[index], plan->header_include_dirs[index + 1],
                              sizeof plan->header_include_dirs[index + 1]);
        if (rc != 0)
            return error_set(error, SHIMGEN_EXIT_BAD_REQUEST, "-I %s: %s",
                             request->header_include_dirs[index],
                             rc == -1 ? "no such folder"
                                      : "a path CMake would misread ('\"', '$', '\\', ';')");
    }
    plan->header_include_dir_count = count;
    /* Each goes into a quoted CMake string in the generated project. */
    for (size_t index = 0; index < request->header_define_count; index++)
        if (strpbrk(request->header_defines[index], "\"$\\;\r\n\t") != NULL)
            return error_set(error, SHIMGEN_EXIT_BAD_REQUEST,
                             "-D %s: a macro holding '\"', '$', '\\', ';' or a control character, which the "
                             "generated CMakeLists.txt cannot carry",
                             request->header_defines[index]);
    plan->header_defines = request->header_defines;
    plan->header_define_count = request->header_define_count;
    return 0;
}

static int collect_wanted(const wrap_plan *plan, export_name *reads, wanted_names *wanted,
                          error_message *error)
{
    wanted->names = calloc(plan->intercept_count * CANDIDATES_PER_EXPORT + 1, sizeof *wanted->names);
    if (wanted->names == NULL)
        return error_set(error, SHIMGEN_EXIT_INTERNAL, "out of memory");
    for (size_t index = 0; index < plan->intercept_count; index++) {
        read_export_name(plan->intercepts[index].target->name, &reads[index]);
        for (size_t candidate = 0; candidate < CANDIDATES_PER_EXPORT; candidate++)
            if (reads[index].candidates[candidate][0] != '\0' && !plan->intercepts[index].has_prototype)
                wanted->names[wanted->count++] = reads[index].candidates[candidate];
    }
    qsort(wanted->names, wanted->count, sizeof *wanted->names, compare_names);
    return 0;
}

/* Gives each intercept without --prototype the header's declaration. */
static int type_intercepts(wrap_plan *plan, const export_name *reads, const header_declarations *declarations,
                           error_message *error)
{
    for (size_t index = 0; index < plan->intercept_count; index++) {
        intercept *stub = &plan->intercepts[index];
        const header_function *declared = NULL;
        int rc;

        if (stub->has_prototype)
            continue;
        for (size_t candidate = 0; declared == NULL && candidate < CANDIDATES_PER_EXPORT; candidate++)
            if (reads[index].candidates[candidate][0] != '\0')
                declared = header_find(declarations, reads[index].candidates[candidate]);
        if (declared == NULL) {
            stub->untyped_reason = "not declared there";
            continue;
        }
        if (declared->untypable != NULL) {
            stub->untyped_reason = declared->untypable;
            continue;
        }
        rc = check_decoration(plan, stub, &reads[index], &declared->signature, error);
        if (rc != 0)
            return rc;
        stub->signature = declared->signature;
        stub->has_prototype = true;
    }
    return 0;
}

int header_match_apply(const wrap_request *request, wrap_plan *plan, FILE *warnings, error_message *error)
{
    header_declarations declarations = { .functions = NULL };
    wanted_names wanted = { .names = NULL };
    export_name *reads = calloc(plan->intercept_count + 1, sizeof *reads);
    header_request reading = {
        .include_dirs = request->header_include_dirs,
        .include_dir_count = request->header_include_dir_count,
        .defines = request->header_defines,
        .define_count = request->header_define_count,
        .includes = request->includes,
        .include_count = request->include_count,
        .is_x64 = wrap_plan_is_x64(plan),
        .wanted = is_wanted,
        .wanted_context = &wanted,
    };
    int rc;

    if (reads == NULL)
        return error_set(error, SHIMGEN_EXIT_INTERNAL, "out of memory");
    rc = resolve_paths(request, plan, error);
    if (rc == 0)
        rc = collect_wanted(plan, reads, &wanted, error);
    if (rc == 0) {
        reading.header_path = plan->header_path;
        rc = header_read(&reading, &declarations, warnings, error);
    }
    if (rc == 0)
        rc = type_intercepts(plan, reads, &declarations, error);
    header_declarations_free(&declarations);
    free(wanted.names);
    free(reads);
    return rc;
}
