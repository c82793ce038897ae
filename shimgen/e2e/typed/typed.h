/* typed.dll: a library header in the style of real ones (an API macro that
 * is dllimport for its users, WINAPI functions, typedef'd types, enums,
 * structs by pointer and by value, callbacks, strings of both widths, a
 * variadic function), which `shimgen wrap --header typed.h` reads. */
#ifndef TYPED_H
#define TYPED_H

#include <stddef.h>
#include <wchar.h>

#include <windows.h>

#ifdef TYPED_BUILDING
#define TYPED_API __declspec(dllexport)
#else
#define TYPED_API __declspec(dllimport)
#endif

#ifdef __cplusplus
extern "C" {
#endif

typedef enum typed_color {
    TYPED_RED = 1,
    TYPED_GREEN = 2,
    TYPED_BLUE = 40
} typed_color;
typedef struct typed_point {
    int x;
    int y;
} typed_point;
typedef struct typed_box {
    double left, top, right, bottom;
} typed_box;
typedef int (*typed_visit)(void *context, const char *name);
typedef unsigned short typed_factor;

TYPED_API int typed_add(int a, int b);
TYPED_API long long typed_scale(long long value, typed_factor factor, signed char shift, unsigned char flags);
TYPED_API double typed_average(float a, double b);
TYPED_API typed_color typed_next_color(typed_color color);
TYPED_API int typed_point_sum(const typed_point *point);
TYPED_API double typed_box_area(typed_box box);
TYPED_API typed_point typed_make_point(int x, int y);
TYPED_API size_t typed_length(const char *text);
TYPED_API size_t typed_wide_length(const wchar_t *text);
/* Reads text only when use is nonzero: a caller may pass anything else. */
TYPED_API int typed_ignore(const char *text, int use);
TYPED_API int typed_visit_all(typed_visit visit, void *context);
TYPED_API const char *typed_greeting(void);
/* Fails with the given last error. */
TYPED_API BOOL WINAPI typed_fail(DWORD error);
TYPED_API void typed_sleep_ms(unsigned milliseconds);
TYPED_API int typed_flag(_Bool flag);
TYPED_API int typed_sum(int count, ...);
TYPED_API int typed_first_byte(const char *bytes);
TYPED_API int typed_fill(char *buffer, size_t size);
TYPED_API int WINAPI typed_window(HWND window, LPCWSTR title, UINT flags);
/* Ends the process with `code`, from inside the library. */
TYPED_API void typed_exit(int code);

#ifdef __cplusplus
}
#endif

#endif
