#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include "resource_object.h"

enum {
    FILE_HEADER_SIZE = 20,
    SECTION_HEADER_SIZE = 40,
    DIRECTORY_HEADER_SIZE = 16,
    DIRECTORY_ENTRY_SIZE = 8,
    DATA_ENTRY_SIZE = 16,
    RELOCATION_SIZE = 10,
    HIGH_BIT = 0x80000000u,
    /* initialized data, 8-byte aligned, readable */
    RSRC_CHARACTERISTICS = 0x40400040u,
    REL_AMD64_ADDR32NB = 3,
    REL_I386_DIR32NB = 7,
    SYM_CLASS_STATIC = 3
};

static void put16(FILE *out, uint32_t value)
{
    fputc((int)(value & 0xff), out);
    fputc((int)((value >> 8) & 0xff), out);
}

static void put32(FILE *out, uint32_t value)
{
    put16(out, value & 0xffff);
    put16(out, value >> 16);
}

static uint32_t aligned(uint32_t value, uint32_t alignment)
{
    return (value + alignment - 1) / alignment * alignment;
}

static bool same_id(const pe_resource_id *a, const pe_resource_id *b)
{
    return pe_resource_id_equal(a, b);
}

/* Where each part of the tree goes, in bytes from the start of .rsrc. The
 * list is in the tree's order, so a type's names and a name's languages are
 * consecutive entries. */
typedef struct layout {
    uint32_t type_count;
    uint32_t name_directory_count; /* one per (type, name) */
    uint32_t directories_size;     /* directory headers and entries */
    uint32_t tree_size;            /* directories, then data entries */
    uint32_t strings_size;
    uint32_t data_start;
    uint32_t size;
} layout;

static uint32_t string_size(const pe_resource_id *id)
{
    return id->name == NULL ? 0 : aligned(2u + 2u * id->name_length, 2);
}

static void measure(const pe_resource_list *list, layout *sizes)
{
    uint32_t data = 0;

    *sizes = (layout){ 0 };
    for (size_t index = 0; index < list->count; index++) {
        const pe_resource *entry = &list->entries[index];
        bool new_type = index == 0 || !same_id(&entry->type, &list->entries[index - 1].type);
        bool new_name = new_type || !same_id(&entry->name, &list->entries[index - 1].name);

        if (new_type) {
            sizes->type_count++;
            sizes->strings_size += string_size(&entry->type);
        }
        if (new_name) {
            sizes->name_directory_count++;
            sizes->strings_size += string_size(&entry->name);
        }
        data = aligned(data, 8) + entry->size;
    }
    /* Root, one directory per type, one per (type, name); their entries; the data entries. */
    sizes->directories_size =
        DIRECTORY_HEADER_SIZE * (1 + sizes->type_count + sizes->name_directory_count) +
        DIRECTORY_ENTRY_SIZE * (sizes->type_count + sizes->name_directory_count + (uint32_t)list->count);
    sizes->tree_size = sizes->directories_size + DATA_ENTRY_SIZE * (uint32_t)list->count;
    sizes->data_start = aligned(sizes->tree_size + sizes->strings_size, 8);
    sizes->size = sizes->data_start + data;
}

/* The section's bytes, built in memory: directories (root, types, names),
 * data entries, strings, data; each part's next free byte. */
typedef struct builder {
    uint8_t *bytes;
    uint32_t directories; /* next free directory byte */
    uint32_t data_entries;
    uint32_t strings;
    uint32_t data;
} builder;

static void set16(uint8_t *at, uint32_t value)
{
    at[0] = (uint8_t)(value & 0xff);
    at[1] = (uint8_t)((value >> 8) & 0xff);
}

static void set32(uint8_t *at, uint32_t value)
{
    set16(at, value & 0xffff);
    set16(at + 2, value >> 16);
}

/* A directory header with its named and numbered entry counts; returns its offset. */
static uint32_t add_directory(builder *build, uint32_t named, uint32_t numbered)
{
    uint32_t offset = build->directories;

    set16(build->bytes + offset + 12, named);
    set16(build->bytes + offset + 14, numbered);
    build->directories += DIRECTORY_HEADER_SIZE + DIRECTORY_ENTRY_SIZE * (named + numbered);
    return offset;
}

/* The id field of an entry: a number, or the high bit and a string's offset. */
static uint32_t id_field(builder *build, const pe_resource_id *id)
{
    uint32_t offset = build->strings;

    if (id->name == NULL)
        return id->number;
    set16(build->bytes + offset, id->name_length);
    for (uint32_t at = 0; at < 2u * id->name_length; at++)
        build->bytes[offset + 2 + at] = id->name[at];
    build->strings += string_size(id);
    return HIGH_BIT | offset;
}

/* How many distinct ids, named and numbered, the entries first..end-1 have:
 * their types (by_type) or their names. */
static void count_children(const pe_resource_list *list, size_t first, size_t end, bool by_type,
                           uint32_t *named, uint32_t *numbered)
{
    *named = 0;
    *numbered = 0;
    for (size_t index = first; index < end; index++) {
        const pe_resource *entry = &list->entries[index];
        const pe_resource_id *id = by_type ? &entry->type : &entry->name;
        const pe_resource_id *previous = index == first ? NULL
                                         : by_type      ? &list->entries[index - 1].type
                                                        : &list->entries[index - 1].name;

        if (previous != NULL && same_id(id, previous))
            continue;
        if (id->name != NULL)
            (*named)++;
        else
            (*numbered)++;
    }
}

/* The end of the run of entries from `first` that share its type (or, with
 * by_name, its type and name). */
