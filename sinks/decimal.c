#include "decimal.h"

size_t shim__decimal(char *out, unsigned long long value, size_t width)
{
    char digits[SHIM__DECIMAL_MAX_DIGITS];
    size_t count = 0;
    size_t length = 0;

    do {
        digits[count++] = (char)('0' + value % 10u);
        value /= 10u;
    } while (value != 0 && count < sizeof digits);
    while (count < width && count < sizeof digits)
        digits[count++] = '0';
    while (count > 0)
        out[length++] = digits[--count];
    return length;
}
