/* The runtime's contract between a front DLL and a worker DLL, which are
 * built and shipped separately. The front finds the worker's one entry point
 * by name, asks for the protocol version it was built with, and gets back a
 * table of functions. Change SHIM_PROTOCOL_VERSION whenever this file changes
 * shape. Not a public header: plugins and fronts never see it. */
#ifndef TWINSHIM_PROTOCOL_H
#define TWINSHIM_PROTOCOL_H

#include <stddef.h>
#include <stdint.h>

#include <windows.h>

#include "twinshim/worker.h"

#define SHIM_PROTOCOL_NUMBER 5
#define SHIM_PROTOCOL_VERSION ((uint32_t)SHIM_PROTOCOL_NUMBER)
/* The same number as text in every front and worker image, for tools that
 * read files without loading them (shimgen check). */
#define SHIM__TEXT_OF(x) #x
#define SHIM__TEXT(x) SHIM__TEXT_OF(x)
#define SHIM_PROTOCOL_TAG "twinshim:protocol=" SHIM__TEXT(SHIM_PROTOCOL_NUMBER)
#define SHIM_WORKER_ENTRY_POINT "shim_worker_connect"
#define SHIM_MAX_HANDED_OVER_MODULES 4

typedef struct shim_session_options {
    /* The front's reference to the worker, from its LoadLibraryExW: taken
     * before the session thread exists, and dropped by that thread, last,
     * with FreeLibraryAndExitThread. Must be the worker's own handle. */
    HMODULE worker_reference;
    /* Other module references the session releases (FreeLibrary) after its
     * drain: the original DLL, since DllMain may not call FreeLibrary.
     * Ownership of these and of worker_reference passes only when
     * start_session succeeds; on failure the caller still owns them. */
    HMODULE handed_over_modules[SHIM_MAX_HANDED_OVER_MODULES];
    unsigned handed_over_count;
    /* The front's own full path: which journals are this front's. */
    const wchar_t *front_path;
    /* The front's configured journal folder, or NULL (front.h). */
    const wchar_t *journal_folder;
} shim_session_options;

typedef struct shim_worker_interface {
    uint32_t protocol_version;

    /* Called from the front's DLL_PROCESS_ATTACH, under the loader lock:
     * allocates the session, its journal, its pool and its session thread,
     * and never waits for another thread. SHIM_E_SYSTEM leaves the failed
     * call's error as the last error. */
    int (*start_session)(const shim_session_options *options, shim_session **session);

    /* Called from the front's DLL_PROCESS_DETACH: sets the stop token and
     * wakes the session thread. No wait, no allocation, no loader call. */
    void (*signal_stop)(shim_session *session);

    /* Copies payload into the journal for the plugin's on_message. */
    int (*post)(shim_session *session, const void *payload, size_t size);

    /* SHIM_OK while the session runs, SHIM_E_START_FAILED if on_start failed,
     * SHIM_E_STOPPING once stopping. */
    int (*session_status)(const shim_session *session);

    int (*get_counters)(const shim_session *session, shim_session_counters *counters);

    /* Process exit, on the exiting thread, inside DllMain: hands what is
     * queued to the plugin's on_exit_message, once per session. Try-locks
     * only, no pool, no wait, no allocation. */
    void (*deliver_at_exit)(shim_session *session);

    /* A post once process exit has begun: what is queued first, then this
     * message, on the calling thread, under the same rules. */
    int (*post_at_exit)(shim_session *session, const void *payload, size_t size);
} shim_worker_interface;

/* The worker's one export. Returns SHIM_OK and sets *worker_interface when
 * the worker speaks requested_version, else SHIM_E_VERSION_MISMATCH. */
typedef int (*shim_worker_connect_function)(uint32_t requested_version,
                                            const shim_worker_interface **worker_interface);

#endif
