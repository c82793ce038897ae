/* `shimgen check`: how the front's export table and resources differ from
 * the original's. */
#ifndef SHIMGEN_CHECK_COMPARE_H
#define SHIMGEN_CHECK_COMPARE_H

#include <stddef.h>
#include <stdio.h>

#include "pe_exports.h"
#include "pe_resources.h"

/* One line per difference, the first `most` of them, to `out` (may be NULL),
 * each prefixed by `prefix`. Returns how many differences there are. */
size_t check_compare_exports(const pe_export_table *front, const pe_export_table *original, FILE *out,
                             const char *prefix, size_t most);

/* The original's resources (type, name, language) the front lacks or holds
 * with other bytes, listed like the export differences. */
size_t check_compare_resources(const pe_resource_list *front, const pe_resource_list *original, FILE *out,
                               const char *prefix, size_t most);

#endif
