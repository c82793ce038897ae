/* The original for the observing-stub and one-copy end-to-end test: one
 * export of each shape an observing stub must pass through untouched, and
 * state they all share (calls, also exported as data). Built a second time
 * with SHAPES_PLANTED as the impostor a search-order load would find: its
 * DllMain leaves a marker file. */
#include <stdarg.h>

#include <windows.h>

#include "shapes.h"

long shapes_calls = 0;

double shape_floats(double a, float b, int c)
{
    shapes_calls++;
    return a * 2.0 + b + c;
}

struct shape_big shape_structs(struct shape_pair pair, struct shape_small small)
{
    struct shape_big big = { pair.x + small.a, pair.y * small.b, pair.x - pair.y, 7 };

    shapes_calls++;
    return big;
}

double shape_variadic(int count, ...)
{
    va_list arguments;
    double sum = 0;

    shapes_calls++;
    va_start(arguments, count);
    for (int index = 0; index < count; index++)
        sum += index % 2 == 0 ? va_arg(arguments, int) : va_arg(arguments, double);
    va_end(arguments);
    return sum;
}

long long shape_many(int a, int b, int c, int d, int e, double f, int g, long long h)
{
    shapes_calls++;
    return a + 2 * b + 3 * c + 4 * d + 5 * e + (long long)(6 * f) + 7 * g + 8 * h;
}

int __stdcall shape_stdcall(int a, int b)
{
    shapes_calls++;
    return a * 100 + b;
}

int __fastcall shape_fastcall(int a, int b, int c)
{
    shapes_calls++;
    return a * 10000 + b * 100 + c;
}

/* thiscall's shape: the object in ecx on i686 (GCC's thiscall attribute). */
#if defined(__i386__)
#define SHAPES_THISCALL __attribute__((thiscall))
#else
#define SHAPES_THISCALL
#endif
int SHAPES_THISCALL shape_thiscall(struct shape_pair *self, int add)
{
    shapes_calls++;
    return self->x + self->y + add;
}

void shapes_bump(void)
{
    shapes_calls++;
}

long shapes_count(void)
{
    return shapes_calls;
}

#ifdef SHAPES_PLANTED
BOOL WINAPI DllMain(HINSTANCE instance, DWORD reason, void *reserved)
{
    wchar_t path[MAX_PATH];
    DWORD length;

    (void)instance;
    (void)reserved;
    length = GetEnvironmentVariableW(L"SHAPES_PLANTED_MARKER", path, MAX_PATH);
    if (reason == DLL_PROCESS_ATTACH && length > 0 && length < MAX_PATH)
        CloseHandle(CreateFileW(path, GENERIC_WRITE, 0, NULL, CREATE_ALWAYS, FILE_ATTRIBUTE_NORMAL, NULL));
    return TRUE;
}
#endif
