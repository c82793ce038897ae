/* Writes <name>_call_record.h, which both generated DLLs include: the record
 * a stub posts for each call (a typed stub's values, or an observing stub's
 * raw registers), and the table of intercepted exports that a record's index
 * points into, with the names of each typed export's parameters. One table,
 * so the front and the worker cannot disagree on what an index means. */
#ifndef SHIMGEN_RECORD_HEADER_WRITER_H
#define SHIMGEN_RECORD_HEADER_WRITER_H

#include <stdio.h>

#include "wrap_plan.h"

void front_write_record_header(FILE *out, const wrap_plan *plan);

#endif
