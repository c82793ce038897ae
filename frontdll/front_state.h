/* The front runtime's private state. One copy exists per mapping of the
 * front DLL: an unload unmaps it, so a reload starts from zero. */
#ifndef TWINSHIM_FRONT_STATE_H
#define TWINSHIM_FRONT_STATE_H

#include <windows.h>

#include "twinshim/front.h"

#include "../common/protocol.h"
#include "../common/report.h"

typedef struct front_state {
    int status;         /* SHIM_OK while connected, else why not */
    DWORD system_error; /* the Windows error behind status, or 0 */
    HMODULE original;
    const shim_worker_interface *worker;
    shim_session *session;
    /* worker->post, copied here at attach: a post then reads one line of
     * the front's own data, not also a page of the worker's (a call made
     * now and then finds each page cold). */
    int (*post)(shim_session *session, const void *payload, size_t size);
    /* Pass-through only: created suspended at attach, resumed at detach, it
     * drops the original's reference, which DllMain may not do itself. */
    HANDLE original_release_thread;
    /* ntdll's RtlDllShutdownInProgress, looked up at attach, or NULL: once
     * it says TRUE, posts go to the exit path and never touch the pool. */
    BOOLEAN(NTAPI *shutdown_in_progress)(void);
} front_state;

extern front_state shim__front;

BOOL shim__front_attach(HINSTANCE self);

/* The record clock's lookups and first anchor (front_clock.c), at attach:
 * its first use later takes no loader lock. */
void shim__front_clock_start(void);
void shim__front_detach(const void *reserved);

/* Writes folder_of(self) + file_name into path (capacity in characters).
 * Returns SHIM_OK or SHIM_E_PATH_TOO_LONG / SHIM_E_SYSTEM. */
int shim__sibling_path(HINSTANCE self, const wchar_t *file_name, wchar_t *path, size_t capacity);

/* A thread that will call FreeLibrary(module) and exit, so that a module
 * reference can be dropped outside DllMain. Started suspended or not.
 * Returns its handle, or NULL (the reference then stays held). */
HANDLE shim__module_release_thread(HMODULE module, BOOL start_suspended);

/* Reports "twinshim front: <what>: <status text> (<path>), Windows error N"
 * (common/report.h says where). Allocates nothing. */
void shim__front_report(const char *what, int status, DWORD system_error, const wchar_t *path,
                        shim_report_severity severity);

#endif
