/* The front: greet() answers at once and leaves the bookkeeping to the worker. */
#include <string.h>

#include "twinshim/front.h"

const shim_front_config shim_front_configuration = {
    .worker_file_name = L"greeter_worker.dll",
};

int greet(const char *name);
int greet(const char *name)
{
    size_t length = name != NULL ? strlen(name) : 0;

    shim_front_post(name, length); /* copied: the caller keeps its string */
    return (int)length;
}
