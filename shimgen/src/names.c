#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "exit_codes.h"
#include "names.h"

static int is_file_name_character(char character)
{
    return isalnum((unsigned char)character) || strchr("_-.+~", character) != NULL;
}

static int same_text_ignoring_case(const char *a, const char *b)
{
    while (*a != '\0' && tolower((unsigned char)*a) == tolower((unsigned char)*b)) {
        a++;
        b++;
    }
    return *a == '\0' && *b == '\0';
}

/* The front's stem and extension: the extension is what follows the last
 * dot; a file without one is what LoadLibrary looks for, NAME.dll. */
static int split_file_name(const char *file_name, const char *stem, dll_names *names, error_message *error)
{
    const char *dot = strrchr(file_name, '.');
    size_t stem_length;

    if (dot == NULL || dot == file_name)
        dot = file_name + strlen(file_name);
    if (strlen(dot) >= sizeof names->front_suffix)
        return error_set(error, SHIMGEN_EXIT_BAD_REQUEST, "the extension %s is longer than %d characters",
                         dot, (int)sizeof names->front_suffix - 1);
    snprintf(names->front_suffix, sizeof names->front_suffix, "%s", *dot != '\0' ? dot : ".dll");
    if (stem == NULL) {
        stem = file_name;
        stem_length = (size_t)(dot - file_name);
    } else {
        stem_length = strlen(stem);
    }
    if (stem_length == 0 || stem_length >= sizeof names->front_stem)
        return error_set(error, SHIMGEN_EXIT_BAD_REQUEST,
                         "the front needs a name of 1 to %d characters (--name)",
                         (int)sizeof names->front_stem - 1);
    for (size_t index = 0; index < stem_length; index++)
        if (!is_file_name_character(stem[index]))
            return error_set(error, SHIMGEN_EXIT_BAD_REQUEST,
                             "the front's name \"%.*s\" may hold only letters, digits and \"_-.+~\" (use "
                             "--name)",
                             (int)stem_length, stem);
    memcpy(names->front_stem, stem, stem_length);
    names->front_stem[stem_length] = '\0';
    for (const char *at = names->front_suffix + 1; *at != '\0'; at++)
        if (!is_file_name_character(*at) || *at == '.')
            return error_set(error, SHIMGEN_EXIT_BAD_REQUEST,
                             "the extension \"%s\" may hold only letters, digits and \"_-+~\"",
                             names->front_suffix);
    return 0;
}

int names_derive(const char *file_name, const char *stem, dll_names *names, error_message *error)
{
    char base[NAMES_STEM_MAX];
    int rc;

    memset(names, 0, sizeof *names);
    rc = split_file_name(file_name, stem, names, error);
    if (rc != 0)
        return rc;
    snprintf(names->front_file, sizeof names->front_file, "%s%s", names->front_stem, names->front_suffix);
    names->has_dll_suffix = same_text_ignoring_case(names->front_suffix, ".dll");
    /* The forwarders in the .def name the original as MODULE.EXPORT: loaders
     * split that at a dot (Wine at the last, others at the first) and add
     * ".dll" to a module without an extension. So the original's base name
     * holds no dot, and it is always a .dll, whatever the front's extension. */
    snprintf(base, sizeof base, "%s", names->front_stem);
    for (char *at = base; *at != '\0'; at++)
        if (*at == '.')
            *at = '_';
    snprintf(names->original_stem, sizeof names->original_stem, "%s_orig", base);
    snprintf(names->original_file, sizeof names->original_file, "%s.dll", names->original_stem);
    snprintf(names->worker_stem, sizeof names->worker_stem, "%s_worker", base);
    snprintf(names->worker_file, sizeof names->worker_file, "%s.dll", names->worker_stem);
    /* C and CMake: [A-Za-z0-9_], never a leading digit. */
    snprintf(names->identifier, sizeof names->identifier, "%s%s",
             isdigit((unsigned char)base[0]) ? "dll_" : "", base);
    for (char *at = names->identifier; *at != '\0'; at++)
        if (!isalnum((unsigned char)*at))
            *at = '_';
    size_t index = 0;

    for (; names->identifier[index] != '\0'; index++)
        names->log_variable[index] = (char)toupper((unsigned char)names->identifier[index]);
    snprintf(names->log_variable + index, sizeof names->log_variable - index, "_SHIM_LOG");
    /* Wine names a .dll override without its extension, any other with it. */
    snprintf(names->wine_override, sizeof names->wine_override, "%s",
             names->has_dll_suffix ? names->front_stem : names->front_file);
    return 0;
}

bool names_equal_ignoring_case(const char *a, const char *b)
{
    while (*a != '\0' && tolower((unsigned char)*a) == tolower((unsigned char)*b)) {
        a++;
        b++;
    }
    return *a == '\0' && *b == '\0';
}
