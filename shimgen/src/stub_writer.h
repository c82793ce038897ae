/* Writes <name>_stubs.c: the front's stubs that C cannot express, as
 * top-level assembly for the DLL's own architecture (x86-64 or i686).
 *
 *   jump stub       every code export that is not intercepted: one indirect
 *                   jump through a slot the runtime fills at attach from the
 *                   original it loaded by absolute path. The stack and every
 *                   register are the caller's, so any calling convention
 *                   passes through.
 *   observing stub  an intercepted export without a --prototype: saves the
 *                   argument registers, calls the front's C function
 *                   <name>_observe_call (which posts a record without
 *                   blocking), restores them and tail-jumps to the original
 *                   with the stack as the caller left it. It never returns
 *                   through itself, so it needs no prototype and never pops
 *                   arguments.
 *
 * The slots are defined in <name>_front.c, which lists them in its bindings. */
#ifndef SHIMGEN_STUB_WRITER_H
#define SHIMGEN_STUB_WRITER_H

#include <stdio.h>

#include "wrap_plan.h"

void stub_write_source(FILE *out, const wrap_plan *plan);

#endif
