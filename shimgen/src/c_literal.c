#include <string.h>

#include "c_literal.h"

void c_literal_write(FILE *out, const char *text)
{
    fputc('"', out);
    for (const unsigned char *at = (const unsigned char *)text; *at != '\0'; at++) {
        if (*at == '"' || *at == '\\')
            fprintf(out, "\\%c", *at);
        else if (*at < 0x20 || *at >= 0x7f)
            fprintf(out, "\\%03o", *at);
        else
            fputc(*at, out);
    }
    fputc('"', out);
}

void c_template_write(FILE *out, const char *const *lines, size_t count, const char *identifier)
{
    for (size_t index = 0; index < count; index++) {
        const char *at = lines[index];
        const char *marker;

        while ((marker = strstr(at, "@@")) != NULL) {
            fwrite(at, 1, (size_t)(marker - at), out);
            fputs(identifier, out);
            at = marker + 2;
        }
        fputs(at, out);
        fputc('\n', out);
    }
}
