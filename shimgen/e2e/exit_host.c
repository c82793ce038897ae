/* A program for the process-exit end-to-end test: it takes legacy.dll from
 * its import table, calls legacy_add a given number of times and returns from
 * main at once, with no FreeLibrary: the records still queued in the worker
 * meet the process exit.
 * Usage: exit_host.exe CALLS */
#include <stdio.h>
#include <stdlib.h>

__declspec(dllimport) int legacy_add(int a, int b);

int main(int argc, char **argv)
{
    int calls;
    int wrong = 0;

    if (argc != 2 || (calls = atoi(argv[1])) <= 0) {
        fprintf(stderr, "usage: exit_host CALLS\n");
        return 2;
    }
    for (int call = 0; call < calls; call++)
        wrong += legacy_add(call, 10 * call) != 11 * call;
    printf("calls made: %d, wrong results: %d\n", calls, wrong);
    return wrong == 0 ? 0 : 1;
}
