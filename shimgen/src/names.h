/* The names `shimgen wrap` derives from the DLL's file name.
 *
 * File names keep the original's spelling: the front takes the original's
 * whole file name, extension included ("libstdc++-6.dll", "Player.OCX").
 * Everything else has its own alphabet and is derived separately: C
 * identifiers and CMake target names ("libstdc___6"), and the environment
 * variable the generated worker reads ("LIBSTDC___6_SHIM_LOG"). The front's
 * configuration and the generated CMakeLists.txt both take the worker's and
 * the original's file names from here, so what the front looks for is what
 * CMake builds. */
#ifndef SHIMGEN_NAMES_H
#define SHIMGEN_NAMES_H

#include <stdbool.h>

#include "error_message.h"

#define NAMES_STEM_MAX 128
/* The longest extension kept, dot included (".dll", ".ocx", ".drv"). */
#define NAMES_SUFFIX_MAX 16

typedef struct dll_names {
    char front_stem[NAMES_STEM_MAX];                       /* "my-lib.v2": CMake OUTPUT_NAME */
    char front_suffix[NAMES_SUFFIX_MAX];                   /* ".dll", ".OCX": CMake SUFFIX */
    char front_file[NAMES_STEM_MAX + NAMES_SUFFIX_MAX];    /* "my-lib.v2.dll": the LIBRARY line */
    char original_stem[NAMES_STEM_MAX + 8];                /* "my-lib_v2_orig" */
    char original_file[NAMES_STEM_MAX + 16];               /* "my-lib_v2_orig.dll" */
    char worker_stem[NAMES_STEM_MAX + 8];                  /* "my-lib_v2_worker" */
    char worker_file[NAMES_STEM_MAX + 16];                 /* "my-lib_v2_worker.dll" */
    char identifier[NAMES_STEM_MAX + 8];                   /* "my_lib_v2": C and CMake */
    char log_variable[NAMES_STEM_MAX + 24];                /* "MY_LIB_V2_SHIM_LOG" */
    char wine_override[NAMES_STEM_MAX + NAMES_SUFFIX_MAX]; /* the WINEDLLOVERRIDES key */
    int has_dll_suffix;                                    /* the front's extension is .dll, in any case */
} dll_names;

/* Derives every name from `file_name`, the input's file name without its
 * folder. `stem` (from --name, or NULL) replaces the part before the
 * extension. Returns 0, or SHIMGEN_EXIT_BAD_REQUEST when the stem is empty,
 * too long, or holds a character other than letters, digits and "_-.+~"
 * (what a file name, a quoted CMake argument, a .def word and a C string
 * all hold as they are). */
int names_derive(const char *file_name, const char *stem, dll_names *names, error_message *error);

/* Whether two file names are the same without case (ASCII), as Windows and
 * Wine look DLL names up. */
bool names_equal_ignoring_case(const char *a, const char *b);

#endif
