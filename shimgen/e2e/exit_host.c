/* A program for the process-exit end-to-end test: it takes legacy.dll from
 * its import table, calls legacy_add a given number of times and returns from
 * main at once, with no FreeLibrary: the records still queued in the worker
 * meet the process exit.
 * With LOG, it first waits (up to 30 s) until the worker has written its first
 * line there: a process that exits before the worker's on_start has returned
 * has no plugin to hand its records to, and the test is about the records of
 * a running worker.
 * Usage: exit_host.exe CALLS [LOG] */
#include <stdio.h>
#include <stdlib.h>

#include <windows.h>

__declspec(dllimport) int legacy_add(int a, int b);

/* Whether `path` holds at least one byte, within 30 s. */
static int wait_for_first_line(const char *path)
{
    for (DWORD start = GetTickCount(); GetTickCount() - start < 30000; Sleep(1)) {
        WIN32_FILE_ATTRIBUTE_DATA data;

        if (GetFileAttributesExA(path, GetFileExInfoStandard, &data) &&
            (data.nFileSizeLow | data.nFileSizeHigh) != 0)
            return 1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    int calls;
    int wrong = 0;
    int first = 0;

    if (argc < 2 || argc > 3 || (calls = atoi(argv[1])) <= 0) {
        fprintf(stderr, "usage: exit_host CALLS [LOG]\n");
        return 2;
    }
    if (argc == 3) {
        wrong += legacy_add(0, 0) != 0;
        first = 1;
        if (!wait_for_first_line(argv[2])) {
            fprintf(stderr, "exit_host: the worker wrote nothing to %s in 30 s\n", argv[2]);
            return 1;
        }
    }
    for (int call = first; call < calls; call++)
        wrong += legacy_add(call, 10 * call) != 11 * call;
    printf("calls made: %d, wrong results: %d\n", calls, wrong);
    return wrong == 0 ? 0 : 1;
}
