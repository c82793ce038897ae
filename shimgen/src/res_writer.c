#include <stdint.h>

#include "res_writer.h"

/* MOVEABLE | PURE | DISCARDABLE: what resource compilers write; Win32
 * ignores the flags. */
enum {
    RES_MEMORY_FLAGS = 0x1030
};

static void put16(FILE *out, uint16_t value)
{
    fputc(value & 0xff, out);
    fputc(value >> 8, out);
}

static void put32(FILE *out, uint32_t value)
{
    put16(out, (uint16_t)(value & 0xffff));
    put16(out, (uint16_t)(value >> 16));
}

/* 0xFFFF then the number, or the name's UTF-16 code units and a NUL. */
static uint32_t id_size(const pe_resource_id *id)
{
    return id->name == NULL ? 4 : 2u * id->name_length + 2;
}

static void put_id(FILE *out, const pe_resource_id *id)
{
    if (id->name == NULL) {
        put16(out, 0xffff);
        put16(out, id->number);
        return;
    }
    fwrite(id->name, 2, id->name_length, out);
    put16(out, 0);
}

static void put_padding(FILE *out, uint32_t size)
{
    for (; size % 4 != 0; size++)
        fputc(0, out);
}

/* One RESOURCEHEADER (sizes, type, name, padding, the fixed fields), then the
 * data padded to a DWORD. */
static void put_entry(FILE *out, const pe_resource_id *type, const pe_resource_id *name, uint16_t language,
                      const uint8_t *data, uint32_t size, uint16_t flags)
{
    uint32_t ids = id_size(type) + id_size(name);
    uint32_t header = 8 + ids + (4 - ids % 4) % 4 + 16;

    put32(out, size);
    put32(out, header);
    put_id(out, type);
    put_id(out, name);
    put_padding(out, ids);
    put32(out, 0); /* DataVersion */
    put16(out, flags);
    put16(out, language);
    put32(out, 0); /* Version */
    put32(out, 0); /* Characteristics */
    if (size != 0)
        fwrite(data, 1, size, out);
    put_padding(out, size);
}

void res_write(FILE *out, const wrap_plan *plan)
{
    const pe_resource_id zero = { .number = 0 };

    /* The empty entry that marks a 32-bit .res file. */
    put_entry(out, &zero, &zero, 0, NULL, 0, 0);
    for (size_t index = 0; index < plan->resources->count; index++) {
        const pe_resource *entry = &plan->resources->entries[index];

        put_entry(out, &entry->type, &entry->name, entry->language, entry->data, entry->size,
                  RES_MEMORY_FLAGS);
    }
}
