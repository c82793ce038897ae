#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "check_command.h"
#include "check_compare.h"
#include "check_files.h"
#include "com_server.h"
#include "command_line.h"
#include "dll_loading.h"
#include "exit_codes.h"
#include "front_writer.h"
#include "names.h"

/* What the worker runtime exports; the front calls it at attach. */
static const char worker_entry_point[] = "shim_worker_connect";
/* The protocol version a runtime was built with, as bytes in its DLL. */
static const char protocol_tag[] = "twinshim:protocol=";
/* Differences listed per kind before "... and N more". */
enum {
    LISTED_DIFFERENCES = 8
};

typedef struct check_state {
    FILE *out;
    int worst; /* the lowest finding code, or 0 */
    size_t findings;
} check_state;

static void finding(check_state *state, int code, const char *file, const char *format, ...)
#if defined(__GNUC__) || defined(__clang__)
    __attribute__((format(SHIMGEN_PRINTF_FORMAT, 4, 5)))
#endif
    ;

static void finding(check_state *state, int code, const char *file, const char *format, ...)
{
    va_list arguments;

    fprintf(state->out, "shimgen: check: %s: ", file);
    va_start(arguments, format);
    vfprintf(state->out, format, arguments);
    va_end(arguments);
    fputc('\n', state->out);
    state->findings++;
    if (state->worst == 0 || code < state->worst)
        state->worst = code;
}

/* Splits the front's tag value "WORKER;original=ORIGINAL". */
static bool split_tag(char *value, const char **worker, const char **original)
{
    char *separator = strstr(value, ";original=");

    if (separator == NULL || separator == value || separator[10] == '\0')
        return false;
    *separator = '\0';
    *worker = value;
    *original = separator + 10;
    return true;
}

/* Whether WINEDLLOVERRIDES (in this environment) already makes Wine take
 * the native `key` first: an entry "a,key,b=n..." */
static bool override_is_set(const char *key)
{
    const char *overrides = getenv("WINEDLLOVERRIDES");
    size_t key_length = strlen(key);

    for (const char *entry = overrides; entry != NULL && *entry != '\0';) {
        const char *end = strchr(entry, ';');
        const char *equals = memchr(entry, '=', end != NULL ? (size_t)(end - entry) : strlen(entry));

        if (equals != NULL && (equals[1] == 'n' || equals[1] == 'N'))
            for (const char *name = entry; name < equals;) {
                const char *comma = memchr(name, ',', (size_t)(equals - name));
                const char *name_end = comma != NULL ? comma : equals;
                size_t length = (size_t)(name_end - name);
                size_t at = 0;

                while (at < length && at < key_length &&
                       tolower((unsigned char)name[at]) == tolower((unsigned char)key[at]))
                    at++;
                if (at == length && at == key_length)
                    return true;
                name = name_end + 1;
            }
        entry = end != NULL ? end + 1 : NULL;
    }
    return false;
}

/* The loaders: API sets and KnownDLLs on Windows, a builtin under Wine. */
static void check_loading(check_state *state, const checked_dll *front)
{
    dll_loading loading;
    dll_names names;
    error_message ignored;

    dll_loading_examine(front->file_name, front->image.is_pe32_plus, &loading);
    if (loading.is_api_set)
        finding(state, SHIMGEN_EXIT_CHECK_LOADER, front->file_name,
                "an API-set name: Windows resolves it through the API-set schema and never loads this file");
    else if (loading.is_known_dll)
        finding(state, SHIMGEN_EXIT_CHECK_LOADER, front->file_name,
                "a KnownDLL: Windows maps its own copy and never takes this file from the program's folder");
    if (!loading.wine_has_builtin || names_derive(front->file_name, NULL, &names, &ignored) != 0)
        return;
    if (override_is_set(names.wine_override))
        fprintf(state->out,
                "shimgen: check: %s: Wine has a builtin of this name; WINEDLLOVERRIDES here takes the "
                "front\n",
                front->file_name);
    else
        finding(state, SHIMGEN_EXIT_CHECK_WINE_BUILTIN, front->file_name,
                "Wine has a builtin of this name (%s) and loads it instead: run with "
                "WINEDLLOVERRIDES=\"%s=n,b\"",
                loading.wine_builtin_path, names.wine_override);
}

/* A note, not a finding: check reads no registry, and a correct folder of a
 * COM server has the same files as one whose registration names the original. */
static void remind_com_registration(check_state *state, const checked_dll *front, const char *original_name,
                                    const checked_dll *server)
{
    com_server_exports exports = com_server_examine(&server->exports);

    if (com_server_is_one(exports))
        fprintf(state->out,
                "shimgen: check: %s: an in-process COM server (%s): its registration (InprocServer32, the "
                "type library's win32/win64 path) must name the front, not %s (the registry is not "
                "checked)\n",
                front->file_name, com_server_export_list(exports), original_name);
}

