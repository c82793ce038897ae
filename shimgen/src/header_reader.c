#include <stdlib.h>
#include <string.h>

#include "exit_codes.h"
#include "header_reader.h"

const header_function *header_find(const header_declarations *declarations, const char *name)
{
    for (size_t index = 0; index < declarations->count; index++)
        if (strcmp(declarations->functions[index].signature.function_name, name) == 0)
            return &declarations->functions[index];
    return NULL;
}

void header_declarations_free(header_declarations *declarations)
{
    free(declarations->functions);
    declarations->functions = NULL;
    declarations->count = 0;
}

#ifndef SHIMGEN_HAVE_LIBCLANG

int header_read(const header_request *request, header_declarations *declarations, FILE *diagnostics,
                error_message *error)
{
    (void)diagnostics;
    declarations->functions = NULL;
    declarations->count = 0;
    return error_set(error, SHIMGEN_EXIT_BAD_REQUEST,
                     "--header %s: this shimgen was built without libclang, which reads headers; give "
                     "--prototype for each export instead, or build shimgen where libclang-dev is installed",
                     request->header_path);
}

#else

#include <stdarg.h>
#include <stdint.h>
#include <sys/stat.h>

#include <clang-c/Index.h>

#define MAIN_FILE "shimgen-header.c"
#define MAIN_TEXT_MAX 16384
#define ARGUMENTS_MAX 256
#define DIAGNOSTICS_SHOWN 5

/* Appends printf-style to a buffer of PROTOTYPE_TEXT_MAX; false when full. */
static bool append(char *buffer, const char *format, ...)
#if defined(__GNUC__) || defined(__clang__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

static bool append(char *buffer, const char *format, ...)
{
    size_t used = strlen(buffer);
    va_list arguments;
    int written;

    va_start(arguments, format);
    written = vsnprintf(buffer + used, PROTOTYPE_TEXT_MAX - used, format, arguments);
    va_end(arguments);
    return written >= 0 && (size_t)written < PROTOTYPE_TEXT_MAX - used;
}

/* The C text of a type, usable where a type name goes before a declarator
 * ("T name", "T result"): its spelling, or __typeof__(spelling) when the
 * spelling needs a declarator around the name (function pointers). An
 * array parameter is the pointer it is adjusted to. NULL when it cannot be
 * written: the reason goes to *untypable. */
static bool type_text(CXType type, char *text, size_t capacity, const char **untypable)
{
    bool is_array = type.kind == CXType_ConstantArray || type.kind == CXType_IncompleteArray ||
                    type.kind == CXType_VariableArray || type.kind == CXType_DependentSizedArray;
    CXType named = is_array ? clang_getArrayElementType(type) : type;
    CXString spelling = clang_getTypeSpelling(named);
    const char *spelled = clang_getCString(spelling);
    bool needs_typeof = strchr(spelled, '(') != NULL || strchr(spelled, '[') != NULL;
    int written;

    if (strstr(spelled, "(unnamed") != NULL || strstr(spelled, "(anonymous") != NULL) {
        *untypable = "a parameter or result of an unnamed struct, union or enum type";
        clang_disposeString(spelling);
        return false;
    }
    written = snprintf(text, capacity, "%s%s%s%s", needs_typeof ? "__typeof__(" : "", spelled,
                       needs_typeof ? ")" : "", is_array ? " *" : "");
    clang_disposeString(spelling);
    if (written < 0 || (size_t)written >= capacity) {
        *untypable = "a type longer than shimgen holds";
        return false;
    }
    return true;
}

/* The convention a typed stub must be declared with, or false when GCC
 * cannot declare it (vectorcall, regcall, pascal). */
