/* Reading a journal's bytes (journal_reader.h): every field is checked
 * against the image's bounds before anything is read through it. */
#include <string.h>

#include "journal_reader.h"

const char *journal_verdict_text(journal_verdict verdict)
{
    switch (verdict) {
    case JOURNAL_VALID:
        return "valid";
    case JOURNAL_TOO_SHORT:
        return "too short to be a journal";
    case JOURNAL_NOT_A_JOURNAL:
        return "not a journal (wrong magic)";
    case JOURNAL_OTHER_VERSION:
        return "a journal version this runtime does not read";
    case JOURNAL_BAD_HEADER:
        return "a header whose sizes or positions cannot hold";
    case JOURNAL_SIZE_MISMATCH:
        return "the file's size does not match its header";
    case JOURNAL_OTHER_OWNER:
        return "another front's or another user's journal";
    }
    return "unknown verdict";
}

/* Ends that never decrease, aligned, none past the tail: each record then
 * has one writer. */
static int earlier_owners_hold(const journal_header *header, uint64_t tail)
{
    uint64_t previous_end = 0;

    if (header->earlier_owner_count > JOURNAL_EARLIER_OWNERS)
        return 0;
    for (uint32_t i = 0; i < header->earlier_owner_count; i++) {
        uint64_t end = header->earlier_owners[i].end;

        if (end < previous_end || end > tail || end % JOURNAL_RECORD_ALIGNMENT != 0)
            return 0;
        previous_end = end;
    }
    return 1;
}

journal_verdict journal_validate(void *image, uint64_t image_size, uint64_t owner_key, journal_view *view)
{
    journal_header *header = image;
    uint64_t ring_size;
    uint64_t release;
    uint64_t tail;

    memset(view, 0, sizeof *view);
    if (image == NULL || image_size < (uint64_t)JOURNAL_HEADER_SIZE + JOURNAL_RING_MIN)
        return JOURNAL_TOO_SHORT;
    if (memcmp(header->magic, JOURNAL_MAGIC, JOURNAL_MAGIC_SIZE) != 0)
        return JOURNAL_NOT_A_JOURNAL;
    if (header->version != JOURNAL_VERSION)
        return JOURNAL_OTHER_VERSION;
    ring_size = header->ring_size;
    if (header->header_size != JOURNAL_HEADER_SIZE || ring_size < JOURNAL_RING_MIN ||
        ring_size > JOURNAL_RING_MAX || ring_size % JOURNAL_RING_ALIGNMENT != 0 ||
        header->message_limit > ring_size / 4 || header->front_name_length > JOURNAL_FRONT_NAME_CAPACITY)
        return JOURNAL_BAD_HEADER;
    if (image_size != JOURNAL_HEADER_SIZE + ring_size)
        return JOURNAL_SIZE_MISMATCH;
    release = __atomic_load_n(&header->release, __ATOMIC_ACQUIRE);
    tail = __atomic_load_n(&header->tail, __ATOMIC_ACQUIRE);
    if (release > tail || tail - release > ring_size || release % JOURNAL_RECORD_ALIGNMENT != 0 ||
        tail % JOURNAL_RECORD_ALIGNMENT != 0)
        return JOURNAL_BAD_HEADER;
    if (!earlier_owners_hold(header, tail))
        return JOURNAL_BAD_HEADER;
    if (owner_key != 0 && header->owner_key != owner_key)
        return JOURNAL_OTHER_OWNER;
    view->header = header;
    view->ring = (unsigned char *)image + JOURNAL_HEADER_SIZE;
    view->ring_size = ring_size;
    view->ring_mask = (ring_size & (ring_size - 1)) == 0 ? ring_size - 1 : 0;
    view->message_limit = header->message_limit;
    return JOURNAL_VALID;
}

void journal_bounds(const journal_view *view, uint64_t *release, uint64_t *tail)
{
    *release = __atomic_load_n(&view->header->release, __ATOMIC_ACQUIRE);
    *tail = __atomic_load_n(&view->header->tail, __ATOMIC_ACQUIRE);
    /* A live journal's fields move while it is read: keep the walk within
     * one ring of the release point, whatever was seen. */
    if (*tail < *release)
        *tail = *release;
    if (*tail - *release > view->ring_size)
        *tail = *release + view->ring_size;
}

/* Bytes from `position` to the end of the ring's lap. */
static uint64_t room_to_lap_end(const journal_view *view, uint64_t position)
{
    return view->ring_size - journal_ring_offset(view, position);
}

void journal_read_record(const journal_view *view, uint64_t position, uint64_t end, journal_entry *entry)
{
    journal_record *record = journal_record_at(view, position);
    uint64_t stamp = __atomic_load_n(&record->stamp, __ATOMIC_ACQUIRE);
    uint64_t room = room_to_lap_end(view, position);
    uint32_t size = record->size;
    uint64_t length = journal_record_length(size);
    int header_holds =
        record->check == journal_record_check(position, size) && length <= room && position + length <= end;

    entry->position = position;
    entry->record = record;
    entry->payload = (const unsigned char *)record + JOURNAL_RECORD_HEADER_SIZE;
    entry->size = size;
    entry->state = __atomic_load_n(&record->state, __ATOMIC_ACQUIRE);
    entry->length = header_holds ? length : JOURNAL_RECORD_ALIGNMENT;
    if (stamp != position + 1)
        entry->kind = header_holds ? RECORD_UNPUBLISHED : RECORD_HOLE;
    else if (header_holds && (entry->state & JOURNAL_STATE_PADDING))
        entry->kind = RECORD_PADDING;
    else if (!header_holds || size > view->message_limit)
        entry->kind = RECORD_TORN;
    else
        entry->kind = RECORD_MESSAGE;
    if (entry->kind == RECORD_TORN)
        entry->length = JOURNAL_RECORD_ALIGNMENT;
}

void journal_writer_of(const journal_view *view, uint64_t position, uint32_t *process_id,
                       uint64_t *process_started)
{
    const journal_header *header = view->header;

    for (uint32_t i = 0; i < header->earlier_owner_count; i++) {
        if (position < header->earlier_owners[i].end) {
            *process_id = header->earlier_owners[i].process_id;
            *process_started = header->earlier_owners[i].process_started;
            return;
        }
    }
    *process_id = header->process_id;
    *process_started = header->process_started;
}
