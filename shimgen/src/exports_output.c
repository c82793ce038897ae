#include <inttypes.h>

#include "exports_output.h"

static const char *kind_of(const pe_export *entry)
{
    if (entry->forwarder != NULL)
        return "forwarder";
    return entry->is_data ? "data" : "code";
}

void exports_print_table(FILE *out, const char *file_name, const pe_image *image,
                         const pe_export_table *table)
{
    fprintf(out, "Exports of %s (%s, %s%s), linked as %s, ordinal base %" PRIu32 ", %zu export%s\n",
            file_name, image->is_pe32_plus ? "PE32+" : "PE32", pe_machine_name(image->machine),
            image->is_wine_builtin ? ", Wine builtin" : "",
            table->dll_name != NULL ? table->dll_name : "(no name)", table->ordinal_base, table->count,
            table->count == 1 ? "" : "s");
    fprintf(out, "%8s  %-8s  %-9s  %s\n", "ordinal", "rva", "kind", "name");
    for (size_t index = 0; index < table->count; index++) {
        const pe_export *entry = &table->entries[index];

        fprintf(out, "%8" PRIu32 "  %08" PRIx32 "  %-9s  %s", entry->ordinal, entry->rva, kind_of(entry),
                entry->name != NULL ? entry->name : "[NONAME]");
        if (entry->forwarder != NULL)
            fprintf(out, " -> %s", entry->forwarder);
        fputc('\n', out);
    }
}

/* Export names are bytes, not necessarily UTF-8: escape everything outside
 * printable ASCII so the output is always valid JSON. */
static void print_json_string(FILE *out, const char *text)
{
    if (text == NULL) {
        fputs("null", out);
        return;
    }
    fputc('"', out);
    for (const unsigned char *at = (const unsigned char *)text; *at != '\0'; at++) {
        if (*at == '"' || *at == '\\')
            fprintf(out, "\\%c", *at);
        else if (*at < 0x20 || *at >= 0x7f)
            fprintf(out, "\\u%04x", *at);
        else
            fputc(*at, out);
    }
    fputc('"', out);
}

void exports_print_json(FILE *out, const pe_export_table *table)
{
    fputc('[', out);
    for (size_t index = 0; index < table->count; index++) {
        const pe_export *entry = &table->entries[index];

        fprintf(out, "%s\n  {\"ordinal\": %" PRIu32 ", \"name\": ", index == 0 ? "" : ",", entry->ordinal);
        print_json_string(out, entry->name);
        fprintf(out, ", \"rva\": %" PRIu32 ", \"data\": %s, \"forwarder\": ", entry->rva,
                entry->is_data ? "true" : "false");
        print_json_string(out, entry->forwarder);
        fputc('}', out);
    }
    fputs(table->count > 0 ? "\n]\n" : "]\n", out);
}
