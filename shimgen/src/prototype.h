/* A C prototype given with --prototype, or read from a header (header_reader.c),
 * split into the pieces a stub needs.
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
#define PROTOTYPE_ORIGIN_MAX 256

/* The calling convention a header declares (i686; x86-64 has one). With
 * --prototype it is part of return_type as written ("int WINAPI"). */
typedef enum prototype_convention {
    PROTOTYPE_CONVENTION_AS_WRITTEN, /* --prototype, or the target's default */
    PROTOTYPE_CONVENTION_CDECL,
    PROTOTYPE_CONVENTION_STDCALL,
    PROTOTYPE_CONVENTION_FASTCALL,
    PROTOTYPE_CONVENTION_THISCALL
} prototype_convention;

typedef struct prototype {
    char function_name[PROTOTYPE_TEXT_MAX]; /* as written: not always a C identifier */
    char return_type[PROTOTYPE_TEXT_MAX];
    bool returns_void;
    size_t parameter_count;
    /* "int a, const char *name": the parameter list as written, or "void". */
    char parameter_list[PROTOTYPE_TEXT_MAX];
    /* "a, name": the arguments to pass the original. */
    char argument_list[PROTOTYPE_TEXT_MAX];
    /* "a,name": what a record calls the arguments, in order (the header's
     * names, "argN" for an unnamed one), comma separated. */
    char parameter_names[PROTOTYPE_TEXT_MAX];
    prototype_convention convention;
    /* Bytes of arguments on an i686 stack (each rounded up to 4), as an
     * i686 stdcall or fastcall name's @N counts them; 0 with --prototype. */
    size_t argument_bytes;
    /* Where it was declared: "foo.h:12", or "--prototype". */
    char origin[PROTOTYPE_ORIGIN_MAX];
} prototype;

/* Returns 0, or SHIMGEN_EXIT_BAD_REQUEST with the reason in `error`. */
int prototype_parse(const char *text, prototype *parsed, error_message *error);

/* The return type without a calling convention ("int WINAPI" gives "int"),
 * for a variable that holds the result: a convention applies to functions
 * only. */
void prototype_value_type(const char *return_type, char *value_type, size_t capacity);

/* True for [A-Za-z_][A-Za-z0-9_]*. */
bool is_c_identifier(const char *text, size_t length);

#endif
