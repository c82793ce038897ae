#include <stdlib.h>
#include <string.h>

#include "exit_codes.h"
#include "pe_exports.h"

enum {
    EXPORT_DIRECTORY_SIZE = 40,
    /* Ordinals are 16-bit: GetProcAddress cannot reach a larger one, and a
     * count above this is corruption, not a DLL. */
    ORDINAL_MAX = 0xffff
};

/* The export directory's fields, and where its three arrays start in the file. */
typedef struct export_directory {
    uint32_t name_rva;
    uint32_t ordinal_base;
    uint32_t function_count;
    uint32_t name_count;
    size_t functions_offset;
    size_t names_offset;
    size_t name_ordinals_offset;
} export_directory;

/* An entry plus its position in the name table, so sorting keeps aliases in
 * the order the file lists them. */
typedef struct sortable_export {
    pe_export entry;
    size_t position;
} sortable_export;

static int read_directory(const pe_image *image, export_directory *directory, error_message *error)
{
    size_t offset;
    const uint8_t *at;
    uint32_t functions_rva;
    uint32_t names_rva;
    uint32_t name_ordinals_rva;

    if (!pe_image_rva_to_offset(image, image->export_directory_rva, EXPORT_DIRECTORY_SIZE, &offset))
        return error_set(error, SHIMGEN_EXIT_MALFORMED, "export directory RVA 0x%x is outside the file",
                         image->export_directory_rva);
    at = image->bytes + offset;
    directory->name_rva = pe_read32(at + 12);
    directory->ordinal_base = pe_read32(at + 16);
    directory->function_count = pe_read32(at + 20);
    directory->name_count = pe_read32(at + 24);
    functions_rva = pe_read32(at + 28);
    names_rva = pe_read32(at + 32);
    name_ordinals_rva = pe_read32(at + 36);

    if (directory->function_count > ORDINAL_MAX ||
        (directory->function_count > 0 &&
         (uint64_t)directory->ordinal_base + directory->function_count - 1 > ORDINAL_MAX))
        return error_set(error, SHIMGEN_EXIT_MALFORMED,
                         "export table claims %u functions from ordinal base %u: ordinals are 16-bit",
                         directory->function_count, directory->ordinal_base);
    if (directory->function_count > 0 &&
        !pe_image_rva_to_offset(image, functions_rva, (uint64_t)directory->function_count * 4,
                                &directory->functions_offset))
        return error_set(error, SHIMGEN_EXIT_MALFORMED,
                         "export address table (%u entries at RVA 0x%x) is outside the file",
                         directory->function_count, functions_rva);
    if (directory->name_count > 0 &&
        (!pe_image_rva_to_offset(image, names_rva, (uint64_t)directory->name_count * 4,
                                 &directory->names_offset) ||
         !pe_image_rva_to_offset(image, name_ordinals_rva, (uint64_t)directory->name_count * 2,
                                 &directory->name_ordinals_offset)))
        return error_set(error, SHIMGEN_EXIT_MALFORMED, "export name tables (%u names) are outside the file",
                         directory->name_count);
    return 0;
}

/* Fills everything but ordinal and name: the RVA, and whether it is a
 * forwarder (its RVA points back into the export directory) or data. */
static int describe_target(const pe_image *image, uint32_t rva, pe_export *entry, error_message *error)
{
    uint64_t directory_end = (uint64_t)image->export_directory_rva + image->export_directory_size;

    entry->rva = rva;
    if (rva >= image->export_directory_rva && rva < directory_end) {
        entry->forwarder = pe_image_string_at(image, rva, PE_EXPORT_NAME_MAX);
        if (entry->forwarder == NULL)
            return error_set(error, SHIMGEN_EXIT_MALFORMED,
                             "forwarder string of ordinal %u (RVA 0x%x) is outside the file or unterminated",
                             entry->ordinal, rva);
        return 0;
    }
    /* The target is not read, only classified: it may be in .bss, beyond the
     * file's bytes, so it is checked against the image size instead. */
    if (rva >= image->size_of_image)
        return error_set(error, SHIMGEN_EXIT_MALFORMED,
                         "export ordinal %u points outside the image (RVA 0x%x)", entry->ordinal, rva);
    entry->is_data = !pe_image_rva_is_executable(image, rva);
    return 0;
}

static int compare_exports(const void *left, const void *right)
{
    const sortable_export *a = left;
    const sortable_export *b = right;

    if (a->entry.ordinal != b->entry.ordinal)
        return a->entry.ordinal < b->entry.ordinal ? -1 : 1;
    return a->position < b->position ? -1 : a->position > b->position;
}

