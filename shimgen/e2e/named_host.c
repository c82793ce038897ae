/* A program for the file-name end-to-end test: it loads the DLL named on its
 * command line from its own folder, calls legacy_add a given number of
 * times, frees the DLL and reports whether any module from its folder stayed
 * loaded. Its output must not depend on whether the DLL is wrapped.
 * Usage: named_host.exe FILE_NAME CALLS */
#include <stdio.h>
#include <stdlib.h>

#include <windows.h>

#include "host_modules.h"

typedef int (*add_function)(int a, int b);

int main(int argc, char **argv)
{
    HMODULE library;
    add_function add;
    int calls;
    int wrong = 0;
    int left = -1;

    setvbuf(stdout, NULL, _IONBF, 0);
    if (argc != 3 || (calls = atoi(argv[2])) <= 0) {
        fprintf(stderr, "usage: named_host FILE_NAME CALLS\n");
        return 2;
    }
    library = LoadLibraryA(argv[1]);
    if (library == NULL) {
        printf("LoadLibrary(%s) failed: error %lu\n", argv[1], GetLastError());
        return 2;
    }
    add = (add_function)(void (*)(void))GetProcAddress(library, "legacy_add");
    if (add == NULL) {
        printf("%s has no legacy_add: error %lu\n", argv[1], GetLastError());
        return 2;
    }
    for (int call = 0; call < calls; call++)
        wrong += add(call, 10 * call) != 11 * call;
    printf("calls made: %d, wrong results: %d\n", calls, wrong);
    FreeLibrary(library);
    left = host_modules_left_after_free();
    return wrong == 0 && left == 0 ? 0 : 1;
}
