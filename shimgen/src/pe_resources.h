/* The resources of a PE file: the leaves of its .rsrc tree (type, name,
 * language), each with its data. Read with the same distrust as the export
 * table: every offset is checked against the resource directory's bytes, the
 * tree is read exactly three levels deep (the only shape Windows reads), and
 * the number of leaves is capped. */
#ifndef SHIMGEN_PE_RESOURCES_H
#define SHIMGEN_PE_RESOURCES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error_message.h"
#include "pe_image.h"

/* More leaves than any real DLL has; a tree that points into itself
 * cannot multiply past it. */
#define PE_RESOURCES_MAX 65536u

/* A type or a name: a number, or a UTF-16LE string. */
typedef struct pe_resource_id {
    const uint8_t *name;  /* UTF-16LE code units in the image's bytes; NULL for a number */
    uint16_t name_length; /* in code units */
    uint16_t number;
} pe_resource_id;

typedef struct pe_resource {
    pe_resource_id type;
    pe_resource_id name;
    uint16_t language;
    uint32_t code_page;
    uint32_t size;
    const uint8_t *data; /* size bytes, in the image's bytes */
} pe_resource;

typedef struct pe_resource_list {
    size_t count;
    pe_resource *entries; /* in the tree's order: by type, name, language */
} pe_resource_list;

/* Returns 0, SHIMGEN_EXIT_MALFORMED or SHIMGEN_EXIT_INTERNAL. A file without
 * a resource directory gives an empty list. Free with pe_resource_list_free
 * even on failure. */
int pe_read_resources(const pe_image *image, pe_resource_list *list, error_message *error);

void pe_resource_list_free(pe_resource_list *list);

/* Whether two ids are the same: numbers equal, or names equal without case
 * for ASCII letters, as FindResource compares them. */
bool pe_resource_id_equal(const pe_resource_id *a, const pe_resource_id *b);

/* Writes the id as text: "#16" for a number, the name in ASCII ('?' for
 * other characters) otherwise. */
void pe_resource_id_text(const pe_resource_id *id, char *text, size_t capacity);

#endif
