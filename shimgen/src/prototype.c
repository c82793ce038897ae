#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "exit_codes.h"
#include "prototype.h"

bool is_c_identifier(const char *text, size_t length)
{
    if (length == 0 || !(isalpha((unsigned char)text[0]) || text[0] == '_'))
        return false;
    for (size_t index = 1; index < length; index++)
        if (!(isalnum((unsigned char)text[index]) || text[index] == '_'))
            return false;
    return true;
}

void prototype_value_type(const char *return_type, char *value_type, size_t capacity)
{
    static const char *const conventions[] = {
        "WINAPI", "WINAPIV",           "CALLBACK",  "APIENTRY",   "NTAPI",
        "PASCAL", "STDMETHODCALLTYPE", "__stdcall", "_stdcall",   "__cdecl",
        "_cdecl", "__fastcall",        "_fastcall", "__thiscall", "__vectorcall"
    };
    const char *at = return_type;
    size_t length = 0;

    value_type[0] = '\0';
    while (*at != '\0') {
        size_t word = strcspn(at, " \t*");
        bool convention = false;

        for (size_t index = 0; index < sizeof conventions / sizeof conventions[0]; index++)
            convention = convention ||
                         (word == strlen(conventions[index]) && strncmp(at, conventions[index], word) == 0);
        if (word == 0)
            word = 1;
        if (!convention && length + word < capacity) {
            memcpy(value_type + length, at, word);
            length += word;
            value_type[length] = '\0';
        }
        at += word;
    }
    /* "int WINAPI" leaves "int ": the space is the convention's. */
    while (length > 0 && (value_type[length - 1] == ' ' || value_type[length - 1] == '\t'))
        value_type[--length] = '\0';
}

/* Shrinks [*start, *end) past white space on both sides. */
static void trim(const char **start, const char **end)
{
    while (*start < *end && isspace((unsigned char)**start))
        ++*start;
    while (*end > *start && isspace((unsigned char)(*end)[-1]))
        --*end;
}

/* The identifier that ends [start, end), or NULL when the text does not end
 * with one or has nothing before it (a type with no name, or a name with no
 * type). */
static const char *trailing_identifier(const char *start, const char *end)
{
    const char *name = end;

    while (name > start && (isalnum((unsigned char)name[-1]) || name[-1] == '_'))
        name--;
    if (name == end || !is_c_identifier(name, (size_t)(end - name)))
        return NULL;
    for (const char *before = start; before < name; before++)
        if (!isspace((unsigned char)*before))
            return name;
    return NULL;
}

/* Characters of the function's name: an export as the DLL spells it may be
 * a C++ name (?f@@YAXH@Z), a decorated one (_f@8) or #N, so everything but
 * white space and the punctuation that ends a C type. */
static bool is_export_name_character(char character)
{
    return isgraph((unsigned char)character) && strchr("*&(),;", character) == NULL;
}

/* The export name that ends [start, end), or NULL when there is none or
 * nothing (no return type) before it. */
static const char *trailing_export_name(const char *start, const char *end)
{
    const char *name = end;

    while (name > start && is_export_name_character(name[-1]))
        name--;
    if (name == end)
        return NULL;
    for (const char *before = start; before < name; before++)
        if (!isspace((unsigned char)*before))
            return name;
    return NULL;
}

static int append(char *buffer, size_t capacity, const char *start, size_t length, error_message *error)
{
    size_t used = strlen(buffer);

    if (length >= capacity - used)
        return error_set(error, SHIMGEN_EXIT_BAD_REQUEST, "--prototype: longer than %d characters",
                         PROTOTYPE_TEXT_MAX - 1);
    memcpy(buffer + used, start, length);
    buffer[used + length] = '\0';
    return 0;
}

