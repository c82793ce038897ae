/* shimgen's exit codes. They are part of the command-line contract (printed
 * by --help, from command_line.c, and listed in docs/shimgen.md), so scripts
 * can tell a bad file from a bad command line. Never renumber them.
 *
 * UNREADABLE is about getting the bytes, MALFORMED about what they hold: an
 * empty file was read, and is the shortest of the truncated files, which are
 * all MALFORMED. */
#ifndef SHIMGEN_EXIT_CODES_H
#define SHIMGEN_EXIT_CODES_H

enum shimgen_exit_code {
    SHIMGEN_EXIT_OK = 0,
    SHIMGEN_EXIT_INTERNAL = 1, /* out of memory, or a bug */
    SHIMGEN_EXIT_USAGE = 2,    /* bad command line */
    SHIMGEN_EXIT_UNREADABLE =
        3,                      /* input missing, a directory, not a regular file, too large, or unreadable */
    SHIMGEN_EXIT_MALFORMED = 4, /* input is empty, not a PE file, or its headers or export table are broken */
    SHIMGEN_EXIT_BAD_REQUEST =
        5,                   /* wrap: unknown or unusable --intercept / --prototype / --name / --twinshim */
    SHIMGEN_EXIT_OUTPUT = 6, /* wrap: output exists (without --force) or cannot be written */
    SHIMGEN_EXIT_NOT_A_DLL = 7, /* wrap: input is a PE file but not a DLL (an EXE) */
    SHIMGEN_EXIT_API_SET =
        8, /* wrap: the front's name is an API set, never loaded from a file (without --force) */
    /* check: one code per kind of finding; with several, the lowest. */
    SHIMGEN_EXIT_CHECK_FILES = 10,       /* the front's worker or original is missing, or no front */
    SHIMGEN_EXIT_CHECK_MACHINE = 11,     /* front, worker and original are for different machines */
    SHIMGEN_EXIT_CHECK_PROTOCOL = 12,    /* no twinshim worker, or another protocol version */
    SHIMGEN_EXIT_CHECK_EXPORTS = 13,     /* the front's exports differ from the original's */
    SHIMGEN_EXIT_CHECK_RESOURCES = 14,   /* the original has resources the front lacks */
    SHIMGEN_EXIT_CHECK_LOADER = 15,      /* a KnownDLL or API-set name: Windows ignores the folder */
    SHIMGEN_EXIT_CHECK_WINE_BUILTIN = 16 /* a Wine builtin of that name wins without the override */
};

#endif