static bool convention_of(CXType function, bool is_x64, prototype_convention *convention,
                          const char **untypable)
{
    enum CXCallingConv found = clang_getFunctionTypeCallingConv(function);

    *convention = PROTOTYPE_CONVENTION_AS_WRITTEN;
    switch (found) {
    case CXCallingConv_C:
        *convention = is_x64 ? PROTOTYPE_CONVENTION_AS_WRITTEN : PROTOTYPE_CONVENTION_CDECL;
        return true;
    case CXCallingConv_X86StdCall:
        *convention = PROTOTYPE_CONVENTION_STDCALL;
        return true;
    case CXCallingConv_X86FastCall:
        *convention = PROTOTYPE_CONVENTION_FASTCALL;
        return true;
    case CXCallingConv_X86ThisCall:
        *convention = PROTOTYPE_CONVENTION_THISCALL;
        return true;
    case CXCallingConv_Win64:
    case CXCallingConv_Default:
        return true;
    case CXCallingConv_X86VectorCall:
        *untypable = "__vectorcall, which GCC cannot declare";
        return false;
    default:
        *untypable = "a calling convention GCC cannot declare";
        return false;
    }
}

/* Bytes an argument takes on an i686 stack, as @N counts them. */
static size_t stack_bytes(CXType type, bool is_x64)
{
    bool is_array = type.kind == CXType_ConstantArray || type.kind == CXType_IncompleteArray ||
                    type.kind == CXType_VariableArray || type.kind == CXType_DependentSizedArray;
    long long size = is_array ? (is_x64 ? 8 : 4) : clang_Type_getSizeOf(type);

    return size > 0 ? ((size_t)size + 3) / 4 * 4 : 0;
}

/* Where `cursor` is declared, as "file:line". */
static void origin_of(CXCursor cursor, char *origin, size_t capacity)
{
    CXFile file;
    unsigned line = 0;
    CXString name;

    clang_getSpellingLocation(clang_getCursorLocation(cursor), &file, &line, NULL, NULL);
    name = clang_getFileName(file);
    snprintf(origin, capacity, "%s:%u", clang_getCString(name) != NULL ? clang_getCString(name) : "?", line);
    clang_disposeString(name);
}

/* Fills `function` from a declaration; untypable says why a typed stub
 * cannot call it (the prototype is then incomplete). */
static void describe(CXCursor cursor, const char *name, bool is_x64, header_function *function)
{
    prototype *signature = &function->signature;
    CXType type = clang_getCursorType(cursor);
    char text[PROTOTYPE_TEXT_MAX];
    int count;

    memset(function, 0, sizeof *function);
    snprintf(signature->function_name, sizeof signature->function_name, "%s", name);
    origin_of(cursor, signature->origin, sizeof signature->origin);
    if (type.kind == CXType_FunctionNoProto) {
        function->untypable = "declared without a prototype (no parameter list)";
        return;
    }
    if (clang_isFunctionTypeVariadic(type)) {
        function->untypable = "variadic (its arguments cannot be forwarded)";
        return;
    }
    if (!convention_of(type, is_x64, &signature->convention, &function->untypable) ||
        !type_text(clang_getResultType(type), signature->return_type, sizeof signature->return_type,
                   &function->untypable))
        return;
    signature->returns_void = clang_getResultType(type).kind == CXType_Void;
    count = clang_Cursor_getNumArguments(cursor);
    if (count < 0 || count > PROTOTYPE_PARAMETERS_MAX) {
        function->untypable = "more parameters than a record holds";
        return;
    }
    signature->parameter_count = (size_t)count;
    for (int index = 0; index < count; index++) {
        CXCursor parameter = clang_Cursor_getArgument(cursor, (unsigned)index);
        CXType parameter_type = clang_getCursorType(parameter);
        CXString parameter_name = clang_getCursorSpelling(parameter);
        const char *spelled = clang_getCString(parameter_name);
        bool fits;

        if (!type_text(parameter_type, text, sizeof text, &function->untypable)) {
            clang_disposeString(parameter_name);
            return;
        }
        /* The stub's own names: a header's may be macros (errno) or missing. */
        fits = append(signature->parameter_list, "%s%s shimgen_argument_%d", index > 0 ? ", " : "", text,
                      index) &&
               append(signature->argument_list, "%sshimgen_argument_%d", index > 0 ? ", " : "", index) &&
               (spelled[0] != '\0'
                    ? append(signature->parameter_names, "%s%s", index > 0 ? "," : "", spelled)
                    : append(signature->parameter_names, "%sarg%d", index > 0 ? "," : "", index + 1));
        clang_disposeString(parameter_name);
        if (!fits) {
            function->untypable = "a parameter list longer than shimgen holds";
            return;
        }
        signature->argument_bytes += stack_bytes(parameter_type, is_x64);
    }
    if (count == 0)
        strcpy(signature->parameter_list, "void");
}

