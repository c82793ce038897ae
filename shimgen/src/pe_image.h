/* A bounds-checked view of a PE file (PE32 or PE32+) held in memory.
 *
 * Nothing here trusts the file: every offset, RVA and count read from it is
 * checked against the file size before a byte behind it is read, and every
 * loop is bounded by a count that was checked that way. The view borrows the
 * bytes; they must outlive it. Functions return 0 or SHIMGEN_EXIT_MALFORMED
 * with one line in `error`. */
#ifndef SHIMGEN_PE_IMAGE_H
#define SHIMGEN_PE_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error_message.h"

#define PE_MACHINE_I386 0x014cu
#define PE_MACHINE_AMD64 0x8664u
#define PE_MACHINE_ARM64 0xaa64u
#define PE_FILE_IS_DLL 0x2000u
#define PE_SECTION_EXECUTABLE 0x20000000u

typedef struct pe_section {
    uint32_t virtual_address;
    uint32_t virtual_size;
    uint32_t raw_offset;
    uint32_t raw_size; /* already clipped to the end of the file */
    uint32_t characteristics;
} pe_section;

typedef struct pe_image {
    const uint8_t *bytes;
    size_t size;
    uint16_t machine;
    uint16_t file_characteristics;
    bool is_pe32_plus;
    bool is_wine_builtin; /* Wine marks its own PE DLLs in the DOS stub */
    uint32_t size_of_image;
    uint32_t size_of_headers;
    uint32_t export_directory_rva;
    uint32_t export_directory_size;
    uint32_t resource_directory_rva; /* 0: no resources */
    uint32_t resource_directory_size;
    size_t section_count;
    size_t section_table_offset;
} pe_image;

/* Checks the DOS, PE and optional headers and the section table. */
int pe_image_open(pe_image *image, const uint8_t *bytes, size_t size, error_message *error);

/* Copies section `index` (< section_count) into `section`. */
void pe_image_section(const pe_image *image, size_t index, pe_section *section);

/* The file offset of `length` bytes starting at `rva`, if they all lie in the
 * headers or in the file-backed part of one section. */
bool pe_image_rva_to_offset(const pe_image *image, uint32_t rva, uint64_t length, size_t *offset);

/* The NUL-terminated string at `rva`, or NULL when it does not start inside
 * the file, or is empty, longer than max_length, or unterminated before the end
 * of its section. The pointer points into the file's bytes. */
const char *pe_image_string_at(const pe_image *image, uint32_t rva, size_t max_length);

/* True when `rva` lies in a section mapped executable. Used to tell data
 * exports from code: an RVA in no section (the headers) counts as data. */
bool pe_image_rva_is_executable(const pe_image *image, uint32_t rva);

const char *pe_machine_name(uint16_t machine);

/* Little-endian reads; the caller has checked the bounds. */
uint16_t pe_read16(const uint8_t *at);
uint32_t pe_read32(const uint8_t *at);

#endif
