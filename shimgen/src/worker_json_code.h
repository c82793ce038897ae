/* What worker_writer.c writes into every generated worker: the JSON line of
 * a record (format_record) and its one writer (write_line). */
#ifndef SHIMGEN_WORKER_JSON_CODE_H
#define SHIMGEN_WORKER_JSON_CODE_H

#include <stddef.h>

extern const char *const worker_json_code[];
extern const size_t worker_json_code_lines;

#endif
