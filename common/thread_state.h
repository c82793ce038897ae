/* What a thread's id says of it without waiting: the journal's stuck-claim
 * skip and the file sink's exit path both ask whether a thread that holds
 * something will ever let it go. */
#ifndef TWINSHIM_THREAD_STATE_H
#define TWINSHIM_THREAD_STATE_H

#include <windows.h>

/* True when thread `id` has ended (or no longer exists): it will never run
 * again. A zero-timeout wait asks, it does not wait. */
BOOL shim__thread_has_ended(DWORD id);

#endif
