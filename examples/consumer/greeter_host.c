/* Loads greeter.dll from its own folder, greets three names, frees it, and
 * checks that the worker wrote three lines and left. Exit code 0 on success. */
#include <stdio.h>

#include <windows.h>

typedef int (*greet_function)(const char *name);

int main(void)
{
    static const char *const names[] = { "Ada", "Grace", "Barbara" };
    char log_path[MAX_PATH];
    char line[64];
    wchar_t folder[MAX_PATH];
    wchar_t path[MAX_PATH];
    DWORD length = GetModuleFileNameW(NULL, folder, MAX_PATH);
    HMODULE greeter;
    greet_function greet;
    FILE *log;
    int lines = 0;

    while (length > 0 && folder[length - 1] != L'\\')
        folder[--length] = L'\0';
    _snwprintf(path, MAX_PATH, L"%lsgreeter.dll", folder);
    snprintf(log_path, sizeof log_path, "%ls", folder);
    strncat(log_path, "greetings.log", sizeof log_path - strlen(log_path) - 1);
    DeleteFileA(log_path);
    SetEnvironmentVariableA("GREETER_LOG", log_path);

    greeter = LoadLibraryW(path);
    greet = greeter != NULL ? (greet_function)(void (*)(void))GetProcAddress(greeter, "greet") : NULL;
    if (greet == NULL) {
        printf("cannot load greeter.dll: error %lu\n", GetLastError());
        return 2;
    }
    for (int i = 0; i < 3; i++)
        printf("greet(%s) = %d\n", names[i], greet(names[i]));
    FreeLibrary(greeter);

    /* The worker drains on its own thread after FreeLibrary: allow it 30 s. */
    for (DWORD start = GetTickCount(); GetModuleHandleW(L"greeter_worker.dll") != NULL; Sleep(1)) {
        if (GetTickCount() - start > 30000) {
            printf("greeter_worker.dll is still loaded\n");
            return 3;
        }
    }
    log = fopen(log_path, "r");
    while (log != NULL && fgets(line, sizeof line, log) != NULL)
        lines++;
    if (log != NULL)
        fclose(log);
    printf("lines written by the worker: %d, greeter_worker.dll unloaded\n", lines);
    return lines == 3 ? 0 : 1;
}
