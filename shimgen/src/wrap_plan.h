/* Everything `shimgen wrap` decided before it writes a file: the names of the
 * three DLLs and of the generated files, the exports it intercepts and their
 * prototypes. Every check happens while the plan is built; the writers only
 * format a plan that passed them. */
#ifndef SHIMGEN_WRAP_PLAN_H
#define SHIMGEN_WRAP_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "com_server.h"
#include "dll_loading.h"
#include "error_message.h"
#include "names.h"
#include "pe_exports.h"
#include "pe_image.h"
#include "pe_resources.h"
#include "prototype.h"

/* What the user asked `shimgen wrap` for. */
typedef struct wrap_request {
    const char *input_path;
    const char *output_directory;
    const char *name;                   /* the front's name without extension; NULL: the input's */
    const char *const *intercept_lists; /* each "SYMBOL,#ORDINAL,..." */
    size_t intercept_list_count;
    const char *const *prototypes; /* each "int f(int a)" */
    size_t prototype_count;
    const char *const *includes; /* each "types.h", "<types.h>" or "\"types.h\"" */
    size_t include_count;
    const char *twinshim_source_dir; /* absolute, checked; NULL: the installed package */
    bool force;                      /* overwrite files that exist */
    /* --header: the prototypes of the exports it declares (header_reader.c);
     * without --intercept, every code export is intercepted. */
    const char *header;
    const char *const *header_include_dirs; /* -I */
    size_t header_include_dir_count;
    const char *const *header_defines; /* -D */
    size_t header_define_count;
} wrap_request;

typedef struct intercept {
    const pe_export *target;
    /* What the front's record and the worker's log call it: the export name,
     * or "#3" for an ordinal-only export. */
    char display_name[PE_EXPORT_NAME_MAX + 1];
    /* The name used in C for this export: the export name when it is a C
     * identifier, else a sanitised form (ordinal_3 for ordinal-only exports). */
    char c_name[PE_EXPORT_NAME_MAX + 32];
    bool has_prototype; /* false: an observing stub (raw registers) */
    prototype signature;
    /* With --header, for an export that keeps the observing stub: why
     * ("not declared", "variadic ..."); NULL otherwise. */
    const char *untyped_reason;
} intercept;

#define WRAP_PLAN_PATH_MAX 4096

typedef struct wrap_plan {
    const char *input_path;
    const pe_image *image;
    const pe_export_table *table;
    dll_names names;
    /* The generated files, in the output folder, named after names.identifier. */
    char def_file[NAMES_STEM_MAX + 32];
    char front_source_file[NAMES_STEM_MAX + 32];
    char record_header_file[NAMES_STEM_MAX + 32];
    char worker_source_file[NAMES_STEM_MAX + 32];
    char stubs_source_file[NAMES_STEM_MAX + 32]; /* the jump and observing stubs, in assembly */
    /* The original's resources, for the front; resource_file is "" when it has none. */
    const pe_resource_list *resources;
    char resource_file[NAMES_STEM_MAX + 32];
    intercept *intercepts;
    size_t intercept_count;
    /* Headers the front includes after windows.h, for the prototypes' types:
     * "<h>" or "\"h\"", checked to hold no quote, bracket or control
     * character inside. */
    const char *const *includes;
    size_t include_count;
    const char *twinshim_source_dir; /* NULL: the project uses the installed package */
    /* --header, absolute: the front includes it by name, from its folder and
     * the -I folders, with the -D macros; "" and none without it. */
    char header_path[WRAP_PLAN_PATH_MAX];
    const char *header_name;                         /* the file name in header_path */
    char (*header_include_dirs)[WRAP_PLAN_PATH_MAX]; /* its folder first, then each -I */
    size_t header_include_dir_count;
    const char *const *header_defines;
    size_t header_define_count;
    dll_loading loading;           /* what Windows and Wine will do with the front's name */
    com_server_exports com_server; /* an in-process COM server: its registration must name the front */
} wrap_plan;

/* Checks the request against the image and its export table and fills
 * `plan`. Returns 0, SHIMGEN_EXIT_NOT_A_DLL (an EXE or any image without
 * IMAGE_FILE_DLL), SHIMGEN_EXIT_API_SET (an API-set name, without force),
 * SHIMGEN_EXIT_BAD_REQUEST or SHIMGEN_EXIT_INTERNAL with
 * the reason in `error`. Free the plan with wrap_plan_free even on failure.
 * Warnings go to `warnings` (may be NULL). */
int wrap_plan_build(const wrap_request *request, const pe_image *image, const pe_export_table *table,
                    wrap_plan *plan, FILE *warnings, error_message *error);

void wrap_plan_free(wrap_plan *plan);

/* Gives the front the original's resources (borrowed: they must outlive the
 * plan). With none, no .res file is written. */
void wrap_plan_add_resources(wrap_plan *plan, const pe_resource_list *resources);

/* Whether the front carries resources (an IDENT_resources.obj). */
bool wrap_plan_has_resources(const wrap_plan *plan);

/* The intercept for `entry`, or NULL when it is not intercepted. */
const intercept *wrap_plan_intercept_of(const wrap_plan *plan, const pe_export *entry);

/* Whether `entry` becomes a jump stub: code the original defines itself,
 * not intercepted. Data exports and the original's own forwarders stay
 * forwarders in the .def. */
bool wrap_plan_jumps(const wrap_plan *plan, const pe_export *entry);

/* For an entry that jumps: whether it is the first of its ordinal that does.
 * The names of one ordinal share one stub, shimgen_jump_<ordinal>. */
bool wrap_plan_first_jump_of_ordinal(const wrap_plan *plan, size_t index);

/* True when the image is x86-64 (PE32+), false for i686 (PE32). */
bool wrap_plan_is_x64(const wrap_plan *plan);

/* With --header: how many intercepts are typed, and which are not and why,
 * as lines for the user ("12 of 14 exports typed from foo.h; not declared
 * there: a, b"). Nothing without --header. */
void wrap_plan_print_typing(FILE *out, const wrap_plan *plan);

#endif
