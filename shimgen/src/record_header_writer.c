#include <inttypes.h>
#include <string.h>

#include "c_literal.h"
#include "record_header_writer.h"

/* The record: a fixed header, then what its kind adds. Every field is set
 * on every call, and nothing more: the record is copied into the worker's
 * queue per call, and each of its lines costs a transfer to the thread that
 * reads it. */
static void write_record(FILE *out, const char *identifier)
{
    fprintf(out,
            "#define %s_RECORD_REGISTERS 8\n"
            "/* A typed record holds at most this many values (the arguments, then the\n"
            " * result) and this many bytes of string text. */\n"
            "#define %s_RECORD_VALUES_MAX 33\n"
            "#define %s_RECORD_TEXT_MAX 512\n\n"
            "/* A record's kind: what follows its header. */\n"
            "#define %s_RECORD_TYPED 1    /* a typed stub's: values[value_count], kinds[value_count], text "
            "*/\n"
            "#define %s_RECORD_OBSERVED 2 /* an observing stub's: registers[%s_RECORD_REGISTERS] */\n"
            "/* A typed call the process exited in: its arguments, no result, no duration. */\n"
            "#define %s_RECORD_UNFINISHED 0x1 /* in flags */\n\n",
            identifier, identifier, identifier, identifier, identifier, identifier, identifier);
    fprintf(out,
            "/* What a typed record's value is, so that the worker can write it: the\n"
            " * low bits a kind, the high bits what happened to a string. */\n"
            "#define %s_VALUE_SIGNED 1      /* an integer or an enum, sign-extended */\n"
            "#define %s_VALUE_UNSIGNED 2\n"
            "#define %s_VALUE_BOOL 3\n"
            "#define %s_VALUE_REAL 4        /* float or double: a double's bits */\n"
            "#define %s_VALUE_RAW 5         /* another value of up to 8 bytes (a pointer): its bits */\n"
            "#define %s_VALUE_WIDE 6        /* a wider one (a struct by value): only its size */\n"
            "#define %s_VALUE_STRING 7      /* const char *: the pointer; its bytes in the text */\n"
            "#define %s_VALUE_WIDE_STRING 8 /* const wchar_t *: the pointer; UTF-16 units in the text */\n"
            "#define %s_VALUE_KIND_MASK 0x0f\n"
            "#define %s_VALUE_CUT 0x10        /* the string was longer than the front keeps */\n"
            "#define %s_VALUE_UNREADABLE 0x20 /* the string's memory could not be read: no text */\n\n",
            identifier, identifier, identifier, identifier, identifier, identifier, identifier, identifier,
            identifier, identifier, identifier);
    fprintf(out,
            "typedef struct %s_call_record {\n"
            "    unsigned short export_index; /* into %s_intercepted_exports below */\n"
            "    unsigned char kind;          /* %s_RECORD_TYPED or %s_RECORD_OBSERVED */\n"
            "    unsigned char value_count;   /* typed: the arguments, then the result */\n"
            "    unsigned long thread_id;     /* the host thread that made the call */\n"
            "    /* typed: the thread's last error after the call; observed: when the\n"
            "     * call began (an observing stub does not see it return). */\n"
            "    unsigned long last_error;\n"
            "    unsigned short text_size; /* typed: bytes of text after the kinds */\n"
            "    unsigned char has_result; /* typed: the last value is the result */\n"
            "    unsigned char flags;      /* %s_RECORD_UNFINISHED */\n"
            "    /* When the call began, in UTC: a FILETIME (100 ns units since\n"
            "     * 1601-01-01), from the front runtime's record clock (twinshim/front.h). */\n"
            "    unsigned long long timestamp;\n"
            "    /* typed: from the original's call to its return, on the calling\n"
            "     * thread, from the clock's monotonic counter (never the time of day). */\n"
            "    unsigned long long duration_ns;\n"
            "    unsigned long long return_address; /* where the call returns to, in the host */\n"
            "    /* Then, typed: unsigned long long values[value_count] (an integer,\n"
            "     * a double's bits, a pointer), unsigned char kinds[value_count]\n"
            "     * (%s_VALUE_*), and text_size bytes of text: for each string value\n"
            "     * with text, in order, its length in bytes (2 bytes, little-endian)\n"
            "     * and its bytes (UTF-16LE for a wide string). A NULL string has no\n"
            "     * text, nor has an unreadable one. Observed: the raw argument\n"
            "     * registers, x64 rcx, rdx, r8, r9 and the low halves of xmm0-xmm3;\n"
            "     * i686 ecx, edx and the first six stack slots. */\n"
            "} %s_call_record;\n\n"
            "_Static_assert(sizeof(%s_call_record) == 40, \"the record's header is 40 bytes on both "
            "architectures\");\n",
            identifier, identifier, identifier, identifier, identifier, identifier, identifier, identifier);
}

