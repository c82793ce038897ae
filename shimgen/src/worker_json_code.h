/* What worker_writer.c writes into every generated worker: the JSON of a
 * record (format_record), one line of the trace. */
#ifndef SHIMGEN_WORKER_JSON_CODE_H
#define SHIMGEN_WORKER_JSON_CODE_H

#include <stddef.h>

extern const char *const worker_json_code[];
extern const size_t worker_json_code_lines;

#endif
