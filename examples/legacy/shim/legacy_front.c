/* The front for legacy.dll: legacy_add still returns the original's result,
 * and each call hands one audit record to the worker. */
#include <windows.h>

#include "twinshim/front.h"

#include "audit_record.h"

typedef int (*legacy_add_function)(int a, int b);

const shim_front_config shim_front_configuration = {
    .worker_file_name = L"legacy_worker.dll",
    .original_file_name = L"legacy_orig.dll",
    .stop_policy = SHIM_STOP_DRAIN,
    .max_threads = 2,
};

/* Looked up once; host threads may race here, and all store the same value. */
static legacy_add_function original_legacy_add(void)
{
    static void *volatile cached;
    void *original = InterlockedCompareExchangePointer(&cached, NULL, NULL);

    if (original == NULL) {
        original = (void *)shim_front_original_symbol("legacy_add");
        InterlockedExchangePointer(&cached, original);
    }
    return (legacy_add_function)(void (*)(void))original;
}

int legacy_add(int a, int b);
int legacy_add(int a, int b)
{
    legacy_add_function original = original_legacy_add();
    audit_record record;

    if (original == NULL)
        return 0; /* cannot happen: the front refuses to attach without its original */
    record.a = a;
    record.b = b;
    record.result = original(a, b);
    record.thread_id = GetCurrentThreadId();
    /* Pass-through when the worker is missing: the call itself still works. */
    shim_front_post(&record, sizeof record);
    return record.result;
}
