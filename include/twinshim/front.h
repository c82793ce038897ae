/* twinshim front API: what a front DLL's own code uses.
 *
 * A front DLL is the DLL the legacy host loads. It is the twinshim front
 * runtime (which supplies DllMain) plus the front's own code: one
 * shim_front_configuration definition, and the exports it intercepts.
 *
 * At DLL_PROCESS_ATTACH the runtime loads the original DLL and the worker DLL
 * by absolute path from the front's own folder (never the DLL search path or
 * the current directory) and starts a worker session. At DLL_PROCESS_DETACH it
 * only signals that session to stop. If the worker is missing or unusable the
 * front still loads: it runs in pass-through mode, where intercepted exports
 * still call the original and shim_front_post reports SHIM_E_PASS_THROUGH.
 */
#ifndef TWINSHIM_FRONT_H
#define TWINSHIM_FRONT_H

#include <stddef.h>
#include <wchar.h>

#include <windows.h>

#include "twinshim/status.h"
#include "twinshim/worker.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct shim_front_config {
    /* File name of the worker DLL, in the front's own folder. Required. */
    const wchar_t *worker_file_name;
    /* File name of the renamed original DLL, in the front's own folder, or
     * NULL when the front wraps nothing. If set and missing, the front fails
     * to load: it cannot serve the exports it forwards. */
    const wchar_t *original_file_name;
    shim_stop_policy stop_policy;
    unsigned max_threads; /* 0: the default (2) */
    /* How long a stop may wait for callbacks before the worker is pinned
     * instead of unloaded (see shim_session_set_stop_deadline). 0: forever. */
    unsigned stop_deadline_ms;
} shim_front_config;

/* Every front defines this once; the runtime's DllMain reads it. */
extern const shim_front_config shim_front_configuration;

/* Sends a copy of payload to the worker plugin's on_message, on a pool thread.
 * Returns SHIM_OK, SHIM_E_PASS_THROUGH when there is no session (nothing is
 * sent), or the worker's refusal (SHIM_E_STOPPING, SHIM_E_OUT_OF_MEMORY...).
 * Any thread; never blocks on the worker's work. */
int shim_front_post(const void *payload, size_t size);

/* Why the front is or is not connected to its worker: SHIM_OK while a session
 * runs, otherwise the reason for pass-through (SHIM_E_WORKER_MISSING,
 * SHIM_E_VERSION_MISMATCH, SHIM_E_START_FAILED...). If system_error is not
 * NULL it receives the Windows error code behind the reason, or 0. The same
 * reason was sent to OutputDebugString when the front attached. */
int shim_front_status(unsigned long *system_error);

/* The address of an export of the original DLL, by name or by ordinal
 * (MAKEINTRESOURCEA(n)), or NULL (with the last error set) when there is no
 * original or no such export. Use it for intercepted exports, which must
 * still call the original. Not from DllMain. */
FARPROC shim_front_original_symbol(const char *name);

/* Changes the session's stop policy (see shim_stop_policy). */
int shim_front_set_stop_policy(shim_stop_policy policy);

/* Changes the session's stop deadline (see shim_session_set_stop_deadline). */
int shim_front_set_stop_deadline(unsigned milliseconds);

/* Copies the session's counters; SHIM_E_PASS_THROUGH without a session. */
int shim_front_get_counters(shim_session_counters *counters);

#ifdef __cplusplus
}
#endif

#endif