typedef struct visit_state {
    const header_request *request;
    header_declarations *declarations;
    size_t capacity;
    bool out_of_memory;
} visit_state;

static enum CXChildVisitResult visit_declaration(CXCursor cursor, CXCursor parent, CXClientData data)
{
    visit_state *state = data;
    CXString spelling;
    const char *name;

    (void)parent;
    if (clang_getCursorKind(cursor) != CXCursor_FunctionDecl)
        return CXChildVisit_Continue;
    spelling = clang_getCursorSpelling(cursor);
    name = clang_getCString(spelling);
    if (state->request->wanted(name, state->request->wanted_context) &&
        header_find(state->declarations, name) == NULL) {
        if (state->declarations->count == state->capacity) {
            size_t capacity = state->capacity == 0 ? 16 : state->capacity * 2;
            header_function *grown =
                realloc(state->declarations->functions, capacity * sizeof *state->declarations->functions);

            if (grown == NULL) {
                state->out_of_memory = true;
                clang_disposeString(spelling);
                return CXChildVisit_Break;
            }
            state->declarations->functions = grown;
            state->capacity = capacity;
        }
        describe(cursor, name, state->request->is_x64,
                 &state->declarations->functions[state->declarations->count++]);
    }
    clang_disposeString(spelling);
    return CXChildVisit_Continue;
}

/* The file clang parses: what the generated front includes, in its order. */
static int write_main_file(const header_request *request, char *text, size_t capacity, error_message *error)
{
    int written = snprintf(text, capacity, "#include <windows.h>\n");

    for (size_t index = 0; index < request->include_count && written >= 0 && (size_t)written < capacity;
         index++) {
        const char *header = request->includes[index];
        bool delimited = header[0] == '<' || header[0] == '"';

        written += snprintf(text + written, capacity - (size_t)written, "#include %s%s%s\n",
                            delimited ? "" : "\"", header, delimited ? "" : "\"");
    }
    if (strpbrk(request->header_path, "\"\n\r") != NULL)
        return error_set(error, SHIMGEN_EXIT_BAD_REQUEST, "--header %s: a path with a quote or a line break",
                         request->header_path);
    if (written >= 0 && (size_t)written < capacity)
        written +=
            snprintf(text + written, capacity - (size_t)written, "#include \"%s\"\n", request->header_path);
    if (written < 0 || (size_t)written >= capacity)
        return error_set(error, SHIMGEN_EXIT_BAD_REQUEST, "--header: too many --include headers");
    return 0;
}

/* Where clang's own headers (stddef.h, the intrinsics windows.h includes)
 * are: libclang looks beside itself, which Debian's layout defeats. */
static const char *resource_dir(void)
{
    const char *chosen = getenv("SHIMGEN_CLANG_RESOURCE_DIR");
    struct stat status;

#ifdef SHIMGEN_CLANG_RESOURCE_DIR
    if (chosen == NULL || chosen[0] == '\0')
        chosen = SHIMGEN_CLANG_RESOURCE_DIR;
#endif
    return chosen != NULL && stat(chosen, &status) == 0 && S_ISDIR(status.st_mode) ? chosen : NULL;
}