static void check_machines(check_state *state, const checked_dll *front, const checked_dll *worker,
                           const checked_dll *original)
{
    const checked_dll *others[2] = { worker, original };

    for (size_t index = 0; index < 2; index++)
        if (others[index] != NULL && others[index]->image.machine != front->image.machine)
            finding(state, SHIMGEN_EXIT_CHECK_MACHINE, others[index]->file_name,
                    "built for %s, but the front %s is for %s: one process loads them together",
                    pe_machine_name(others[index]->image.machine), front->file_name,
                    pe_machine_name(front->image.machine));
}

static void check_protocol(check_state *state, const checked_dll *front, const checked_dll *worker)
{
    char front_version[32];
    char worker_version[32];
    bool front_tagged = checked_dll_find_tag(front, protocol_tag, false, front_version, sizeof front_version);
    bool worker_tagged =
        checked_dll_find_tag(worker, protocol_tag, false, worker_version, sizeof worker_version);

    if (pe_find_export_by_name(&worker->exports, worker_entry_point) == NULL) {
        finding(state, SHIMGEN_EXIT_CHECK_PROTOCOL, worker->file_name,
                "not a twinshim worker: it does not export %s (the front runs in pass-through)",
                worker_entry_point);
        return;
    }
    if (front_tagged && worker_tagged && strcmp(front_version, worker_version) != 0)
        finding(state, SHIMGEN_EXIT_CHECK_PROTOCOL, worker->file_name,
                "speaks protocol %s, the front %s speaks %s: the front refuses it and runs in pass-through",
                worker_version, front->file_name, front_version);
    else if (!front_tagged || !worker_tagged)
        fprintf(state->out, "shimgen: check: %s: protocol version not recorded in %s (not compared)\n",
                worker->file_name,
                front_tagged    ? "the worker"
                : worker_tagged ? "the front"
                                : "either DLL");
}

static void check_tables(check_state *state, const checked_dll *front, const checked_dll *original)
{
    char prefix[CHECK_NAME_MAX + 32];
    size_t count;

    snprintf(prefix, sizeof prefix, "shimgen: check: %s:   ", front->file_name);
    count = check_compare_exports(&front->exports, &original->exports, NULL, "", 0);
    if (count != 0) {
        finding(state, SHIMGEN_EXIT_CHECK_EXPORTS, front->file_name,
                "%zu export difference%s from the original %s:", count, count == 1 ? "" : "s",
                original->file_name);
        check_compare_exports(&front->exports, &original->exports, state->out, prefix, LISTED_DIFFERENCES);
        if (count > LISTED_DIFFERENCES)
            fprintf(state->out, "%s... and %zu more\n", prefix, count - LISTED_DIFFERENCES);
    }
    count = check_compare_resources(&front->resources, &original->resources, NULL, "", 0);
    if (count != 0) {
        finding(state, SHIMGEN_EXIT_CHECK_RESOURCES, front->file_name,
                "lacks %zu of the original's %zu resource%s, or has other bytes: a host that loads them "
                "through the front does not get the original's:",
                count, original->resources.count, original->resources.count == 1 ? "" : "s");
        check_compare_resources(&front->resources, &original->resources, state->out, prefix,
                                LISTED_DIFFERENCES);
        if (count > LISTED_DIFFERENCES)
            fprintf(state->out, "%s... and %zu more\n", prefix, count - LISTED_DIFFERENCES);
    }
}

/* Opens the file the front names, or reports it missing or unusable. */
static bool open_named(check_state *state, const char *folder, const folder_listing *listing,
                       const char *front, const char *role, const char *name, checked_dll *dll)
{
    const char *present = folder_find(listing, name);
    error_message error = { "" };

    if (present == NULL) {
        finding(state, SHIMGEN_EXIT_CHECK_FILES, front, "its %s %s is not in %s", role, name, folder);
        return false;
    }
    if (checked_dll_open(dll, folder, present, &error) != 0) {
        finding(state, SHIMGEN_EXIT_CHECK_FILES, present, "the front's %s cannot be read as a DLL: %s", role,
                error.text);
        checked_dll_close(dll);
        return false;
    }
    return true;
}

static void check_front(check_state *state, const char *folder, const folder_listing *listing,
                        checked_dll *front, char *tag)
{
    const char *worker_name;
    const char *original_name;
    checked_dll worker;
    checked_dll original;
    bool has_worker;
    bool has_original;

    if (!split_tag(tag, &worker_name, &original_name)) {
        finding(state, SHIMGEN_EXIT_CHECK_FILES, front->file_name, "its twinshim tag is malformed: %s", tag);
        return;
    }
    fprintf(state->out, "shimgen: check: %s: a twinshim front (%s), worker %s, original %s\n",
            front->file_name, pe_machine_name(front->image.machine), worker_name, original_name);
    has_worker = open_named(state, folder, listing, front->file_name, "worker", worker_name, &worker);
    has_original = open_named(state, folder, listing, front->file_name, "original", original_name, &original);
    check_machines(state, front, has_worker ? &worker : NULL, has_original ? &original : NULL);
    if (has_worker)
        check_protocol(state, front, &worker);
    if (has_original)
        check_tables(state, front, &original);
    check_loading(state, front);
    remind_com_registration(state, front, original_name, has_original ? &original : front);
    if (has_worker)
        checked_dll_close(&worker);
    if (has_original)
        checked_dll_close(&original);
}

