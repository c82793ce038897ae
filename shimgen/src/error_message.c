#include <stdarg.h>
#include <stdio.h>

#include "error_message.h"

int error_set(error_message *error, int code, const char *format, ...)
{
    va_list arguments;

    if (error == NULL)
        return code;
    va_start(arguments, format);
    vsnprintf(error->text, sizeof error->text, format, arguments);
    va_end(arguments);
    return code;
}
