/* `shimgen wrap`: reads a DLL, decides the plan, writes the project. */
#ifndef SHIMGEN_WRAP_COMMAND_H
#define SHIMGEN_WRAP_COMMAND_H

#include <stdbool.h>
#include <stdio.h>

#include "error_message.h"
#include "pe_exports.h"
#include "pe_image.h"
#include "wrap_plan.h"

typedef struct wrap_request {
    const char *input_path;
    const char *output_directory;
    const char *name;                   /* NULL: the input's file name without extension */
    const char *const *intercept_lists; /* each "SYMBOL,#ORDINAL,..." */
    size_t intercept_list_count;
    const char *const *prototypes; /* each "int f(int a)" */
    size_t prototype_count;
    const char *twinshim_source_dir;
    bool force; /* overwrite files that exist */
} wrap_request;

/* Checks the request against the export table and fills `plan`. Returns 0,
 * SHIMGEN_EXIT_BAD_REQUEST or SHIMGEN_EXIT_INTERNAL. Free the plan with
 * wrap_plan_free even on failure. Warnings go to `warnings` (may be NULL). */
int wrap_build_plan(const wrap_request *request, const pe_image *image, const pe_export_table *table,
                    wrap_plan *plan, FILE *warnings, error_message *error);

void wrap_plan_free(wrap_plan *plan);

/* The whole command. Returns a shimgen exit code. */
int wrap_run(const wrap_request *request, FILE *warnings, error_message *error);

#endif