static int build_arguments(const header_request *request, const char **arguments, int *count,
                           error_message *error)
{
    const char *resources = resource_dir();
    int used = 0;

    if (request->include_dir_count + request->define_count > (ARGUMENTS_MAX - 8) / 2)
        return error_set(error, SHIMGEN_EXIT_BAD_REQUEST, "--header: too many -I and -D options");
    arguments[used++] = request->is_x64 ? "--target=x86_64-w64-mingw32" : "--target=i686-w64-mingw32";
    arguments[used++] = "-std=gnu11";
    arguments[used++] = "-ferror-limit=20";
    if (resources != NULL) {
        arguments[used++] = "-resource-dir";
        arguments[used++] = resources;
    }
    for (size_t index = 0; index < request->include_dir_count; index++) {
        arguments[used++] = "-I";
        arguments[used++] = request->include_dirs[index];
    }
    for (size_t index = 0; index < request->define_count; index++) {
        arguments[used++] = "-D";
        arguments[used++] = request->defines[index];
    }
    *count = used;
    return 0;
}

/* Refuses a translation unit with errors: the first in `error`, the next
 * few on `diagnostics`. */
static int refuse_errors(const header_request *request, CXTranslationUnit unit, FILE *diagnostics,
                         error_message *error)
{
    unsigned total = clang_getNumDiagnostics(unit);
    unsigned shown = 0;
    int rc = 0;

    for (unsigned index = 0; index < total && shown < DIAGNOSTICS_SHOWN; index++) {
        CXDiagnostic diagnostic = clang_getDiagnostic(unit, index);

        if (clang_getDiagnosticSeverity(diagnostic) >= CXDiagnostic_Error) {
            CXString text = clang_formatDiagnostic(diagnostic, CXDiagnostic_DisplaySourceLocation |
                                                                   CXDiagnostic_DisplayColumn);

            if (shown == 0)
                rc = error_set(error, SHIMGEN_EXIT_BAD_REQUEST, "--header %s does not parse: %s",
                               request->header_path, clang_getCString(text));
            else if (diagnostics != NULL)
                fprintf(diagnostics, "shimgen: %s\n", clang_getCString(text));
            shown++;
            clang_disposeString(text);
        }
        clang_disposeDiagnostic(diagnostic);
    }
    return rc;
}

int header_read(const header_request *request, header_declarations *declarations, FILE *diagnostics,
                error_message *error)
{
    static char main_text[MAIN_TEXT_MAX];
    const char *arguments[ARGUMENTS_MAX];
    int argument_count = 0;
    struct CXUnsavedFile main_file = { .Filename = MAIN_FILE };
    CXIndex index;
    CXTranslationUnit unit = NULL;
    visit_state state = { .request = request, .declarations = declarations };
    struct stat status;
    int rc;

    declarations->functions = NULL;
    declarations->count = 0;
    if (stat(request->header_path, &status) != 0 || !S_ISREG(status.st_mode))
        return error_set(error, SHIMGEN_EXIT_BAD_REQUEST, "--header %s: no such file", request->header_path);
    rc = write_main_file(request, main_text, sizeof main_text, error);
    if (rc == 0)
        rc = build_arguments(request, arguments, &argument_count, error);
    if (rc != 0)
        return rc;
    main_file.Contents = main_text;
    main_file.Length = (unsigned long)strlen(main_text);
    index = clang_createIndex(0, 0);
    if (clang_parseTranslationUnit2(index, MAIN_FILE, arguments, argument_count, &main_file, 1,
                                    CXTranslationUnit_SkipFunctionBodies, &unit) != CXError_Success) {
        clang_disposeIndex(index);
        return error_set(error, SHIMGEN_EXIT_BAD_REQUEST, "--header %s: libclang could not parse it",
                         request->header_path);
    }
    rc = refuse_errors(request, unit, diagnostics, error);
    if (rc == 0) {
        clang_visitChildren(clang_getTranslationUnitCursor(unit), visit_declaration, &state);
        if (state.out_of_memory)
            rc = error_set(error, SHIMGEN_EXIT_INTERNAL, "out of memory");
    }
    clang_disposeTranslationUnit(unit);
    clang_disposeIndex(index);
    return rc;
}

#endif
