#include <stdbool.h>
#include <string.h>

#include "check_compare.h"

/* Whether the original gives this ordinal another name before `entry`: ld
 * gives a second name of one ordinal a new ordinal, so an alias is matched
 * by name only. */
static bool is_later_alias(const pe_export_table *table, const pe_export *entry)
{
    for (const pe_export *other = table->entries; other < entry; other++)
        if (other->ordinal == entry->ordinal)
            return true;
    return false;
}

static void report(FILE *out, const char *prefix, size_t count, size_t most, const char *what,
                   const char *name, unsigned ordinal, const char *detail)
{
    if (out == NULL || count > most)
        return;
    if (name != NULL)
        fprintf(out, "%s%s %s (ordinal %u)%s\n", prefix, what, name, ordinal, detail);
    else
        fprintf(out, "%s%s ordinal %u%s\n", prefix, what, ordinal, detail);
}

size_t check_compare_exports(const pe_export_table *front, const pe_export_table *original, FILE *out,
                             const char *prefix, size_t most)
{
    size_t count = 0;

    for (size_t index = 0; index < original->count; index++) {
        const pe_export *entry = &original->entries[index];
        const pe_export *match = entry->name != NULL ? pe_find_export_by_name(front, entry->name)
                                                     : pe_find_export_by_ordinal(front, entry->ordinal);

        if (match == NULL)
            report(out, prefix, ++count, most, "the front lacks", entry->name, entry->ordinal, "");
        else if (match->ordinal != entry->ordinal && !is_later_alias(original, entry))
            report(out, prefix, ++count, most, "the front exports", entry->name, match->ordinal,
                   ", the original at another ordinal");
    }
    for (size_t index = 0; index < front->count; index++) {
        const pe_export *entry = &front->entries[index];

        if (entry->name != NULL ? pe_find_export_by_name(original, entry->name) == NULL
                                : pe_find_export_by_ordinal(original, entry->ordinal) == NULL)
            report(out, prefix, ++count, most, "the front has an export the original lacks:", entry->name,
                   entry->ordinal, "");
    }
    return count;
}

/* The front's resource with the same type, name and language, or NULL. */
static const pe_resource *find_resource(const pe_resource_list *list, const pe_resource *wanted)
{
    for (size_t index = 0; index < list->count; index++) {
        const pe_resource *entry = &list->entries[index];

        if (entry->language == wanted->language && pe_resource_id_equal(&entry->type, &wanted->type) &&
            pe_resource_id_equal(&entry->name, &wanted->name))
            return entry;
    }
    return NULL;
}

size_t check_compare_resources(const pe_resource_list *front, const pe_resource_list *original, FILE *out,
                               const char *prefix, size_t most)
{
    size_t count = 0;

    for (size_t index = 0; index < original->count; index++) {
        const pe_resource *entry = &original->entries[index];
        const pe_resource *match = find_resource(front, entry);
        char type[64];
        char name[64];

        if (match != NULL && match->size == entry->size && memcmp(match->data, entry->data, entry->size) == 0)
            continue;
        if (++count > most || out == NULL)
            continue;
        pe_resource_id_text(&entry->type, type, sizeof type);
        pe_resource_id_text(&entry->name, name, sizeof name);
        fprintf(out, "%sthe front %s the resource type %s, name %s, language %u (%u bytes)\n", prefix,
                match == NULL ? "lacks" : "has other bytes for", type, name, entry->language, entry->size);
    }
    return count;
}
