/* Prints an export table: a dumpbin-like text table, or a JSON array. */
#ifndef SHIMGEN_EXPORTS_OUTPUT_H
#define SHIMGEN_EXPORTS_OUTPUT_H

#include <stdio.h>

#include "pe_exports.h"
#include "pe_image.h"

/* One header line, then one line per entry:
 *   ordinal  rva       kind       name             [-> forwarder]
 * kind is code, data or forwarder; an ordinal-only export's name is [NONAME].
 * Names never contain spaces, so each column is one field for awk. */
void exports_print_table(FILE *out, const char *file_name, const pe_image *image,
                         const pe_export_table *table);

/* [{"ordinal": 1, "name": "f", "rva": 4096, "data": false, "forwarder": null}, ...]
 * The RVA is a number, so consumers need not parse hex. */
void exports_print_json(FILE *out, const pe_export_table *table);

#endif
