#include "front_state.h"

/* Under the loader lock: signal and return. Waiting here would deadlock with
 * pool threads that need the lock to start or exit. */
void shim__front_detach(const void *reserved)
{
    /* Process exit: other threads are already gone and the pool may be dead,
     * so nothing waits; what is queued goes to the plugin on this thread.
     * The session stays: a later DLL's detach may still post. */
    if (reserved != NULL) {
        if (shim__front.session != NULL)
            shim__front.worker->deliver_at_exit(shim__front.session);
        return;
    }

    if (shim__front.session != NULL) {
        shim__front.worker->signal_stop(shim__front.session);
        shim__front.session = NULL;
    } else if (shim__front.original_release_thread != NULL) {
        ResumeThread(shim__front.original_release_thread);
        CloseHandle(shim__front.original_release_thread);
        shim__front.original_release_thread = NULL;
    }
}
