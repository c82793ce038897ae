#include <string.h>

#include "exit_codes.h"
#include "dll_loading.h"
#include "pe_image.h"

enum {
    DOS_HEADER_SIZE = 64,
    DOS_NEW_HEADER_OFFSET = 0x3c,
    FILE_HEADER_SIZE = 20,
    SECTION_HEADER_SIZE = 40,
    OPTIONAL_MAGIC_PE32 = 0x10b,
    OPTIONAL_MAGIC_PE32_PLUS = 0x20b,
    /* Offsets inside the optional header. */
    SIZE_OF_IMAGE_OFFSET = 56,
    SIZE_OF_HEADERS_OFFSET = 60,
    DIRECTORY_COUNT_OFFSET_PE32 = 92,
    DIRECTORY_COUNT_OFFSET_PE32_PLUS = 108,
    DATA_DIRECTORY_SIZE = 8
};

uint16_t pe_read16(const uint8_t *at)
{
    return (uint16_t)(at[0] | (at[1] << 8));
}

uint32_t pe_read32(const uint8_t *at)
{
    return (uint32_t)at[0] | ((uint32_t)at[1] << 8) | ((uint32_t)at[2] << 16) | ((uint32_t)at[3] << 24);
}

/* True when [offset, offset + length) lies inside the file; computed in 64
 * bits so that huge values read from the file cannot wrap around. */
static bool fits(const pe_image *image, uint64_t offset, uint64_t length)
{
    return offset <= image->size && length <= image->size - offset;
}

static int read_optional_header(pe_image *image, size_t optional_offset, uint16_t optional_size,
                                error_message *error)
{
    const uint8_t *optional = image->bytes + optional_offset;
    uint16_t magic;
    size_t count_offset;
    uint32_t directory_count;

    if (optional_size < 2)
        return error_set(error, SHIMGEN_EXIT_MALFORMED, "optional header too small (%u bytes)",
                         optional_size);
    magic = pe_read16(optional);
    if (magic == OPTIONAL_MAGIC_PE32)
        count_offset = DIRECTORY_COUNT_OFFSET_PE32;
    else if (magic == OPTIONAL_MAGIC_PE32_PLUS)
        count_offset = DIRECTORY_COUNT_OFFSET_PE32_PLUS;
    else
        return error_set(error, SHIMGEN_EXIT_MALFORMED, "unknown optional header magic 0x%x", magic);
    image->is_pe32_plus = magic == OPTIONAL_MAGIC_PE32_PLUS;
    if (optional_size < count_offset + 4)
        return error_set(error, SHIMGEN_EXIT_MALFORMED, "optional header too small (%u bytes)",
                         optional_size);
    image->size_of_image = pe_read32(optional + SIZE_OF_IMAGE_OFFSET);
    image->size_of_headers = pe_read32(optional + SIZE_OF_HEADERS_OFFSET);
    directory_count = pe_read32(optional + count_offset);
    /* Directory 0 is the export directory; a file without it exports nothing. */
    if (directory_count == 0)
        return 0;
    if (optional_size < count_offset + 4 + DATA_DIRECTORY_SIZE)
        return error_set(error, SHIMGEN_EXIT_MALFORMED, "data directories run past the optional header");
    image->export_directory_rva = pe_read32(optional + count_offset + 4);
    image->export_directory_size = pe_read32(optional + count_offset + 8);
    /* Directory 2: resources. A header too short for it has none. */
    if (directory_count > 2 && optional_size >= count_offset + 4 + 3 * DATA_DIRECTORY_SIZE) {
        image->resource_directory_rva = pe_read32(optional + count_offset + 4 + 2 * DATA_DIRECTORY_SIZE);
        image->resource_directory_size = pe_read32(optional + count_offset + 8 + 2 * DATA_DIRECTORY_SIZE);
    }
    return 0;
}

