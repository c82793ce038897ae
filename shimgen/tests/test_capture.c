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
