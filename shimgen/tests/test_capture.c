#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "test_capture.h"

bool test_capture_text(FILE *out, char *buffer, size_t capacity)
{
    size_t length;

    rewind(out);
    length = fread(buffer, 1, capacity - 1, out);
    buffer[length] = '\0';
    fclose(out);
    return length < capacity - 1;
}

void test_capture_writer(void (*writer)(FILE *, const wrap_plan *), const wrap_plan *plan, char *buffer,
                         size_t capacity)
{
    FILE *out = tmpfile();

    assert_non_null(out);
    writer(out, plan);
    assert_true(test_capture_text(out, buffer, capacity));
}

void test_expect_text(const char *written, const char *text)
{
    if (strstr(written, text) == NULL)
        fail_msg("the text lacks \"%s\":\n%s", text, written);
}
