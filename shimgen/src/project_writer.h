/* Writes the generated project's CMakeLists.txt and README.md. */
#ifndef SHIMGEN_PROJECT_WRITER_H
#define SHIMGEN_PROJECT_WRITER_H

#include <stdio.h>

#include "wrap_plan.h"

/* Consumes twinshim with add_subdirectory (TWINSHIM_SOURCE_DIR, a cache
 * variable, holds the absolute path shimgen was built from), with twinshim's
 * own tests, examples and benchmarks off. */
void project_write_cmake(FILE *out, const wrap_plan *plan);

void project_write_readme(FILE *out, const wrap_plan *plan);

#endif
