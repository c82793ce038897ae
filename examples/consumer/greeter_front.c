/* The front: greet() answers at once and leaves the bookkeeping to the worker.
 *
 * This source is compiled with UNICODE (CMakeLists.txt), the worker's without:
 * each target's TEXT() and generic Win32 names are its own choice. */
#include <string.h>

#include <windows.h>

#include "twinshim/front.h"

_Static_assert(sizeof(TCHAR) == sizeof(wchar_t), "UNICODE, defined by this target, must make TCHAR wide");

const shim_front_config shim_front_configuration = {
    .worker_file_name = TEXT("greeter_worker.dll"), /* a wchar_t string only under UNICODE */
};

int greet(const char *name);
int greet(const char *name)
{
    size_t length = name != NULL ? strlen(name) : 0;

    shim_front_post(name, length); /* copied: the caller keeps its string */
    return (int)length;
}
