#include <string.h>

#include "name_pattern.h"

bool name_pattern_is_pattern(const char *text)
{
    return strpbrk(text, "*?[") != NULL;
}

/* Matches one bracket set at `pattern` (just after '['); stores where the
 * pattern goes on in *rest. An unclosed '[' is an ordinary character. */
static bool set_matches(const char *pattern, unsigned char character, const char **rest)
{
    const char *at = pattern;
    bool negated = *at == '!' || *at == '^';
    bool found = false;

    if (negated)
        at++;
    /* A ']' first in the set is a member, not its end. */
    do {
        if (*at == '\0') {
            *rest = NULL;
            return false;
        }
        if (at[1] == '-' && at[2] != ']' && at[2] != '\0') {
            if ((unsigned char)at[0] <= character && character <= (unsigned char)at[2])
                found = true;
            at += 3;
        } else {
            if ((unsigned char)*at == character)
                found = true;
            at++;
        }
    } while (*at != ']');
    *rest = at + 1;
    return found != negated;
}

bool name_pattern_matches(const char *pattern, const char *text)
{
    /* Iterative, with one backtrack point: the last '*' seen. Linear in
     * practice and never recursive, whatever the pattern. */
    const char *star = NULL;
    const char *star_text = NULL;

    while (*text != '\0') {
        if (*pattern == '*') {
            star = ++pattern;
            star_text = text;
            continue;
        }
        if (*pattern == '[') {
            const char *rest;
            bool member = set_matches(pattern + 1, (unsigned char)*text, &rest);

            if (rest != NULL && member) {
                pattern = rest;
                text++;
                continue;
            }
            if (rest == NULL && *text == '[') {
                pattern++;
                text++;
                continue;
            }
        } else if (*pattern != '\0' && (*pattern == '?' || *pattern == *text)) {
            pattern++;
            text++;
            continue;
        }
        if (star == NULL)
            return false;
        pattern = star;
        text = ++star_text;
    }
    while (*pattern == '*')
        pattern++;
    return *pattern == '\0';
}
