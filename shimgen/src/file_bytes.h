/* Reads a whole input file into memory, refusing what is not a regular file. */
#ifndef SHIMGEN_FILE_BYTES_H
#define SHIMGEN_FILE_BYTES_H

#include <stddef.h>
#include <stdint.h>

#include "error_message.h"

/* The largest input accepted. PE images are limited to 4 GiB by their 32-bit
 * RVAs; real DLLs are far smaller, and reading more would only waste memory. */
#define FILE_BYTES_MAX ((size_t)1 << 30)

typedef struct file_bytes {
    uint8_t *data;
    size_t size;
} file_bytes;

/* Returns 0, SHIMGEN_EXIT_MALFORMED for an empty file (read, but no PE file),
 * SHIMGEN_EXIT_UNREADABLE (missing, a directory, not a regular file, too
 * large, I/O error) or SHIMGEN_EXIT_INTERNAL, with one line in `error`. */
int file_bytes_read(const char *path, file_bytes *file, error_message *error);

void file_bytes_free(file_bytes *file);

#endif
