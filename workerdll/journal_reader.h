/* Reading a journal's bytes: the header's checks, and the records one by
 * one. Shared by the live consumer, process exit and recovery, which differ
 * only in what they do with a record that is not published. Plain C, no
 * Windows header: the fuzz target (workerdll/fuzz/) runs it natively over
 * hostile images, and nothing here may read outside the image it is given. */
#ifndef TWINSHIM_WORKER_JOURNAL_READER_H
#define TWINSHIM_WORKER_JOURNAL_READER_H

#include <stdint.h>

#include "journal_format.h"

typedef enum journal_verdict {
    JOURNAL_VALID = 0,
    JOURNAL_TOO_SHORT,     /* smaller than a header and the smallest ring */
    JOURNAL_NOT_A_JOURNAL, /* the magic is wrong */
    JOURNAL_OTHER_VERSION, /* a version this reader does not know */
    JOURNAL_BAD_HEADER,    /* sizes or positions that cannot hold */
    JOURNAL_SIZE_MISMATCH, /* the file is not header + ring bytes long */
    JOURNAL_OTHER_OWNER    /* another front's or another user's */
} journal_verdict;

/* A short English description of a verdict, for reports. */
const char *journal_verdict_text(journal_verdict verdict);

/* A journal's bytes as the reader sees them. */
typedef struct journal_view {
    journal_header *header;
    unsigned char *ring;
    uint64_t ring_size;
    /* ring_size - 1 when it is a power of two (every capacity a session
     * picks by default), else 0: a position's offset is then a mask, not a
     * 64-bit division, on every post and every record read. */
    uint64_t ring_mask;
    uint32_t message_limit;
} journal_view;

/* Checks the header of `image_size` bytes at `image` (as read from a file)
 * and fills *view. owner_key 0 accepts any owner (a tool reading a file). */
journal_verdict journal_validate(void *image, uint64_t image_size, uint64_t owner_key, journal_view *view);

/* Release and tail as the header has them, kept within what the ring can
 * hold: a reader walks from *release to *tail. */
void journal_bounds(const journal_view *view, uint64_t *release, uint64_t *tail);

/* The process that wrote the record at `position`: one of the earlier
 * owners of an adopted journal, else the header's (journal_format.h). */
void journal_writer_of(const journal_view *view, uint64_t position, uint32_t *process_id,
                       uint64_t *process_started);

typedef enum journal_record_kind {
    RECORD_MESSAGE,     /* published, with a payload */
    RECORD_PADDING,     /* published, the rest of a lap */
    RECORD_UNPUBLISHED, /* claimed, not (yet) published; length known */
    RECORD_HOLE,        /* nothing readable here: length is the alignment step */
    RECORD_TORN         /* published, but its header does not hold */
} journal_record_kind;

typedef struct journal_entry {
    journal_record_kind kind;
    uint64_t position;
    uint64_t length; /* ring bytes to the next record */
    journal_record *record;
    const void *payload;
    uint32_t size;
    uint32_t state; /* as read */
} journal_entry;

/* Reads the record at `position` (a multiple of JOURNAL_RECORD_ALIGNMENT,
 * below `end`). The stamp is read with acquire order, so a published
 * record's header and payload are complete when this says so. */
void journal_read_record(const journal_view *view, uint64_t position, uint64_t end, journal_entry *entry);

/* Where `position` lies in the ring, in bytes from its start. */
static inline uint64_t journal_ring_offset(const journal_view *view, uint64_t position)
{
    return view->ring_mask != 0 ? position & view->ring_mask : position % view->ring_size;
}

/* The record at `position` in the ring, as a header. */
static inline journal_record *journal_record_at(const journal_view *view, uint64_t position)
{
    return (journal_record *)(view->ring + journal_ring_offset(view, position));
}

#endif
