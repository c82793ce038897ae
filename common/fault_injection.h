/* Test-only fault injection. Built in only when SHIM_FAULT_INJECTION is
 * defined (the option TWINSHIM_FAULT_INJECTION, on in the test preset, never
 * in release or in the installed package); otherwise every check is a
 * constant 0 and the compiler removes it.
 *
 * Each resource acquisition on the attach path is a numbered fault point,
 * and so is one a session makes later (its delivery timer). When the
 * environment variable given to shim__fault_begin holds N, the N-th point
 * reached after that call fails as if the system had refused it. */
#ifndef TWINSHIM_FAULT_INJECTION_H
#define TWINSHIM_FAULT_INJECTION_H

#include <wchar.h>

#ifdef SHIM_FAULT_INJECTION
void shim__fault_begin(const wchar_t *variable);
int shim__fault_now(void);
/* A limit a test sets on a resource the runtime takes after attach (such
 * as a queue's blocks): the variable's number, or -1 when it is not set. */
long shim__fault_limit(const wchar_t *variable);
#else
static inline void shim__fault_begin(const wchar_t *variable)
{
    (void)variable;
}
static inline int shim__fault_now(void)
{
    return 0;
}
static inline long shim__fault_limit(const wchar_t *variable)
{
    (void)variable;
    return -1;
}
#endif

/* The value of `call`, or `failure` (with ERROR_NOT_ENOUGH_MEMORY as the last
 * error) when this fault point is the one chosen to fail. */
#define SHIM__FAULTABLE(call, failure) \
    (shim__fault_now() ? (SetLastError(ERROR_NOT_ENOUGH_MEMORY), (failure)) : (call))

#endif
