#include <windows.h>

#include "fault_injection.h"

#ifdef SHIM_FAULT_INJECTION

/* Per module. Attaches and session starts run one at a time, under the
 * loader lock, so plain variables suffice. */
static long fault_target[SHIM_FAULT_CHANNELS];
static long fault_points_passed[SHIM_FAULT_CHANNELS];

void shim__fault_begin(shim_fault_channel channel, const wchar_t *variable)
{
    wchar_t text[16];
    DWORD length = GetEnvironmentVariableW(variable, text, 16);

    fault_points_passed[channel] = 0;
    fault_target[channel] = length > 0 && length < 16 ? wcstol(text, NULL, 10) : 0;
}

int shim__fault_now(shim_fault_channel channel)
{
    return fault_target[channel] > 0 && ++fault_points_passed[channel] == fault_target[channel];
}

#else
/* ISO C forbids an empty translation unit. */
typedef int shim__fault_injection_disabled;
#endif