/* A typed export's parameter names, as a static array. */
static void write_parameter_names(FILE *out, const char *identifier, size_t index, const prototype *signature)
{
    const char *name = signature->parameter_names;

    fprintf(out, "static const char *const %s_parameters_%zu[] = { ", identifier, index);
    while (*name != '\0') {
        size_t length = strcspn(name, ",");
        char one[PROTOTYPE_TEXT_MAX];

        snprintf(one, sizeof one, "%.*s", (int)length, name);
        c_literal_write(out, one);
        name += length;
        if (*name == ',') {
            fputs(", ", out);
            name++;
        }
    }
    fputs(" };\n", out);
}

static void write_table(FILE *out, const wrap_plan *plan)
{
    const char *identifier = plan->names.identifier;

    fprintf(out,
            "\n/* The intercepted exports, by the index a record carries: the export's\n"
            " * name (\"#<ordinal>\" when it has none), its ordinal, and for a typed one\n"
            " * what the records call its parameters. */\n"
            "#define %s_INTERCEPTED_EXPORT_COUNT %zu\n\n"
            "typedef struct %s_intercepted_export {\n"
            "    const char *name;\n"
            "    unsigned ordinal;\n"
            "    unsigned parameter_count;           /* typed: its parameters; else 0 */\n"
            "    const char *const *parameter_names; /* typed: as the header or --prototype names them */\n"
            "} %s_intercepted_export;\n",
            identifier, plan->intercept_count, identifier, identifier);
    if (plan->intercept_count == 0) {
        fprintf(out,
                "\n/* The export a record's index points to; NULL for an index that no\n"
                " * export of this front has. */\n"
                "static inline const %s_intercepted_export *%s_export(unsigned index)\n"
                "{\n"
                "    (void)index;\n"
                "    return NULL;\n"
                "}\n",
                identifier, identifier);
        return;
    }
    fputc('\n', out);
    for (size_t index = 0; index < plan->intercept_count; index++)
        if (plan->intercepts[index].has_prototype && plan->intercepts[index].signature.parameter_count > 0)
            write_parameter_names(out, identifier, index, &plan->intercepts[index].signature);
    fprintf(out,
            "\nstatic const %s_intercepted_export %s_intercepted_exports[%s_INTERCEPTED_EXPORT_COUNT] = {\n",
            identifier, identifier, identifier);
    for (size_t index = 0; index < plan->intercept_count; index++) {
        const intercept *stub = &plan->intercepts[index];
        size_t parameters = stub->has_prototype ? stub->signature.parameter_count : 0;

        fputs("    { ", out);
        c_literal_write(out, stub->display_name);
        fprintf(out, ", %" PRIu32 ", %zu, ", stub->target->ordinal, parameters);
        if (parameters > 0)
            fprintf(out, "%s_parameters_%zu },\n", identifier, index);
        else
            fputs("NULL },\n", out);
    }
    fprintf(out,
            "};\n\n"
            "/* The export a record's index points to; NULL for an index that no\n"
            " * export of this front has. */\n"
            "static inline const %s_intercepted_export *%s_export(unsigned index)\n"
            "{\n"
            "    return index < %s_INTERCEPTED_EXPORT_COUNT ? &%s_intercepted_exports[index] : NULL;\n"
            "}\n",
            identifier, identifier, identifier, identifier);
}

void front_write_record_header(FILE *out, const wrap_plan *plan)
{
    const char *identifier = plan->names.identifier;

    fprintf(out,
            "/* Generated by shimgen. What the front %s sends its worker for\n"
            " * each intercepted call, and the table the worker reads it with. Both\n"
            " * DLLs include this header. A record holds copies, never pointers into\n"
            " * the caller's memory or the front: the front may be unloaded before the\n"
            " * worker reads it. */\n"
            "#ifndef %s_CALL_RECORD_H\n"
            "#define %s_CALL_RECORD_H\n\n"
            "#include <stddef.h>\n\n",
            plan->names.front_file, identifier, identifier);
    write_record(out, identifier);
    write_table(out, plan);
    fputs("\n#endif\n", out);
}
