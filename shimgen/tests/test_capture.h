/* Reading back what a writer or printer wrote into a tmpfile(). */
#ifndef SHIMGEN_TEST_CAPTURE_H
#define SHIMGEN_TEST_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* Copies everything written to `out` into `buffer` as one string, and
 * closes `out`. False when it does not fit: the test must not check a
 * cut copy. */
bool test_capture_text(FILE *out, char *buffer, size_t capacity);

#endif