static size_t run_end(const pe_resource_list *list, size_t first, bool by_name)
{
    size_t end = first + 1;

    while (end < list->count && same_id(&list->entries[end].type, &list->entries[first].type) &&
           (!by_name || same_id(&list->entries[end].name, &list->entries[first].name)))
        end++;
    return end;
}

static void build_tree(const pe_resource_list *list, builder *build, uint32_t *relocations)
{
    uint32_t named;
    uint32_t numbered;
    uint32_t root;
    uint32_t type_slot = 0;

    count_children(list, 0, list->count, true, &named, &numbered);
    root = add_directory(build, named, numbered);
    for (size_t type_first = 0; type_first < list->count; type_first = run_end(list, type_first, false)) {
        size_t type_end = run_end(list, type_first, false);
        uint8_t *type_entry =
            build->bytes + root + DIRECTORY_HEADER_SIZE + DIRECTORY_ENTRY_SIZE * type_slot++;
        uint32_t type_directory;
        uint32_t name_slot = 0;

        count_children(list, type_first, type_end, false, &named, &numbered);
        type_directory = add_directory(build, named, numbered);
        set32(type_entry, id_field(build, &list->entries[type_first].type));
        set32(type_entry + 4, HIGH_BIT | type_directory);
        for (size_t name_first = type_first; name_first < type_end;
             name_first = run_end(list, name_first, true)) {
            size_t name_end = run_end(list, name_first, true);
            uint8_t *name_entry =
                build->bytes + type_directory + DIRECTORY_HEADER_SIZE + DIRECTORY_ENTRY_SIZE * name_slot++;
            uint32_t language_directory = add_directory(build, 0, (uint32_t)(name_end - name_first));

            set32(name_entry, id_field(build, &list->entries[name_first].name));
            set32(name_entry + 4, HIGH_BIT | language_directory);
            for (size_t index = name_first; index < name_end; index++) {
                const pe_resource *leaf = &list->entries[index];
                uint8_t *language_entry = build->bytes + language_directory + DIRECTORY_HEADER_SIZE +
                                          DIRECTORY_ENTRY_SIZE * (uint32_t)(index - name_first);
                uint8_t *data_entry = build->bytes + build->data_entries;

                build->data = aligned(build->data, 8);
                set32(language_entry, leaf->language);
                set32(language_entry + 4, build->data_entries);
                /* The RVA field holds the offset in .rsrc; the relocation adds the section's RVA. */
                set32(data_entry, build->data);
                set32(data_entry + 4, leaf->size);
                set32(data_entry + 8, leaf->code_page);
                relocations[index] = build->data_entries;
                for (uint32_t at = 0; at < leaf->size; at++)
                    build->bytes[build->data + at] = leaf->data[at];
                build->data += leaf->size;
                build->data_entries += DATA_ENTRY_SIZE;
            }
        }
    }
}

void resource_object_write(FILE *out, const wrap_plan *plan)
{
    const pe_resource_list *list = plan->resources;
    bool x64 = wrap_plan_is_x64(plan);
    layout sizes;
    builder build;
    uint32_t *relocations;
    uint32_t relocations_at;
    uint32_t symbols_at;

    measure(list, &sizes);
    build.bytes = calloc(sizes.size != 0 ? sizes.size : 1, 1);
    relocations = calloc(list->count, sizeof *relocations);
    if (build.bytes == NULL || relocations == NULL) {
        /* An empty object: the front's link then fails, naming this file. */
        fprintf(stderr, "shimgen: out of memory: %s is left empty\n", plan->resource_file);
        free(build.bytes);
        free(relocations);
        return;
    }
    build.directories = 0;
    build.data_entries = sizes.directories_size;
    build.strings = sizes.tree_size;
    build.data = sizes.data_start;
    build_tree(list, &build, relocations);

    relocations_at = FILE_HEADER_SIZE + SECTION_HEADER_SIZE + sizes.size;
    symbols_at = relocations_at + RELOCATION_SIZE * (uint32_t)list->count;
    /* COFF file header: one section, two symbol records (.rsrc and its aux). */
    put16(out, x64 ? 0x8664 : 0x014c);
    put16(out, 1);
    put32(out, 0);
    put32(out, symbols_at);
    put32(out, 2);
    put16(out, 0);
    put16(out, 0);
    /* The section header. */
    fwrite(".rsrc\0\0\0", 1, 8, out);
    put32(out, 0);
    put32(out, 0);
    put32(out, sizes.size);
    put32(out, FILE_HEADER_SIZE + SECTION_HEADER_SIZE);
    put32(out, relocations_at);
    put32(out, 0);
    put16(out, (uint32_t)list->count);
    put16(out, 0);
    put32(out, RSRC_CHARACTERISTICS);
    fwrite(build.bytes, 1, sizes.size, out);
    /* Each data entry's RVA: the section's RVA plus the offset already there. */
    for (size_t index = 0; index < list->count; index++) {
        put32(out, relocations[index]);
        put32(out, 0);
        put16(out, x64 ? REL_AMD64_ADDR32NB : REL_I386_DIR32NB);
    }
    /* The section symbol and its auxiliary record, then an empty string table. */
    fwrite(".rsrc\0\0\0", 1, 8, out);
    put32(out, 0);
    put16(out, 1);
    put16(out, 0);
    fputc(SYM_CLASS_STATIC, out);
    fputc(1, out);
    put32(out, sizes.size);
    put16(out, (uint32_t)list->count);
    put16(out, 0);
    put32(out, 0);
    put16(out, 0);
    fputc(0, out);
    fputc(0, out);
    put16(out, 0);
    put32(out, 4);
    free(build.bytes);
    free(relocations);
}