int pe_image_open(pe_image *image, const uint8_t *bytes, size_t size, error_message *error)
{
    uint32_t new_header;
    size_t optional_offset;
    uint16_t optional_size;
    const uint8_t *file_header;

    memset(image, 0, sizeof *image);
    image->bytes = bytes;
    image->size = size;
    if (size == 0)
        return error_set(error, SHIMGEN_EXIT_MALFORMED, "empty file");
    if (size < DOS_HEADER_SIZE || bytes[0] != 'M' || bytes[1] != 'Z')
        return error_set(error, SHIMGEN_EXIT_MALFORMED, "not a PE file (no MZ header)");
    new_header = pe_read32(bytes + DOS_NEW_HEADER_OFFSET);
    if (!fits(image, new_header, 4 + FILE_HEADER_SIZE))
        return error_set(error, SHIMGEN_EXIT_MALFORMED, "PE header offset 0x%x is outside the file",
                         new_header);
    if (memcmp(bytes + new_header, "PE\0\0", 4) != 0)
        return error_set(error, SHIMGEN_EXIT_MALFORMED, "not a PE file (no PE signature at 0x%x)",
                         new_header);
    image->is_wine_builtin = dll_loading_is_wine_builtin(bytes, size);

    file_header = bytes + new_header + 4;
    image->machine = pe_read16(file_header);
    image->section_count = pe_read16(file_header + 2);
    optional_size = pe_read16(file_header + 16);
    image->file_characteristics = pe_read16(file_header + 18);
    optional_offset = (size_t)new_header + 4 + FILE_HEADER_SIZE;
    if (!fits(image, optional_offset, optional_size))
        return error_set(error, SHIMGEN_EXIT_MALFORMED, "optional header (%u bytes) is truncated",
                         optional_size);
    if (read_optional_header(image, optional_offset, optional_size, error) != 0)
        return SHIMGEN_EXIT_MALFORMED;

    image->section_table_offset = optional_offset + optional_size;
    if (!fits(image, image->section_table_offset, (uint64_t)image->section_count * SECTION_HEADER_SIZE))
        return error_set(error, SHIMGEN_EXIT_MALFORMED, "section table (%zu sections) is truncated",
                         image->section_count);
    return 0;
}

void pe_image_section(const pe_image *image, size_t index, pe_section *section)
{
    const uint8_t *header = image->bytes + image->section_table_offset + index * SECTION_HEADER_SIZE;

    section->virtual_size = pe_read32(header + 8);
    section->virtual_address = pe_read32(header + 12);
    section->raw_size = pe_read32(header + 16);
    section->raw_offset = pe_read32(header + 20);
    section->characteristics = pe_read32(header + 36);
    /* A truncated file keeps what it still has; reads past it are refused. */
    if (section->raw_offset >= image->size)
        section->raw_size = 0;
    else if (section->raw_size > image->size - section->raw_offset)
        section->raw_size = (uint32_t)(image->size - section->raw_offset);
}

/* The file-backed span that holds `rva`: the headers, or one section's raw
 * data. Returns false when the RVA is in no such span. */
static bool file_span_of(const pe_image *image, uint32_t rva, size_t *span_offset, uint64_t *span_length)
{
    if (rva < image->size_of_headers && rva < image->size) {
        *span_offset = rva;
        *span_length = (image->size_of_headers < image->size ? image->size_of_headers : image->size) - rva;
        return true;
    }
    for (size_t index = 0; index < image->section_count; index++) {
        pe_section section;

        pe_image_section(image, index, &section);
        if (rva >= section.virtual_address && rva - section.virtual_address < section.raw_size) {
            uint32_t delta = rva - section.virtual_address;

            *span_offset = (size_t)section.raw_offset + delta;
            *span_length = section.raw_size - delta;
            return true;
        }
    }
    return false;
}

bool pe_image_rva_to_offset(const pe_image *image, uint32_t rva, uint64_t length, size_t *offset)
{
    size_t span_offset;
    uint64_t span_length;

    if (!file_span_of(image, rva, &span_offset, &span_length) || length > span_length)
        return false;
    *offset = span_offset;
    return true;
}

const char *pe_image_string_at(const pe_image *image, uint32_t rva, size_t max_length)
{
    size_t offset;
    uint64_t span_length;
    const char *text;
    const void *end;

    if (!file_span_of(image, rva, &offset, &span_length))
        return NULL;
    if (span_length > (uint64_t)max_length + 1)
        span_length = (uint64_t)max_length + 1;
    text = (const char *)image->bytes + offset;
    end = memchr(text, '\0', (size_t)span_length);
    if (end == NULL || end == text)
        return NULL;
    return text;
}

bool pe_image_rva_is_executable(const pe_image *image, uint32_t rva)
{
    for (size_t index = 0; index < image->section_count; index++) {
        pe_section section;
        uint32_t mapped_size;

        pe_image_section(image, index, &section);
        /* Memory past the raw data is zero-filled but still part of the
         * section (.bss exports live there), so use the larger size. */
        mapped_size = section.virtual_size > section.raw_size ? section.virtual_size : section.raw_size;
        if (rva >= section.virtual_address && rva - section.virtual_address < mapped_size)
            return (section.characteristics & PE_SECTION_EXECUTABLE) != 0;
    }
    return false;
}

const char *pe_machine_name(uint16_t machine)
{
    switch (machine) {
    case PE_MACHINE_I386:
        return "x86";
    case PE_MACHINE_AMD64:
        return "x86-64";
    case PE_MACHINE_ARM64:
        return "arm64";
    default:
        return "unknown machine";
    }
}
