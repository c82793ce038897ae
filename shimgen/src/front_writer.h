/* Writes the front's C source (<name>_front.c): the twinshim configuration
 * with one binding per stub (a slot the runtime fills at attach, so no stub
 * looks anything up per call), <name>_observe_call, which the observing
 * stubs of stub_writer.c call to post a record of the raw registers, and the
 * typed stubs (typed_stub_writer.c). */
#ifndef SHIMGEN_FRONT_WRITER_H
#define SHIMGEN_FRONT_WRITER_H

#include <stdio.h>

#include "wrap_plan.h"

void front_write_source(FILE *out, const wrap_plan *plan);

/* The generated front carries FRONT_CHECK_TAG "WORKER;original=ORIGINAL" as
 * a UTF-16 string: how `shimgen check` finds a front and the files it loads. */
#define FRONT_CHECK_TAG "twinshim:worker="

#endif
