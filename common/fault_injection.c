#include <windows.h>

#include "fault_injection.h"

#ifdef SHIM_FAULT_INJECTION

/* Per module. Attaches and session starts run one at a time, under the
 * loader lock, so plain variables suffice; the later point (a delivery
 * timer) is failed by tests that make nothing else at the same time. */
static long fault_target;
static long fault_points_passed;

void shim__fault_begin(const wchar_t *variable)
{
    wchar_t text[16];
    DWORD length = GetEnvironmentVariableW(variable, text, 16);

    fault_points_passed = 0;
    fault_target = length > 0 && length < 16 ? wcstol(text, NULL, 10) : 0;
}

long shim__fault_limit(const wchar_t *variable)
{
    wchar_t text[16];
    DWORD length = GetEnvironmentVariableW(variable, text, 16);

    return length > 0 && length < 16 ? wcstol(text, NULL, 10) : -1;
}

int shim__fault_now(void)
{
    return fault_target > 0 && ++fault_points_passed == fault_target;
}

#else
/* ISO C forbids an empty translation unit. */
typedef int shim__fault_injection_disabled;
#endif
