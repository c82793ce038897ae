/* Shell-style patterns for `--intercept`: `*` any run of characters, `?` one
 * character, `[abc]`, `[a-z]` and `[!a-z]` (or `[^a-z]`) one of a set. No
 * other character is special: export names hold `@`, `?` and `$` as they
 * are, so `?` in a C++ name matches itself as well as any one character. */
#ifndef SHIMGEN_NAME_PATTERN_H
#define SHIMGEN_NAME_PATTERN_H

#include <stdbool.h>

/* True when `text` holds a character that makes it a pattern. */
bool name_pattern_is_pattern(const char *text);

/* True when the whole of `text` matches `pattern`. */
bool name_pattern_matches(const char *pattern, const char *text);

#endif
