/* The export table of a PE file, as dumpbin /exports lists it: one entry per
 * exported name, plus one entry per ordinal that has no name, sorted by
 * ordinal. A function with two names (an alias) gives two entries with the
 * same ordinal. Empty slots of the address table (RVA 0) are not exports. */
#ifndef SHIMGEN_PE_EXPORTS_H
#define SHIMGEN_PE_EXPORTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error_message.h"
#include "pe_image.h"

/* Longest export name or forwarder accepted. Real ones are far shorter (C++
 * names reach a few hundred bytes); the cap stops a missing terminator from
 * turning a name into megabytes of output. */
#define PE_EXPORT_NAME_MAX 4096

typedef struct pe_export {
    uint32_t ordinal;
    const char *name;      /* NULL for an ordinal-only export */
    uint32_t rva;          /* for a forwarder, the RVA of its string */
    bool is_data;          /* the RVA lies in a section that is not executable */
    const char *forwarder; /* "DLL.name" or "DLL.#ordinal", or NULL */
} pe_export;

typedef struct pe_export_table {
    const char *dll_name; /* the name the DLL was linked as, or NULL */
    uint32_t ordinal_base;
    size_t count;
    pe_export *entries; /* strings point into the image's bytes */
} pe_export_table;

/* Reads the export table. Returns 0, SHIMGEN_EXIT_MALFORMED or
 * SHIMGEN_EXIT_INTERNAL (out of memory). A file without an export directory
 * gives an empty table. Free with pe_export_table_free even on failure. */
int pe_read_exports(const pe_image *image, pe_export_table *table, error_message *error);

void pe_export_table_free(pe_export_table *table);

/* The entry for `name`, or NULL. */
const pe_export *pe_find_export_by_name(const pe_export_table *table, const char *name);

/* The first entry with `ordinal`, or NULL. */
const pe_export *pe_find_export_by_ordinal(const pe_export_table *table, uint32_t ordinal);

#endif
