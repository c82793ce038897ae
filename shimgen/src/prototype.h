/* A C prototype given with --prototype, split into the pieces a stub needs.
 *
 * An export table records names and addresses, never types, so an
 * intercepting stub cannot be typed from the DLL alone. The user states the
 * prototype as C ("int legacy_add(int a, int b)"); this small parser accepts a
 * return type, the function name and named parameters. The name is the
 * export as the DLL spells it (a C++ name, a decorated one, or #N), or the
 * C name shimgen gives its stub; wrap_plan.c matches it to an intercept. It does not accept
 * variadic functions (a stub cannot forward "..."), unnamed parameters, or
 * declarators after the name (function pointer or array parameters): name
 * such types with a typedef in the generated front instead. */
#ifndef SHIMGEN_PROTOTYPE_H
#define SHIMGEN_PROTOTYPE_H

#include <stdbool.h>
#include <stddef.h>

#include "error_message.h"

#define PROTOTYPE_TEXT_MAX 1024
#define PROTOTYPE_PARAMETERS_MAX 32

typedef struct prototype {
    char function_name[PROTOTYPE_TEXT_MAX]; /* as written: not always a C identifier */
    char return_type[PROTOTYPE_TEXT_MAX];
    bool returns_void;
    size_t parameter_count;
    /* "int a, const char *name": the parameter list as written, or "void". */
    char parameter_list[PROTOTYPE_TEXT_MAX];
    /* "a, name": the arguments to pass the original. */
    char argument_list[PROTOTYPE_TEXT_MAX];
} prototype;

/* Returns 0, or SHIMGEN_EXIT_BAD_REQUEST with the reason in `error`. */
int prototype_parse(const char *text, prototype *parsed, error_message *error);

/* True for [A-Za-z_][A-Za-z0-9_]*. */
bool is_c_identifier(const char *text, size_t length);

#endif
