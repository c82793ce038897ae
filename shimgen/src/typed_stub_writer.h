/* The typed stubs of <name>_front.c: one per intercept with a prototype
 * (--prototype, or a header's declaration). Each calls the original through
 * its slot with that prototype, times the call with the front's record
 * clock, and posts a record of its arguments, result, last error and
 * duration; the host gets the original's result and last error.
 *
 * The stub does not classify types itself: the C compiler does, with
 * _Generic, from the very types the original takes, so a typedef, an enum
 * or a header's macro-made type is recorded as what it is. A `const char *`
 * or `const wchar_t *` is copied, up to a bound, by shimgen_copy_units in
 * <name>_stubs.c, which never faults (an unreadable pointer is recorded as
 * such); no other pointee is read. */
#ifndef SHIMGEN_TYPED_STUB_WRITER_H
#define SHIMGEN_TYPED_STUB_WRITER_H

#include <stdbool.h>
#include <stdio.h>

#include "wrap_plan.h"

/* Whether the plan has a typed stub (and the front the code they share). */
bool typed_stub_any(const wrap_plan *plan);

/* The code the typed stubs share, then each typed stub. */
void typed_stub_write_all(FILE *out, const wrap_plan *plan);

#endif
