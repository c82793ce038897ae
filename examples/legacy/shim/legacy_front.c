/* The front for legacy.dll: legacy_add still returns the original's result,
 * and each call hands one audit record to the worker. The other code exports
 * jump straight to the original, through slots bound at attach. */
#include <windows.h>

#include "twinshim/front.h"

#include "audit_record.h"

typedef int (*legacy_add_function)(int a, int b);

/* Filled by the runtime at attach, before the host can call any export, from
 * the copy of legacy_orig.dll it loaded by absolute path. The jump stubs'
 * slots are not static: the stubs' assembly names them. */
static FARPROC original_legacy_add;
FARPROC legacy_version_slot;
FARPROC legacy_ordinal_3_slot;

static const shim_front_binding legacy_bindings[] = {
    { "legacy_add", &original_legacy_add },
    { "legacy_version", &legacy_version_slot },
    { MAKEINTRESOURCEA(3), &legacy_ordinal_3_slot },
};

/* Exported by legacy_front.def under the original's names and ordinals. */
SHIM_FRONT_JUMP_STUB(legacy_version_stub, legacy_version_slot);
SHIM_FRONT_JUMP_STUB(legacy_ordinal_3_stub, legacy_ordinal_3_slot);

const shim_front_config shim_front_configuration = {
    .worker_file_name = L"legacy_worker.dll",
    .original_file_name = L"legacy_orig.dll",
    .bindings = legacy_bindings,
    .binding_count = sizeof legacy_bindings / sizeof legacy_bindings[0],
};

int legacy_add(int a, int b);
int legacy_add(int a, int b)
{
    legacy_add_function original = (legacy_add_function)(void (*)(void))original_legacy_add;
    audit_record record;

    record.a = a;
    record.b = b;
    record.result = original(a, b);
    record.thread_id = shim_current_thread_id();
    /* Pass-through when the worker is missing: the call itself still works. */
    shim_front_post(&record, sizeof record);
    return record.result;
}
