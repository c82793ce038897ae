/* `wrap --header`: gives each intercepted export that the header declares the
 * header's prototype, as --prototype would, and says why the others keep
 * the observing stub. An export is matched by its name, or, for an i686
 * decorated name, by the C name inside it (f@8, _f@8, @f@8, f@@8); there the
 * declaration must agree with the decoration (the convention, and @N with the
 * bytes of its parameters), or the wrap is refused: a typed stub built from
 * a contradicting declaration would corrupt the caller's stack. */
#ifndef SHIMGEN_HEADER_MATCH_H
#define SHIMGEN_HEADER_MATCH_H

#include <stdio.h>

#include "error_message.h"
#include "wrap_plan.h"

/* Reads request->header and types plan->intercepts that have no --prototype.
 * Returns 0, or SHIMGEN_EXIT_BAD_REQUEST (a missing header or folder, a
 * header that does not parse, a contradicting declaration) or
 * SHIMGEN_EXIT_INTERNAL, with the reason in `error`; clang's further
 * diagnostics go to `warnings`. */
int header_match_apply(const wrap_request *request, wrap_plan *plan, FILE *warnings, error_message *error);

#endif
