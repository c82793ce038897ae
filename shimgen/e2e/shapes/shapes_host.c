/* The program for the shapes end-to-end test. It takes shapes.dll from its
 * import table, calls every export of every shape, and prints the results
 * bit for bit; its output must not depend on whether shapes.dll is wrapped.
 * Then, on stderr, what the wrapped run checks: how many copies of
 * shapes_orig.dll are mapped and from where, and whether the data export and
 * the functions see the same state.
 * Usage: shapes_host.exe */
#include <stdio.h>
#include <string.h>

#include <windows.h>
#include <psapi.h>

#define SHAPES_IMPORT
#include "shapes.h"

#if defined(__i386__)
typedef int(__attribute__((thiscall)) * thiscall_function)(struct shape_pair *self, int add);
#else
typedef int (*thiscall_function)(struct shape_pair *self, int add);
#endif

static void print_double(const char *what, double value)
{
    unsigned long long bits;

    memcpy(&bits, &value, sizeof bits);
    printf("%s = %.17g (bits %016llx)\n", what, value, bits);
}

/* Copies of the renamed original mapped in this process, and their paths. */
static int count_original_copies(void)
{
    HMODULE modules[1024];
    DWORD needed = 0;
    int copies = 0;

    if (!EnumProcessModules(GetCurrentProcess(), modules, sizeof modules, &needed))
        return -1;
    for (DWORD index = 0; index < needed / sizeof modules[0] && index < 1024; index++) {
        wchar_t path[MAX_PATH];
        const wchar_t *base;

        if (GetModuleFileNameW(modules[index], path, MAX_PATH) == 0)
            continue;
        base = wcsrchr(path, L'\\') != NULL ? wcsrchr(path, L'\\') + 1 : path;
        if (_wcsicmp(base, L"shapes_orig.dll") == 0) {
            fprintf(stderr, "shapes_orig.dll mapped from %ls\n", path);
            copies++;
        }
    }
    return copies;
}

int main(void)
{
    struct shape_pair pair = { 1000000007LL, -3 };
    struct shape_small small = { 5, 9 };
    struct shape_big big;
    thiscall_function thiscall;
    const long *counter;

    setvbuf(stdout, NULL, _IONBF, 0);
    print_double("shape_floats(1.25, 0.5f, 3)", shape_floats(1.25, 0.5f, 3));
    print_double("shape_floats(-1e300, 3.5f, -7)", shape_floats(-1e300, 3.5f, -7));
    big = shape_structs(pair, small);
    printf("shape_structs = {%lld, %lld, %lld, %lld}\n", big.a, big.b, big.c, big.d);
    print_double("shape_variadic(5, 1, 2.5, 3, 4.25, 5)", shape_variadic(5, 1, 2.5, 3, 4.25, 5));
    printf("shape_many = %lld\n", shape_many(1, 2, 3, 4, 5, 6.5, 7, 0x100000000LL));
    printf("shape_stdcall(12, 34) = %d\n", shape_stdcall(12, 34));
    printf("shape_fastcall(1, 2, 3) = %d\n", shape_fastcall(1, 2, 3));
    thiscall =
        (thiscall_function)(void (*)(void))GetProcAddress(GetModuleHandleW(L"shapes.dll"), "shape_thiscall");
    printf("shape_thiscall = %d\n", thiscall != NULL ? thiscall(&pair, 11) : -1);
    shapes_bump();
    shapes_bump();
    printf("shapes_count() = %ld\n", shapes_count());
    /* The data export, through the front's forwarder. */
    counter = (const long *)(void *)GetProcAddress(GetModuleHandleW(L"shapes.dll"), "shapes_calls");
    printf("shapes_calls (data) = %ld\n", counter != NULL ? *counter : -1L);
    fprintf(stderr, "copies of shapes_orig.dll mapped: %d\n", count_original_copies());
    return 0;
}
