/* shimgen's exit codes. They are part of the command-line contract (printed
 * by --help and listed in docs/shimgen.md), so scripts can tell a bad file
 * from a bad command line. Never renumber them. */
#ifndef SHIMGEN_EXIT_CODES_H
#define SHIMGEN_EXIT_CODES_H

enum shimgen_exit_code {
    SHIMGEN_EXIT_OK = 0,
    SHIMGEN_EXIT_INTERNAL = 1,    /* out of memory, or a bug */
    SHIMGEN_EXIT_USAGE = 2,       /* bad command line */
    SHIMGEN_EXIT_UNREADABLE = 3,  /* input missing, a directory, empty, or unreadable */
    SHIMGEN_EXIT_MALFORMED = 4,   /* input is not a PE file, or its export table is broken */
    SHIMGEN_EXIT_BAD_REQUEST = 5, /* wrap: unknown or unusable --intercept / --prototype / --name */
    SHIMGEN_EXIT_OUTPUT = 6       /* wrap: output exists (without --force) or cannot be written */
};

#endif