static int collect(const pe_image *image, const export_directory *directory, sortable_export *sortable,
                   size_t *count, error_message *error)
{
    const uint8_t *functions = image->bytes + directory->functions_offset;
    bool *named = calloc(directory->function_count + 1u, sizeof *named);
    int rc = 0;

    if (named == NULL)
        return error_set(error, SHIMGEN_EXIT_INTERNAL, "out of memory");
    for (uint32_t position = 0; position < directory->name_count; position++) {
        uint32_t name_rva = pe_read32(image->bytes + directory->names_offset + 4 * (size_t)position);
        uint16_t index = pe_read16(image->bytes + directory->name_ordinals_offset + 2 * (size_t)position);
        pe_export *entry = &sortable[*count].entry;

        memset(entry, 0, sizeof *entry);
        if (index >= directory->function_count) {
            rc = error_set(error, SHIMGEN_EXIT_MALFORMED, "export name %u refers to function %u of %u",
                           position, index, directory->function_count);
            goto done;
        }
        entry->ordinal = directory->ordinal_base + index;
        entry->name = pe_image_string_at(image, name_rva, PE_EXPORT_NAME_MAX);
        if (entry->name == NULL) {
            rc = error_set(error, SHIMGEN_EXIT_MALFORMED,
                           "export name %u (RVA 0x%x) is outside the file, empty or unterminated", position,
                           name_rva);
            goto done;
        }
        rc = describe_target(image, pe_read32(functions + 4 * (size_t)index), entry, error);
        if (rc != 0)
            goto done;
        sortable[*count].position = position;
        named[index] = true;
        ++*count;
    }
    for (uint32_t index = 0; index < directory->function_count; index++) {
        uint32_t rva = pe_read32(functions + 4 * (size_t)index);
        pe_export *entry = &sortable[*count].entry;

        if (named[index] || rva == 0)
            continue;
        memset(entry, 0, sizeof *entry);
        entry->ordinal = directory->ordinal_base + index;
        rc = describe_target(image, rva, entry, error);
        if (rc != 0)
            goto done;
        sortable[*count].position = SIZE_MAX;
        ++*count;
    }
done:
    free(named);
    return rc;
}

int pe_read_exports(const pe_image *image, pe_export_table *table, error_message *error)
{
    export_directory directory = { 0 };
    sortable_export *sortable = NULL;
    size_t count = 0;
    int rc;

    memset(table, 0, sizeof *table);
    if (image->export_directory_rva == 0 || image->export_directory_size == 0)
        return 0;
    rc = read_directory(image, &directory, error);
    if (rc != 0)
        return rc;
    table->ordinal_base = directory.ordinal_base;
    /* The linked name is informational; a broken one is not worth a refusal. */
    table->dll_name =
        directory.name_rva != 0 ? pe_image_string_at(image, directory.name_rva, PE_EXPORT_NAME_MAX) : NULL;
    /* Both counts were checked against the file size, so this stays small. */
    sortable = calloc((size_t)directory.name_count + directory.function_count + 1u, sizeof *sortable);
    if (sortable == NULL)
        return error_set(error, SHIMGEN_EXIT_INTERNAL, "out of memory");
    rc = collect(image, &directory, sortable, &count, error);
    if (rc != 0)
        goto done;
    qsort(sortable, count, sizeof *sortable, compare_exports);
    table->entries = calloc(count + 1u, sizeof *table->entries);
    if (table->entries == NULL) {
        rc = error_set(error, SHIMGEN_EXIT_INTERNAL, "out of memory");
        goto done;
    }
    for (size_t index = 0; index < count; index++)
        table->entries[index] = sortable[index].entry;
    table->count = count;
done:
    free(sortable);
    return rc;
}

void pe_export_table_free(pe_export_table *table)
{
    free(table->entries);
    table->entries = NULL;
    table->count = 0;
}

const pe_export *pe_find_export_by_name(const pe_export_table *table, const char *name)
{
    for (size_t index = 0; index < table->count; index++)
        if (table->entries[index].name != NULL && strcmp(table->entries[index].name, name) == 0)
            return &table->entries[index];
    return NULL;
}

const pe_export *pe_find_export_by_ordinal(const pe_export_table *table, uint32_t ordinal)
{
    for (size_t index = 0; index < table->count; index++)
        if (table->entries[index].ordinal == ordinal)
            return &table->entries[index];
    return NULL;
}
