/* Numbers written in decimal into a buffer, without printf: the sinks build
 * frames and headers where neither the locale nor the heap may be used. */
#ifndef TWINSHIM_SINKS_DECIMAL_H
#define TWINSHIM_SINKS_DECIMAL_H

#include <stddef.h>

/* The most digits shim__decimal writes. */
#define SHIM__DECIMAL_MAX_DIGITS 20u

/* Writes `value` in decimal, with zeros in front up to `width` digits (at
 * most SHIM__DECIMAL_MAX_DIGITS), without a terminator; returns the length. */
size_t shim__decimal(char *out, unsigned long long value, size_t width);

#endif
