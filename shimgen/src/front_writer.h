/* Writes the front's C source (<name>_front.c): the twinshim configuration,
 * one stub per intercepted export, and the record the stubs post.
 *
 * Each intercepted export gets a slot that the runtime fills at attach
 * (shim_front_configuration.bindings); its stub calls the original through
 * that slot, cast to the stub's type, with no lookup per call, keeps the original's return value and last
 * error, and posts a copy of one call record to the worker. The prototype is
 * the one given with --prototype; without one the stub gets a placeholder
 * (four pointer-sized integer arguments, a pointer-sized integer result),
 * which is right for x64 functions taking at most four integer or pointer
 * arguments and returning an integer, a pointer or nothing. The generated
 * comment says to replace it for anything else. */
#ifndef SHIMGEN_FRONT_WRITER_H
#define SHIMGEN_FRONT_WRITER_H

#include <stdio.h>

#include "wrap_plan.h"

void front_write_source(FILE *out, const wrap_plan *plan);

/* <name>_call_record.h: what a stub sends the worker, shared by both DLLs. */
void front_write_record_header(FILE *out, const wrap_plan *plan);

#endif