int check_run(const char *folder, const char *front_name, FILE *out, char *error_text, size_t error_capacity)
{
    check_state state = { .out = out };
    folder_listing listing;
    error_message error = { "" };
    size_t fronts = 0;
    int rc = folder_list(folder, &listing, &error);

    if (rc == 0 && front_name != NULL && folder_find(&listing, front_name) == NULL)
        rc =
            error_set(&error, SHIMGEN_EXIT_CHECK_FILES, "--front %s: no such file in the folder", front_name);
    for (size_t index = 0; rc == 0 && index < listing.count; index++) {
        checked_dll dll;
        char tag[2 * CHECK_NAME_MAX + 16];
        error_message ignored;

        if (front_name != NULL && strcmp(listing.names[index], folder_find(&listing, front_name)) != 0)
            continue;
        /* Any file that is no readable PE image is no front. */
        if (checked_dll_open(&dll, folder, listing.names[index], &ignored) == 0 &&
            checked_dll_find_tag(&dll, FRONT_CHECK_TAG, true, tag, sizeof tag)) {
            fronts++;
            check_front(&state, folder, &listing, &dll, tag);
        }
        checked_dll_close(&dll);
    }
    if (rc == 0 && fronts == 0)
        finding(&state, SHIMGEN_EXIT_CHECK_FILES, front_name != NULL ? front_name : folder,
                "no twinshim front: no readable DLL carries shimgen's tag (" FRONT_CHECK_TAG "...)");
    folder_listing_free(&listing);
    if (rc != 0) {
        snprintf(error_text, error_capacity, "%s", error.text);
        return rc;
    }
    if (state.findings == 0)
        fprintf(out, "shimgen: check: %s: no findings (%zu front%s)\n", folder, fronts,
                fronts == 1 ? "" : "s");
    return state.worst;
}

const char check_usage[] = "usage: shimgen check DIR [--front FILE]\n";

const char check_help[] = "\n"
                          "Reads a deployed folder (a front written by shimgen wrap, its worker and the\n"
                          "renamed original) and reports, one line each, what would keep the front from\n"
                          "working there. It reads files only. The front names its worker and original\n"
                          "in a tag (twinshim:worker=...;original=...) that check finds in its bytes.\n"
                          "  --front FILE   check only this front (default: every front in DIR)\n"
                          "  --help         this text\n"
                          "Each kind of finding has its own exit code; with several, check exits with\n"
                          "the lowest:\n"
                          "  10  a file is missing: the front's worker or original is not in DIR, or DIR\n"
                          "      holds no front\n"
                          "  11  the front, the worker and the original are not all for one machine\n"
                          "  12  the worker is no twinshim worker (no shim_worker_connect), or speaks\n"
                          "      another protocol version than the front\n"
                          "  13  the front's exports differ from the original's (names, ordinals)\n"
                          "  14  the original has resources the front lacks (or holds other bytes for)\n"
                          "  15  Windows will not take the front from DIR: a KnownDLL or API-set name\n"
                          "  16  Wine has a builtin of the front's name that wins without\n"
                          "      WINEDLLOVERRIDES=\"NAME=n,b\" (not a finding when WINEDLLOVERRIDES here\n"
                          "      already says so)\n"
                          "An original that is an in-process COM server (DllGetClassObject,\n"
                          "DllRegisterServer) gets a note, no code: its registration must name the\n"
                          "front, and check reads no registry.\n";

int check_main(int argc, char **argv)
{
    const char *folder = NULL;
    const char *front = NULL;
    char error[256] = "";
    int rc;

    for (int index = 1; index < argc; index++) {
        const char *argument = argv[index];

        if (command_asks_for_help(argument)) {
            printf("%s%s\n%s", check_usage, check_help, command_exit_codes_help);
            return SHIMGEN_EXIT_OK;
        }
        if (strcmp(argument, "--front") == 0) {
            if (index + 1 >= argc)
                return command_usage_error(check_usage, "check: --front needs a value");
            front = argv[++index];
        } else if (command_is_option(argument)) {
            return command_usage_error(check_usage, "check: unknown option %s", argument);
        } else if (folder != NULL) {
            return command_usage_error(check_usage, "check: one DIR only, but got %s and %s", folder,
                                       argument);
        } else {
            folder = argument;
        }
    }
    if (folder == NULL)
        return command_usage_error(check_usage, "check: no DIR given");
    rc = check_run(folder, front, stdout, error, sizeof error);
    if (error[0] != '\0')
        fprintf(stderr, "shimgen: %s: %s\n", folder, error);
    return rc;
}
