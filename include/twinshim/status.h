/* twinshim status codes: every framework function returns one of these.
 * Zero is success; errors are negative, so `if (status < 0)` tests failure.
 * Each code has one meaning, the same from every function. */
#ifndef TWINSHIM_STATUS_H
#define TWINSHIM_STATUS_H

#ifdef __cplusplus
extern "C" {
#endif

typedef enum shim_status {
    SHIM_OK = 0,
    SHIM_E_INVALID_ARGUMENT = -1,   /* a NULL or out-of-range argument */
    SHIM_E_OUT_OF_MEMORY = -2,      /* an allocation failed; nothing was queued */
    SHIM_E_STOPPING = -3,           /* the session is stopping: work refused */
    SHIM_E_START_FAILED = -4,       /* the plugin's start hook failed */
    SHIM_E_WORKER_MISSING = -5,     /* no worker DLL in the front's folder */
    SHIM_E_WORKER_LOAD_FAILED = -6, /* the worker file exists but did not load */
    SHIM_E_WORKER_INVALID = -7,     /* the worker has no twinshim entry point */
    SHIM_E_VERSION_MISMATCH = -8,   /* the worker speaks another protocol version */
    SHIM_E_SYSTEM = -9,             /* a Windows call failed: GetLastError() holds its error */
    SHIM_E_PASS_THROUGH = -10,      /* the front has no session: work not sent */
    SHIM_E_ORIGINAL_MISSING = -11,  /* the renamed original DLL is not there */
    SHIM_E_PATH_TOO_LONG = -12,     /* the front's folder path does not fit */
    SHIM_E_NOT_FOUND = -13,         /* the original has no such export, or there is no original */
    SHIM_E_CLOSED = -14,            /* the handle was closed: nothing started */
    SHIM_E_TOO_LARGE = -15,         /* larger than the message limit, or than can be represented */
    SHIM_E_PROCESS_EXITING = -16,   /* the process is exiting and the message was not handed over */
    SHIM_E_FULL = -17               /* the journal (or a sink) is full: the message was dropped, counted */
} shim_status;

/* A short constant English description of `status`; never NULL. */
const char *shim_status_text(int status);

#ifdef __cplusplus
}
#endif

#endif
