/* Writes the worker plugin skeleton (<name>_worker.c). It already does one
 * useful, testable thing: it writes one JSON record per intercepted call,
 * from a pool thread, through twinshim's sink library to the target that
 * the environment variable names.log_variable names (else the project's
 * default): a JSON Lines file, or rsyslog over RELP (relp://HOST:PORT).
 * Replace on_message with the real work. */
#ifndef SHIMGEN_WORKER_WRITER_H
#define SHIMGEN_WORKER_WRITER_H

#include <stdio.h>

#include "wrap_plan.h"

void worker_write_source(FILE *out, const wrap_plan *plan);

#endif
