/* Loads a front by its path and unloads it, then waits until its worker has
 * left: the front's session starts, delivers first what earlier runs of the
 * same front left in the journal (runs that exited before their worker had
 * started), drains, and ends. So a test reads every run's records after it.
 * Usage: drain_host.exe FRONT_PATH WORKER_FILE_NAME */
#include <stdio.h>

#include <windows.h>

#define DEADLINE_MS 60000
#define POLL_MS 10

int wmain(int argc, wchar_t **argv)
{
    HMODULE front;
    DWORD waited = 0;

    if (argc != 3) {
        fputs("usage: drain_host.exe FRONT_PATH WORKER_FILE_NAME\n", stderr);
        return 2;
    }
    front = LoadLibraryExW(argv[1], NULL, LOAD_WITH_ALTERED_SEARCH_PATH);
    if (front == NULL) {
        fprintf(stderr, "drain_host: cannot load %ls (error %lu)\n", argv[1], GetLastError());
        return 2;
    }
    FreeLibrary(front);
    while (GetModuleHandleW(argv[2]) != NULL) {
        if (waited >= DEADLINE_MS) {
            fprintf(stderr, "drain_host: %ls still loaded after %u ms\n", argv[2], DEADLINE_MS);
            return 3;
        }
        Sleep(POLL_MS);
        waited += POLL_MS;
    }
    return 0;
}
