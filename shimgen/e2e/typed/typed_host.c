/* The program that uses typed.dll from its import table, unchanged whether
 * typed.dll is the original or a front: prints every result; leaves one call
 * by longjmp; then exits the process (code 3) from inside two nested calls,
 * so its last records reach the worker through process exit. */
#include <setjmp.h>
#include <stdio.h>
#include <string.h>

#include "typed.h"

__declspec(dllimport) int typed_hidden(int value);

static jmp_buf escape;

static int count_visit(void *context, const char *name)
{
    (void)context;
    return (int)strlen(name);
}

/* Leaves typed_visit_all, and its stub, without returning. */
static int escaping_visit(void *context, const char *name)
{
    (void)context;
    (void)name;
    longjmp(escape, 1);
}

/* Ends the process from inside typed_exit, itself inside typed_visit_all. */
static int exiting_visit(void *context, const char *name)
{
    (void)context;
    (void)name;
    fflush(stdout);
    typed_exit(3);
    return 0;
}

int main(void)
{
    static char long_text[1001];
    static const wchar_t wide[] = L"h\u00e9llo w\u00f6rld \u2603 \U0001F600";
    typed_point point = { 3, 4 };
    typed_box box = { 1.0, 2.0, 4.0, 6.5 };
    typed_point made;
    char buffer[16];
    size_t lengths[3];
    char *pages;
    int flags[2];
    BOOL failed;
    DWORD error;

    memset(long_text, 'x', sizeof long_text - 1);
    printf("add %d\n", typed_add(2, 3));
    printf("scale %lld\n", typed_scale(-5, 65535, -3, 255));
    printf("average %.4f\n", typed_average(1.5f, -2.25));
    printf("next_color %d\n", (int)typed_next_color(TYPED_GREEN));
    printf("point_sum %d\n", typed_point_sum(&point));
    printf("box_area %.2f\n", typed_box_area(box));
    made = typed_make_point(7, -8);
    printf("make_point %d %d\n", made.x, made.y);
    /* One call a statement: the order of a printf's arguments is unspecified. */
    lengths[0] = typed_length("hello");
    lengths[1] = typed_length(long_text);
    lengths[2] = typed_length(NULL);
    printf("length %u %u %u\n", (unsigned)lengths[0], (unsigned)lengths[1], (unsigned)lengths[2]);
    printf("wide_length %u\n", (unsigned)typed_wide_length(wide));
    /* Pointers the library does not read, and the trace cannot: one into the
     * first page, which is never mapped, and a string that runs into a page
     * that is not committed. A string whose zero is a page's last byte is
     * read to its end and not one byte further. */
    pages = VirtualAlloc(NULL, 2 * 4096, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
    if (pages == NULL || !VirtualFree(pages + 4096, 4096, MEM_DECOMMIT))
        return 2;
    memcpy(pages + 4096 - 5, "edge", 5);
    printf("edge %u\n", (unsigned)typed_length(pages + 4096 - 5));
    memset(pages + 4096 - 3, 'z', 3);
    printf("ignore %d", typed_ignore((const char *)(ULONG_PTR)0x10, 0));
    printf(" %d\n", typed_ignore(pages + 4096 - 3, 0));
    printf("visit_all %d\n", typed_visit_all(count_visit, NULL));
    printf("greeting %s\n", typed_greeting());
    SetLastError(0);
    failed = typed_fail(ERROR_ACCESS_DENIED);
    error = GetLastError();
    printf("fail %d %lu\n", failed, error);
    typed_sleep_ms(20);
    flags[0] = typed_flag(1);
    flags[1] = typed_flag(0);
    printf("flag %d %d\n", flags[0], flags[1]);
    printf("sum %d\n", typed_sum(3, 10, 20, 30));
    printf("first_byte %d\n", typed_first_byte("\xff\xfe ok"));
    printf("fill %d %s\n", typed_fill(buffer, sizeof buffer), buffer);
    printf("window %d\n", typed_window(NULL, L"title", 4));
    printf("hidden %d\n", typed_hidden(14));
    if (setjmp(escape) == 0)
        typed_visit_all(escaping_visit, NULL);
    printf("escaped by longjmp; add %d\n", typed_add(40, 2));
    /* Never returns: the process exits with 3 inside two typed calls. */
    return typed_visit_all(exiting_visit, NULL);
}
