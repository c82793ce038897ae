/* stat() is POSIX, and also in the Windows C runtime; -std=c11 hides it
 * unless asked for. */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "exit_codes.h"
#include "file_bytes.h"

int file_bytes_read(const char *path, file_bytes *file, error_message *error)
{
    FILE *stream = NULL;
    long end;
    struct stat status;
    int rc = 0;

    file->data = NULL;
    file->size = 0;
    /* fopen succeeds on a directory on Linux, so ask first. */
    if (stat(path, &status) != 0)
        return error_set(error, SHIMGEN_EXIT_UNREADABLE, "cannot open: %s", strerror(errno));
    if (S_ISDIR(status.st_mode))
        return error_set(error, SHIMGEN_EXIT_UNREADABLE, "is a directory, not a DLL");
    if (!S_ISREG(status.st_mode))
        return error_set(error, SHIMGEN_EXIT_UNREADABLE, "not a regular file");
    stream = fopen(path, "rb");
    if (stream == NULL)
        return error_set(error, SHIMGEN_EXIT_UNREADABLE, "cannot open: %s", strerror(errno));
    if (fseek(stream, 0, SEEK_END) != 0 || (end = ftell(stream)) < 0 || fseek(stream, 0, SEEK_SET) != 0) {
        rc = error_set(error, SHIMGEN_EXIT_UNREADABLE, "cannot read: %s", strerror(errno));
        goto done;
    }
    if (end == 0) {
        rc = error_set(error, SHIMGEN_EXIT_MALFORMED, "empty file, not a PE file");
        goto done;
    }
    if ((unsigned long)end > FILE_BYTES_MAX) {
        rc = error_set(error, SHIMGEN_EXIT_UNREADABLE, "file too large (%ld bytes)", end);
        goto done;
    }
    file->data = malloc((size_t)end);
    if (file->data == NULL) {
        rc = error_set(error, SHIMGEN_EXIT_INTERNAL, "out of memory");
        goto done;
    }
    file->size = fread(file->data, 1, (size_t)end, stream);
    if (file->size != (size_t)end || ferror(stream)) {
        rc = error_set(error, SHIMGEN_EXIT_UNREADABLE, "cannot read: %s",
                       ferror(stream) ? strerror(errno) : "file changed while being read");
        file_bytes_free(file);
    }
done:
    fclose(stream);
    return rc;
}

void file_bytes_free(file_bytes *file)
{
    free(file->data);
    file->data = NULL;
    file->size = 0;
}
