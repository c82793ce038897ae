/* An unchanged program for the Wine DLL end-to-end test: it loads
 * version.dll by name (as real programs do), calls an export the shim
 * intercepts and one that version.dll already forwards to kernel32, frees
 * it, and reports whether any module from its own folder stayed loaded.
 * Its output must not depend on whether version.dll is wrapped. */
#include <stdio.h>
#include <wchar.h>

#include <windows.h>

#include "host_modules.h"

typedef DWORD(WINAPI *size_function)(const wchar_t *file_name, DWORD *handle);
typedef DWORD(WINAPI *language_function)(DWORD language, wchar_t *name, DWORD size);

int main(void)
{
    wchar_t self_path[MAX_PATH];
    wchar_t system_path[MAX_PATH];
    wchar_t language[128];
    HMODULE version;
    size_function size_of;
    language_function language_name;
    DWORD handle = 0;
    DWORD size;
    int left;

    setvbuf(stdout, NULL, _IONBF, 0);
    if (GetModuleFileNameW(NULL, self_path, MAX_PATH) == 0 ||
        GetSystemDirectoryW(system_path, MAX_PATH) == 0 ||
        wcscat_s(system_path, MAX_PATH, L"\\kernel32.dll") != 0)
        return 2;
    version = LoadLibraryW(L"version.dll");
    if (version == NULL) {
        printf("LoadLibrary(version.dll) failed: error %lu\n", GetLastError());
        return 2;
    }
    size_of = (size_function)(void (*)(void))GetProcAddress(version, "GetFileVersionInfoSizeW");
    language_name = (language_function)(void (*)(void))GetProcAddress(version, "VerLanguageNameW");
    if (size_of == NULL || language_name == NULL) {
        printf("version.dll lacks an export: error %lu\n", GetLastError());
        return 2;
    }
    size = size_of(system_path, &handle);
    printf("GetFileVersionInfoSizeW(kernel32.dll) %s\n", size > 0 ? "> 0" : "= 0");
    SetLastError(0);
    size = size_of(self_path, &handle);
    printf("GetFileVersionInfoSizeW(this program) = %lu, last error %lu\n", size, GetLastError());
    language_name(0x409, language, 128);
    printf("VerLanguageNameW(0x409) = %ls\n", language);
    FreeLibrary(version);
    left = host_modules_left_after_free();
    return left != 0;
}
