/* Writes the original's resources as a 32-bit .res file (IDENT.res), which
 * the generated CMakeLists.txt turns into an object with windres and links
 * into the front: a host that loads resources through the front's module
 * handle (FindResource, LoadString, LoadRegTypeLib) gets the original's
 * bytes. */
#ifndef SHIMGEN_RES_WRITER_H
#define SHIMGEN_RES_WRITER_H

#include <stdio.h>

#include "wrap_plan.h"

/* `out` must be open in binary mode. */
void res_write(FILE *out, const wrap_plan *plan);

#endif
