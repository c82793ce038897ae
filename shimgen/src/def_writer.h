/* Writes the front's module-definition (.def) file.
 *
 * GNU ld and lld ignore `#pragma comment(linker, "/export:...")`, so every
 * export of the front, forwarded or not, is listed here:
 *   name = original.name @n              forwarded by name
 *   shimgen_ordinal_n = "original.#n" @n NONAME   forwarded by ordinal (ordinal-only export)
 *   name = DLL.target @n                 an existing forwarder, kept as it is
 *   name = wrapped_c_name @n             intercepted: the stub in the front
 * Each line keeps the original's ordinal and its NONAME and DATA attributes.
 * A second name for the same ordinal (an alias) is listed without an ordinal,
 * because ld allows each ordinal once: importers by name still find it. */
#ifndef SHIMGEN_DEF_WRITER_H
#define SHIMGEN_DEF_WRITER_H

#include <stdbool.h>
#include <stdio.h>

#include "wrap_plan.h"

/* The plan has already refused names a .def file cannot hold. */
void def_write(FILE *out, const wrap_plan *plan);

/* True when `text` must be quoted in a .def file: it is not made of
 * identifier characters (plus '.' when allow_dot), or it is a .def keyword. */
bool def_needs_quotes(const char *text, bool allow_dot);

#endif
