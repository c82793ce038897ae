#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exit_codes.h"
#include "pe_resources.h"

enum {
    DIRECTORY_HEADER_SIZE = 16,
    DIRECTORY_ENTRY_SIZE = 8,
    DATA_ENTRY_SIZE = 16,
    HIGH_BIT = 0x80000000u,
    LEVELS = 3 /* type, name, language */
};

/* The resource directory's bytes, which every offset in the tree is relative to. */
typedef struct resource_tree {
    const pe_image *image;
    const uint8_t *base;
    uint32_t size;
    pe_resource_list *list;
    size_t capacity;
    error_message *error;
} resource_tree;

static bool tree_fits(const resource_tree *tree, uint32_t offset, uint64_t length)
{
    return offset <= tree->size && length <= (uint64_t)tree->size - offset;
}

static int read_id(const resource_tree *tree, uint32_t raw, pe_resource_id *id)
{
    uint32_t offset = raw & ~HIGH_BIT;
    uint16_t length;

    memset(id, 0, sizeof *id);
    if ((raw & HIGH_BIT) == 0) {
        id->number = (uint16_t)raw;
        return 0;
    }
    if (!tree_fits(tree, offset, 2))
        return error_set(tree->error, SHIMGEN_EXIT_MALFORMED, "resource name at 0x%x is outside .rsrc",
                         offset);
    length = pe_read16(tree->base + offset);
    if (length == 0 || !tree_fits(tree, offset + 2, (uint64_t)length * 2))
        return error_set(tree->error, SHIMGEN_EXIT_MALFORMED,
                         "resource name at 0x%x is empty or runs past .rsrc", offset);
    id->name = tree->base + offset + 2;
    id->name_length = length;
    return 0;
}

static int add_leaf(resource_tree *tree, const pe_resource_id ids[2], uint16_t language, uint32_t offset)
{
    const pe_image *image = tree->image;
    pe_resource *leaf;
    uint32_t data_rva;
    size_t data_offset;

    if (!tree_fits(tree, offset, DATA_ENTRY_SIZE))
        return error_set(tree->error, SHIMGEN_EXIT_MALFORMED, "resource data entry at 0x%x is outside .rsrc",
                         offset);
    if (tree->list->count == PE_RESOURCES_MAX)
        return error_set(tree->error, SHIMGEN_EXIT_MALFORMED, "more than %u resources", PE_RESOURCES_MAX);
    if (tree->list->count == tree->capacity) {
        size_t capacity = tree->capacity == 0 ? 16 : tree->capacity * 2;
        pe_resource *grown = realloc(tree->list->entries, capacity * sizeof *grown);

        if (grown == NULL)
            return error_set(tree->error, SHIMGEN_EXIT_INTERNAL, "out of memory");
        tree->list->entries = grown;
        tree->capacity = capacity;
    }
    leaf = &tree->list->entries[tree->list->count];
    leaf->type = ids[0];
    leaf->name = ids[1];
    leaf->language = language;
    data_rva = pe_read32(tree->base + offset);
    leaf->size = pe_read32(tree->base + offset + 4);
    leaf->code_page = pe_read32(tree->base + offset + 8);
    if (!pe_image_rva_to_offset(image, data_rva, leaf->size, &data_offset))
        return error_set(tree->error, SHIMGEN_EXIT_MALFORMED,
                         "resource data at RVA 0x%x (%u bytes) is not in the file", data_rva, leaf->size);
    leaf->data = image->bytes + data_offset;
    tree->list->count++;
    return 0;
}

/* One directory at `level` (0: types); ids[] holds the ids of the levels above.
 * Recursive, but never deeper than the three levels of a resource tree. */
