/* Reading back what a writer or printer wrote into a tmpfile(), and checking
 * the text. */
#ifndef SHIMGEN_TEST_CAPTURE_H
#define SHIMGEN_TEST_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "wrap_plan.h"

/* Copies everything written to `out` into `buffer` as one string, and
 * closes `out`. False when it does not fit: the test must not check a
 * cut copy. */
bool test_capture_text(FILE *out, char *buffer, size_t capacity);

/* Runs one writer of the generated project for `plan` into `buffer`; fails
 * the test when it does not fit. */
void test_capture_writer(void (*writer)(FILE *, const wrap_plan *), const wrap_plan *plan, char *buffer,
                         size_t capacity);

/* Fails the test, showing `written`, when `text` is not in it. */
void test_expect_text(const char *written, const char *text);

#endif
