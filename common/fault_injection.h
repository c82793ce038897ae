/* Test-only fault injection. Built in only when SHIM_FAULT_INJECTION is
 * defined (the option TWINSHIM_FAULT_INJECTION, on in the test preset, never
 * in release or in the installed package); otherwise every check is a
 * constant 0 and the compiler removes it.
 *
 * Each resource acquisition on the attach path is a numbered fault point of
 * a channel: the attach's own (the front's, then the session's), and the
 * journal's, whose failures a session survives on memory, so that tests
 * fail each in turn apart. When the environment variable given to
 * shim__fault_begin for a channel holds N, the N-th point of that channel
 * reached after that call fails as if the system had refused it. */
#ifndef TWINSHIM_FAULT_INJECTION_H
#define TWINSHIM_FAULT_INJECTION_H

#include <wchar.h>

typedef enum shim_fault_channel {
    SHIM_FAULTS_ATTACH,
    SHIM_FAULTS_JOURNAL,
    SHIM_FAULT_CHANNELS
} shim_fault_channel;

#ifdef SHIM_FAULT_INJECTION
void shim__fault_begin(shim_fault_channel channel, const wchar_t *variable);
int shim__fault_now(shim_fault_channel channel);
#else
static inline void shim__fault_begin(shim_fault_channel channel, const wchar_t *variable)
{
    (void)channel;
    (void)variable;
}
static inline int shim__fault_now(shim_fault_channel channel)
{
    (void)channel;
    return 0;
}
#endif

/* The value of `call`, or `failure` (with ERROR_NOT_ENOUGH_MEMORY as the last
 * error) when this fault point of `channel` is the one chosen to fail. */
#define SHIM__FAULTABLE_ON(channel, call, failure) \
    (shim__fault_now(channel) ? (SetLastError(ERROR_NOT_ENOUGH_MEMORY), (failure)) : (call))
#define SHIM__FAULTABLE(call, failure) SHIM__FAULTABLE_ON(SHIM_FAULTS_ATTACH, call, failure)

#endif
