/* The front: the DLL a program loads. The twinshim runtime linked into it
 * supplies DllMain, which loads myplugin_worker.dll from this DLL's own folder
 * and starts a session; the exports below answer at once and post a record
 * of each call to the worker. */
#include <windows.h>

#include "twinshim/front.h"

#include "myplugin.h"
#include "myplugin_record.h"

const shim_front_config shim_front_configuration = {
    .worker_file_name = L"myplugin_worker.dll",
    .original_file_name = NULL, /* a plugin: it wraps no existing DLL */
    /* Without its worker this front would answer calls and log nothing:
     * refuse to load instead, and say why on standard error. */
    .require_worker = 1,
};

int myplugin_add(int a, int b)
{
    /* The thread id as GetCurrentThreadId gives it, read without the call:
     * a program that calls now and then finds kernel32's pages cold. */
    myplugin_record record = { .a = a, .b = b, .result = a + b, .thread_id = shim_current_thread_id() };

    /* A copy goes to the worker. It never blocks on the worker's work; if the
     * worker refuses (stopping, out of memory) the call still answers. */
    shim_front_post(&record, sizeof record);
    return record.result;
}
