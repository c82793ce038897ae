/* The front of the echo example: a plugin DLL with no original to wrap. The
 * host loads it, and the worker serves TCP echo on thread-pool I/O until the
 * host frees it. The session's settings are the worker's (echo_worker.c). */
#include <windows.h>

#include "twinshim/front.h"

const shim_front_config shim_front_configuration = {
    .worker_file_name = L"echo_worker.dll",
    .original_file_name = NULL,
};

int echo_front_status(unsigned long *system_error);
int echo_front_status(unsigned long *system_error)
{
    return shim_front_status(system_error);
}

int echo_front_get_counters(shim_session_counters *counters);
int echo_front_get_counters(shim_session_counters *counters)
{
    return shim_front_get_counters(counters);
}
