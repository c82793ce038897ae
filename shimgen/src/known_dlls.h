/* Windows' KnownDLLs: DLLs the loader maps from its own section object,
 * ignoring a file of the same name in the program's folder. A sibling front
 * cannot replace them, so `shimgen wrap` warns. */
#ifndef SHIMGEN_KNOWN_DLLS_H
#define SHIMGEN_KNOWN_DLLS_H

#include <stdbool.h>

/* `name` without ".dll", compared without case. */
bool is_known_dll(const char *name);

#endif
