#include <stddef.h>

#include "known_dlls.h"
#include "names.h"

/* HKLM\System\CurrentControlSet\Control\Session Manager\KnownDLLs on
 * Windows 10 and 11, plus ntdll and kernelbase, which are always mapped
 * before any program code runs and so cannot be replaced either. The list
 * differs between Windows versions; a name missing here only loses a warning. */
static const char *const known_dlls[] = {
    "advapi32", "clbcatq", "combase",  "comdlg32",   "coml2",  "difxapi",  "gdi32",    "gdiplus",
    "imagehlp", "imm32",   "kernel32", "kernelbase", "msctf",  "msvcrt",   "normaliz", "nsi",
    "ntdll",    "ole32",   "oleaut32", "psapi",      "rpcrt4", "sechost",  "setupapi", "shcore",
    "shell32",  "shlwapi", "user32",   "wldap32",    "wow64",  "wow64cpu", "wow64win", "ws2_32",
};

bool is_known_dll(const char *name)
{
    for (size_t index = 0; index < sizeof known_dlls / sizeof known_dlls[0]; index++)
        if (names_equal_ignoring_case(name, known_dlls[index]))
            return true;
    return false;
}
