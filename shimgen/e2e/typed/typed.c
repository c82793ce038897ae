/* typed.dll: small functions of every shape the typed stubs must carry
 * (typed.h). typed_hidden is exported but in no header. */
#define TYPED_BUILDING
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "typed.h"

int typed_add(int a, int b)
{
    return a + b;
}

long long typed_scale(long long value, typed_factor factor, signed char shift, unsigned char flags)
{
    return value * factor + shift + flags;
}

double typed_average(float a, double b)
{
    return (a + b) / 2;
}

typed_color typed_next_color(typed_color color)
{
    return color == TYPED_RED ? TYPED_GREEN : color == TYPED_GREEN ? TYPED_BLUE : TYPED_RED;
}

int typed_point_sum(const typed_point *point)
{
    return point->x + point->y;
}

double typed_box_area(typed_box box)
{
    return (box.right - box.left) * (box.bottom - box.top);
}

typed_point typed_make_point(int x, int y)
{
    typed_point point = { x, y };

    return point;
}

size_t typed_length(const char *text)
{
    return text != NULL ? strlen(text) : 0;
}

size_t typed_wide_length(const wchar_t *text)
{
    return text != NULL ? wcslen(text) : 0;
}

int typed_ignore(const char *text, int use)
{
    return use ? (int)strlen(text) : -1;
}

int typed_visit_all(typed_visit visit, void *context)
{
    return visit(context, "first") + visit(context, "second");
}

const char *typed_greeting(void)
{
    return "hello from typed.dll";
}

BOOL WINAPI typed_fail(DWORD error)
{
    SetLastError(error);
    return FALSE;
}

void typed_sleep_ms(unsigned milliseconds)
{
    Sleep(milliseconds);
}

int typed_flag(_Bool flag)
{
    return flag ? 7 : 3;
}

int typed_sum(int count, ...)
{
    va_list arguments;
    int sum = 0;

    va_start(arguments, count);
    for (int index = 0; index < count; index++)
        sum += va_arg(arguments, int);
    va_end(arguments);
    return sum;
}

int typed_first_byte(const char *bytes)
{
    return (unsigned char)bytes[0];
}

int typed_fill(char *buffer, size_t size)
{
    if (size == 0)
        return 0;
    strncpy(buffer, "filled", size - 1);
    buffer[size - 1] = '\0';
    return (int)strlen(buffer);
}

int WINAPI typed_window(HWND window, LPCWSTR title, UINT flags)
{
    return (window == NULL ? 1 : 2) + (int)wcslen(title) + (int)flags;
}

void typed_exit(int code)
{
    exit(code);
}

__declspec(dllexport) int typed_hidden(int value);
int typed_hidden(int value)
{
    return value * 3;
}
