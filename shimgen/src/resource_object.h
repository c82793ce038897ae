/* Writes the original's resources as a COFF object (IDENT_resources.obj)
 * holding one .rsrc section: the directory tree in the original's order, then
 * every resource's bytes as they are. The linker takes it as it takes
 * windres's or cvtres's output. Written here rather than by windres from a
 * .res file because windres parses the resources it knows (a version
 * resource whose length fields disagree with its size, as real DLLs ship, is
 * refused) and writes them out again; this copies them byte for byte. */
#ifndef SHIMGEN_RESOURCE_OBJECT_H
#define SHIMGEN_RESOURCE_OBJECT_H

#include <stdio.h>

#include "wrap_plan.h"

/* A COFF section counts its relocations, one per resource, in 16 bits. */
#define PE_RESOURCES_IN_OBJECT_MAX 65534u

/* `out` must be open in binary mode; the plan has resources. */
void resource_object_write(FILE *out, const wrap_plan *plan);

#endif
