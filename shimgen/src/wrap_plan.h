/* Everything `shimgen wrap` decided before it writes a file: the names of the
 * three DLLs, the exports it intercepts and their prototypes. The writers only
 * format this; all checks happen while the plan is built (wrap_command.c). */
#ifndef SHIMGEN_WRAP_PLAN_H
#define SHIMGEN_WRAP_PLAN_H

#include <stdbool.h>
#include <stddef.h>

#include "pe_exports.h"
#include "pe_image.h"
#include "prototype.h"

#define WRAP_NAME_MAX 128

typedef struct intercept {
    const pe_export *target;
    /* What the front's record and the worker's log call it: the export name,
     * or "#3" for an ordinal-only export. */
    char display_name[PE_EXPORT_NAME_MAX + 1];
    /* The name used in C for this export: the export name when it is a C
     * identifier, else a sanitised form (ordinal_3 for ordinal-only exports). */
    char c_name[PE_EXPORT_NAME_MAX + 32];
    bool has_prototype; /* false: the stub uses the placeholder prototype */
    prototype signature;
} intercept;

typedef struct wrap_plan {
    const char *input_path;
    const pe_image *image;
    const pe_export_table *table;
    /* "legacy": the front is legacy.dll, the original legacy_orig.dll, the
     * worker legacy_worker.dll. */
    char front_name[WRAP_NAME_MAX];
    char original_name[WRAP_NAME_MAX + 8];
    char worker_name[WRAP_NAME_MAX + 8];
    /* front_name made safe for C and CMake identifiers. */
    char identifier[WRAP_NAME_MAX];
    intercept *intercepts;
    size_t intercept_count;
    const char *twinshim_source_dir;
    bool is_known_dll;
} wrap_plan;

/* The intercept for `entry`, or NULL when it is forwarded. */
const intercept *wrap_plan_intercept_of(const wrap_plan *plan, const pe_export *entry);

#endif
