/* An unchanged program for the Wine DLL end-to-end test: it loads
 * version.dll by name (as real programs do), calls an export the shim
 * intercepts and one that version.dll already forwards to kernel32, frees
 * it, and reports whether any module from its own folder stayed loaded.
 * Its output must not depend on whether version.dll is wrapped. */
#include <stdio.h>
#include <wchar.h>

#include <windows.h>
#include <tlhelp32.h>

typedef DWORD(WINAPI *size_function)(const wchar_t *file_name, DWORD *handle);
typedef DWORD(WINAPI *language_function)(DWORD language, wchar_t *name, DWORD size);

static int exe_folder(wchar_t *folder, DWORD capacity)
{
    DWORD length = GetModuleFileNameW(NULL, folder, capacity);

    if (length == 0 || length >= capacity)
        return 0;
    while (length > 0 && folder[length - 1] != L'\\')
        folder[--length] = L'\0';
    return length > 0;
}

/* Counts modules, other than this program, loaded from `folder`; names them
 * when `print` is set. */
static int modules_left_in(const wchar_t *folder, int print)
{
    HANDLE snapshot = CreateToolhelp32Snapshot(TH32CS_SNAPMODULE, 0);
    MODULEENTRY32W entry = { .dwSize = sizeof entry };
    size_t folder_length = wcslen(folder);
    HMODULE self = GetModuleHandleW(NULL);
    int count = 0;

    if (snapshot == INVALID_HANDLE_VALUE)
        return -1;
    for (BOOL more = Module32FirstW(snapshot, &entry); more; more = Module32NextW(snapshot, &entry)) {
        if (entry.hModule != self && _wcsnicmp(entry.szExePath, folder, folder_length) == 0) {
            count++;
            if (print)
                printf("  still loaded: %ls\n", entry.szModule);
        }
    }
    CloseHandle(snapshot);
    return count;
}

int main(void)
{
    wchar_t folder[MAX_PATH];
    wchar_t self_path[MAX_PATH];
    wchar_t system_path[MAX_PATH];
    wchar_t language[128];
    HMODULE version;
    size_function size_of;
    language_function language_name;
    DWORD handle = 0;
    DWORD size;
    int left = -1;

    setvbuf(stdout, NULL, _IONBF, 0);
    if (!exe_folder(folder, MAX_PATH) || GetModuleFileNameW(NULL, self_path, MAX_PATH) == 0 ||
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

    /* The worker may still be draining when FreeLibrary returns: poll for
     * up to ten seconds for it to leave. */
    for (DWORD start = GetTickCount(); GetTickCount() - start < 10000; Sleep(10)) {
        left = modules_left_in(folder, 0);
        if (left == 0)
            break;
    }
    printf("after FreeLibrary: modules from this folder still loaded: %d\n", left);
    if (left != 0)
        modules_left_in(folder, 1);
    return left != 0;
}
