/* Loads a front by its path and unloads it, then waits until its worker has
 * left: the front's session starts, delivers first what earlier runs of the
 * same front left in the journal (runs that exited before their worker had
 * started), drains, and ends. So a test reads every run's records after it.
 * A sink that delivers after the stop (a file) gets every record so. One
 * that stops with the session (RELP: its records wait in the journal) needs
 * the session to live until they arrived: with HOLD_FILE the front stays
 * loaded until that file exists, which the test creates once the collector
 * has every record.
 * Usage: drain_host.exe FRONT_PATH WORKER_FILE_NAME [HOLD_FILE] */
#include <stdio.h>

#include <windows.h>

#define DEADLINE_MS 60000
#define HOLD_DEADLINE_MS 180000
#define POLL_MS 10

/* Polls for `path` for up to `deadline` ms; 0 when it never appeared. */
static int wait_for_file(const wchar_t *path, DWORD deadline)
{
    for (DWORD waited = 0; GetFileAttributesW(path) == INVALID_FILE_ATTRIBUTES; waited += POLL_MS) {
        if (waited >= deadline)
            return 0;
        Sleep(POLL_MS);
    }
    return 1;
}

int wmain(int argc, wchar_t **argv)
{
    HMODULE front;
    DWORD waited = 0;

    if (argc != 3 && argc != 4) {
        fputs("usage: drain_host.exe FRONT_PATH WORKER_FILE_NAME [HOLD_FILE]\n", stderr);
        return 2;
    }
    front = LoadLibraryExW(argv[1], NULL, LOAD_WITH_ALTERED_SEARCH_PATH);
    if (front == NULL) {
        fprintf(stderr, "drain_host: cannot load %ls (error %lu)\n", argv[1], GetLastError());
        return 2;
    }
    if (argc == 4 && !wait_for_file(argv[3], HOLD_DEADLINE_MS)) {
        fprintf(stderr, "drain_host: no %ls after %u ms; unloading\n", argv[3], HOLD_DEADLINE_MS);
        FreeLibrary(front);
        return 3;
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
