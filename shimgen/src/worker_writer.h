/* Writes the worker plugin skeleton (<name>_worker.c). It already does one
 * useful, testable thing: when the environment variable names.log_variable names
 * a file, it appends one line per intercepted call there, from a pool thread.
 * Replace on_message with the real work. */
#ifndef SHIMGEN_WORKER_WRITER_H
#define SHIMGEN_WORKER_WRITER_H

#include <stdio.h>

#include "wrap_plan.h"

void worker_write_source(FILE *out, const wrap_plan *plan);

#endif