static int add_parameter(prototype *parsed, const char *start, const char *end, error_message *error)
{
    const char *name;

    trim(&start, &end);
    if (end - start == 3 && memcmp(start, "...", 3) == 0)
        return error_set(error, SHIMGEN_EXIT_BAD_REQUEST,
                         "--prototype %s: a variadic function cannot be intercepted (its arguments cannot be "
                         "forwarded)",
                         parsed->function_name);
    name = trailing_identifier(start, end);
    if (name == NULL)
        return error_set(error, SHIMGEN_EXIT_BAD_REQUEST,
                         "--prototype %s: parameter %zu (\"%.*s\") needs a type and a name; use a typedef "
                         "for "
                         "function pointer and array types",
                         parsed->function_name, parsed->parameter_count + 1, (int)(end - start), start);
    if (parsed->parameter_count == PROTOTYPE_PARAMETERS_MAX)
        return error_set(error, SHIMGEN_EXIT_BAD_REQUEST, "--prototype %s: more than %d parameters",
                         parsed->function_name, PROTOTYPE_PARAMETERS_MAX);
    if (parsed->parameter_count > 0 &&
        (append(parsed->parameter_list, sizeof parsed->parameter_list, ", ", 2, error) != 0 ||
         append(parsed->argument_list, sizeof parsed->argument_list, ", ", 2, error) != 0))
        return SHIMGEN_EXIT_BAD_REQUEST;
    if (parsed->parameter_count > 0 &&
        append(parsed->parameter_names, sizeof parsed->parameter_names, ",", 1, error) != 0)
        return SHIMGEN_EXIT_BAD_REQUEST;
    if (append(parsed->parameter_list, sizeof parsed->parameter_list, start, (size_t)(end - start), error) !=
            0 ||
        append(parsed->argument_list, sizeof parsed->argument_list, name, (size_t)(end - name), error) != 0 ||
        append(parsed->parameter_names, sizeof parsed->parameter_names, name, (size_t)(end - name), error) !=
            0)
        return SHIMGEN_EXIT_BAD_REQUEST;
    parsed->parameter_count++;
    return 0;
}

static int parse_parameters(prototype *parsed, const char *start, const char *end, error_message *error)
{
    const char *parameter = start;
    int depth = 0;

    trim(&start, &end);
    if (start == end || (end - start == 4 && memcmp(start, "void", 4) == 0)) {
        strcpy(parsed->parameter_list, "void");
        return 0;
    }
    for (const char *at = start; at <= end; at++) {
        if (at < end && (*at == '(' || *at == '['))
            depth++;
        else if (at < end && (*at == ')' || *at == ']'))
            depth--;
        else if (at == end || (*at == ',' && depth == 0)) {
            int rc = add_parameter(parsed, parameter, at, error);

            if (rc != 0)
                return rc;
            parameter = at + 1;
        }
    }
    return 0;
}

int prototype_parse(const char *text, prototype *parsed, error_message *error)
{
    const char *open = strchr(text, '(');
    const char *close = strrchr(text, ')');
    const char *type_start = text;
    const char *name_end;
    const char *name;
    const char *after = close != NULL ? close + 1 : NULL;

    memset(parsed, 0, sizeof *parsed);
    if (strlen(text) >= PROTOTYPE_TEXT_MAX)
        return error_set(error, SHIMGEN_EXIT_BAD_REQUEST, "--prototype: longer than %d characters",
                         PROTOTYPE_TEXT_MAX - 1);
    if (open == NULL || close == NULL || close < open)
        return error_set(error, SHIMGEN_EXIT_BAD_REQUEST,
                         "--prototype \"%s\" is not of the form \"type name(type name, ...)\"", text);
    while (after != NULL && *after != '\0') {
        if (!isspace((unsigned char)*after) && *after != ';')
            return error_set(error, SHIMGEN_EXIT_BAD_REQUEST, "--prototype \"%s\" has text after its ')'",
                             text);
        after++;
    }
    name_end = open;
    trim(&type_start, &name_end);
    name = trailing_export_name(type_start, name_end);
    if (name == NULL)
        return error_set(error, SHIMGEN_EXIT_BAD_REQUEST, "--prototype \"%s\" needs a return type and a name",
                         text);
    snprintf(parsed->function_name, sizeof parsed->function_name, "%.*s", (int)(name_end - name), name);
    {
        const char *type_end = name;

        trim(&type_start, &type_end);
        snprintf(parsed->return_type, sizeof parsed->return_type, "%.*s", (int)(type_end - type_start),
                 type_start);
    }
    {
        char value_type[PROTOTYPE_TEXT_MAX];

        prototype_value_type(parsed->return_type, value_type, sizeof value_type);
        parsed->returns_void = strcmp(value_type, "void") == 0;
    }
    snprintf(parsed->origin, sizeof parsed->origin, "--prototype");
    return parse_parameters(parsed, open + 1, close, error);
}
