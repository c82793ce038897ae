/* `wrap --header`: the functions a C header declares, as prototypes, read
 * with libclang. This is the only file that sees libclang; everything after
 * it works on the prototype model (prototype.h) that --prototype fills too.
 *
 * The header is parsed as the generated front compiles it: for the
 * original's target (x86_64- or i686-w64-mingw32, so calling conventions
 * and type sizes are the DLL's), after windows.h and the --include headers,
 * with the -I folders and -D macros given. A header that does not parse is
 * refused with clang's first diagnostics. shimgen built without libclang
 * (SHIMGEN_HAVE_LIBCLANG unset: the Windows build) refuses --header. */
#ifndef SHIMGEN_HEADER_READER_H
#define SHIMGEN_HEADER_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "error_message.h"
#include "prototype.h"

typedef struct header_request {
    const char *header_path;
    const char *const *include_dirs; /* -I */
    size_t include_dir_count;
    const char *const *defines; /* -D, "NAME" or "NAME=VALUE" */
    size_t define_count;
    const char *const *includes; /* --include, as wrap_plan checked them */
    size_t include_count;
    bool is_x64; /* else i686 */
    /* Only the functions this says yes to are kept (a header such as
     * windows.h declares thousands). */
    bool (*wanted)(const char *name, void *context);
    void *wanted_context;
} header_request;

typedef struct header_function {
    prototype signature; /* function_name is the C name */
    /* NULL, or why no typed stub can call it ("variadic", ...): its export
     * keeps the observing stub. */
    const char *untypable;
} header_function;

typedef struct header_declarations {
    header_function *functions;
    size_t count;
} header_declarations;

/* Parses the header and keeps every wanted function it (or anything it
 * includes) declares. Returns 0, SHIMGEN_EXIT_BAD_REQUEST (the header does
 * not parse: the first diagnostic in `error`, the next few written to
 * `diagnostics`, which may be NULL) or SHIMGEN_EXIT_INTERNAL. Free with
 * header_declarations_free even on failure. */
int header_read(const header_request *request, header_declarations *declarations, FILE *diagnostics,
                error_message *error);

/* The declaration of C name `name`, or NULL. */
const header_function *header_find(const header_declarations *declarations, const char *name);

void header_declarations_free(header_declarations *declarations);

#endif