static int read_directory(/* NOLINT(misc-no-recursion) */ resource_tree *tree, uint32_t offset,
                          unsigned level, pe_resource_id ids[2])
{
    uint32_t count;

    if (!tree_fits(tree, offset, DIRECTORY_HEADER_SIZE))
        return error_set(tree->error, SHIMGEN_EXIT_MALFORMED, "resource directory at 0x%x is outside .rsrc",
                         offset);
    count = (uint32_t)pe_read16(tree->base + offset + 12) + pe_read16(tree->base + offset + 14);
    if (!tree_fits(tree, offset + DIRECTORY_HEADER_SIZE, (uint64_t)count * DIRECTORY_ENTRY_SIZE))
        return error_set(tree->error, SHIMGEN_EXIT_MALFORMED,
                         "resource directory at 0x%x: %u entries run past .rsrc", offset, count);
    for (uint32_t index = 0; index < count; index++) {
        const uint8_t *entry = tree->base + offset + DIRECTORY_HEADER_SIZE + index * DIRECTORY_ENTRY_SIZE;
        uint32_t target = pe_read32(entry + 4);
        bool is_directory = (target & HIGH_BIT) != 0;
        int rc;

        if (is_directory != (level < LEVELS - 1))
            return error_set(tree->error, SHIMGEN_EXIT_MALFORMED,
                             "resource tree at 0x%x: a %s where level %u needs a %s", offset,
                             is_directory ? "directory" : "leaf", level + 1,
                             is_directory ? "leaf" : "directory");
        if (level < LEVELS - 1) {
            rc = read_id(tree, pe_read32(entry), &ids[level]);
            if (rc == 0)
                rc = read_directory(tree, target & ~HIGH_BIT, level + 1, ids);
        } else {
            rc = add_leaf(tree, ids, (uint16_t)pe_read32(entry), target);
        }
        if (rc != 0)
            return rc;
    }
    return 0;
}

int pe_read_resources(const pe_image *image, pe_resource_list *list, error_message *error)
{
    resource_tree tree = { .image = image, .list = list, .error = error };
    pe_resource_id ids[2];
    size_t offset;

    memset(list, 0, sizeof *list);
    if (image->resource_directory_rva == 0 || image->resource_directory_size == 0)
        return 0;
    if (!pe_image_rva_to_offset(image, image->resource_directory_rva, image->resource_directory_size,
                                &offset))
        return error_set(error, SHIMGEN_EXIT_MALFORMED,
                         "resource directory (RVA 0x%x, %u bytes) is not in the file",
                         image->resource_directory_rva, image->resource_directory_size);
    tree.base = image->bytes + offset;
    tree.size = image->resource_directory_size;
    return read_directory(&tree, 0, 0, ids);
}

void pe_resource_list_free(pe_resource_list *list)
{
    free(list->entries);
    list->entries = NULL;
    list->count = 0;
}

static uint16_t folded(uint16_t unit)
{
    return unit >= 'a' && unit <= 'z' ? (uint16_t)(unit - 'a' + 'A') : unit;
}

bool pe_resource_id_equal(const pe_resource_id *a, const pe_resource_id *b)
{
    if ((a->name == NULL) != (b->name == NULL))
        return false;
    if (a->name == NULL)
        return a->number == b->number;
    if (a->name_length != b->name_length)
        return false;
    for (uint16_t at = 0; at < a->name_length; at++)
        if (folded(pe_read16(a->name + 2 * at)) != folded(pe_read16(b->name + 2 * at)))
            return false;
    return true;
}

void pe_resource_id_text(const pe_resource_id *id, char *text, size_t capacity)
{
    size_t length = 0;

    if (capacity == 0)
        return;
    if (id->name == NULL) {
        snprintf(text, capacity, "#%u", id->number);
        return;
    }
    for (uint16_t at = 0; at < id->name_length && length + 1 < capacity; at++) {
        uint16_t unit = pe_read16(id->name + 2 * at);

        text[length++] = (char)(unit >= 0x20 && unit < 0x7f ? unit : '?');
    }
    text[length] = '\0';
}
