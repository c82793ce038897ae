/* Writes the front's C source (<name>_front.c): the twinshim configuration
 * with one binding per stub (a slot the runtime fills at attach, so no stub
 * looks anything up per call), the typed stubs of the intercepts given a
 * --prototype (they call the original through the slot, keep its result and
 * last error, and post a record), and <name>_observe_call, which the
 * observing stubs of stub_writer.c call to post a record of the raw
 * registers. Also the record both DLLs share. */
#ifndef SHIMGEN_FRONT_WRITER_H
#define SHIMGEN_FRONT_WRITER_H

#include <stdio.h>

#include "wrap_plan.h"

void front_write_source(FILE *out, const wrap_plan *plan);

/* <name>_call_record.h: what a stub sends the worker, shared by both DLLs. */
void front_write_record_header(FILE *out, const wrap_plan *plan);

/* The generated front carries FRONT_CHECK_TAG "WORKER;original=ORIGINAL" as
 * a UTF-16 string: how `shimgen check` finds a front and the files it loads. */
#define FRONT_CHECK_TAG "twinshim:worker="

#endif
