/* A journal in use (message_ring.h). */
#include <string.h>

#include "message_ring.h"

void message_ring_open(message_ring *ring, const journal_view *view)
{
    uint64_t release;
    uint64_t tail;

    memset(ring, 0, sizeof *ring);
    ring->view = *view;
    journal_bounds(view, &release, &tail);
    __atomic_store_n(&ring->head, release, __ATOMIC_RELAXED);
    __atomic_store_n(&ring->claim_limit, release + view->ring_size, __ATOMIC_RELAXED);
}

/* A record's header, written right after its claim and before its payload:
 * from here on a reader can tell its length, published or not. */
static journal_record *write_header(const message_ring *ring, uint64_t position, uint32_t size,
                                    uint32_t state, uint32_t producer)
{
    journal_record *record = journal_record_at(&ring->view, position);

    record->producer = producer;
    record->size = size;
    record->check = journal_record_check(position, size);
    record->sequence = 0;
    __atomic_store_n(&record->state, state, __ATOMIC_RELAXED);
    return record;
}

int ring_claim_record(message_ring *ring, uint32_t size, uint32_t producer, ring_claim *claim)
{
    journal_header *header = ring->view.header;
    uint64_t ring_size = ring->view.ring_size;
    uint64_t length = journal_record_length(size);
    uint64_t tail = __atomic_load_n(&header->tail, __ATOMIC_RELAXED);
    uint64_t padding;

    for (;;) {
        uint64_t room = ring_size - journal_ring_offset(&ring->view, tail);
        uint64_t end;

        padding = length > room ? room : 0;
        end = tail + padding + length;
        if (end > __atomic_load_n(&ring->claim_limit, __ATOMIC_RELAXED)) {
            /* The cached bound is passed: read the consumer's release point
             * (acquire: its reads of the space it freed come before our
             * writes) and keep the larger bound for the other producers. */
            uint64_t limit = __atomic_load_n(&header->release, __ATOMIC_ACQUIRE) + ring_size;
            uint64_t cached = __atomic_load_n(&ring->claim_limit, __ATOMIC_RELAXED);

            while (cached < limit && !__atomic_compare_exchange_n(&ring->claim_limit, &cached, limit, 0,
                                                                  __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
            }
            if (end > limit)
                return 0;
        }
        if (__atomic_compare_exchange_n(&header->tail, &tail, end, 1, __ATOMIC_SEQ_CST, __ATOMIC_RELAXED))
            break;
    }
    if (padding != 0) {
        journal_record *pad = write_header(ring, tail, (uint32_t)(padding - JOURNAL_RECORD_HEADER_SIZE),
                                           JOURNAL_STATE_PADDING, producer);

        __atomic_store_n(&pad->stamp, tail + 1, __ATOMIC_RELEASE);
    }
    claim->position = tail + padding;
    claim->record = write_header(ring, claim->position, size, 0, producer);
    claim->payload = (unsigned char *)claim->record + JOURNAL_RECORD_HEADER_SIZE;
    return 1;
}

int ring_has_unread(const message_ring *ring)
{
    return __atomic_load_n(&ring->view.header->tail, __ATOMIC_SEQ_CST) !=
           __atomic_load_n(&ring->head, __ATOMIC_SEQ_CST);
}

uint64_t ring_backlog(const message_ring *ring)
{
    uint64_t release;
    uint64_t tail;

    journal_bounds(&ring->view, &release, &tail);
    return tail - release;
}

/* A record ring_take takes: published, a message, and not done with. */
static int is_takeable(const journal_entry *entry)
{
    return entry->kind == RECORD_MESSAGE &&
           !(entry->state & (JOURNAL_STATE_FINISHED | JOURNAL_STATE_DROPPED));
}

unsigned ring_takeable(const message_ring *ring, unsigned limit)
{
    uint64_t tail = __atomic_load_n(&ring->view.header->tail, __ATOMIC_ACQUIRE);
    uint64_t position = ring->head;
    unsigned count = 0;

    while (count < limit && position < tail) {
        journal_entry entry;

        journal_read_record(&ring->view, position, tail, &entry);
        if (entry.kind == RECORD_UNPUBLISHED || entry.kind == RECORD_HOLE)
            break;
        count += is_takeable(&entry);
        position += entry.length;
    }
    return count;
}

unsigned ring_take(message_ring *ring, unsigned limit, uint64_t *first, uint64_t *end)
{
    journal_header *header = ring->view.header;
    uint64_t tail = __atomic_load_n(&header->tail, __ATOMIC_ACQUIRE);
    uint64_t position = ring->head;
    /* Only takers, under the delivery lock, number records while the
     * process runs: no locked instruction per record. */
    uint64_t next_sequence = __atomic_load_n(&header->next_sequence, __ATOMIC_RELAXED);
    unsigned count = 0;

    *first = position;
    while (count < limit && position < tail) {
        journal_entry entry;

        journal_read_record(&ring->view, position, tail, &entry);
        if (entry.kind == RECORD_UNPUBLISHED || entry.kind == RECORD_HOLE)
            break;
        if (is_takeable(&entry)) {
            uint32_t mark = JOURNAL_STATE_TAKEN;

            /* A recovered record keeps the number it had, and one whose
             * delivery began before is marked a possible repeat. */
            if (entry.record->sequence == 0)
                entry.record->sequence = next_sequence++;
            if ((entry.state & (JOURNAL_STATE_TAKEN | JOURNAL_STATE_DEFERRED)) != 0)
                mark |= JOURNAL_STATE_REPEAT;
            ring_mark_owned(entry.record, mark);
            count++;
        } else if (entry.kind == RECORD_TORN) {
            ring->torn++;
        }
        position += entry.length;
    }
    if (count != 0)
        __atomic_store_n(&header->next_sequence, next_sequence, __ATOMIC_RELAXED);
    __atomic_store_n(&ring->head, position, __ATOMIC_RELEASE);
    *end = position;
    return count;
}

int ring_next_taken(const message_ring *ring, uint64_t *position, uint64_t end, journal_entry *entry)
{
    while (*position < end) {
        journal_read_record(&ring->view, *position, end, entry);
        *position += entry->length;
        /* Taken by this take: finished and dropped records were passed by. */
        if (entry->kind == RECORD_MESSAGE && (entry->state & JOURNAL_STATE_TAKEN) &&
            !(entry->state & (JOURNAL_STATE_FINISHED | JOURNAL_STATE_DROPPED)))
            return 1;
    }
    return 0;
}

int ring_head_is_takeable(const message_ring *ring)
{
    uint64_t head = __atomic_load_n(&ring->head, __ATOMIC_ACQUIRE);
    uint64_t tail = __atomic_load_n(&ring->view.header->tail, __ATOMIC_SEQ_CST);
    journal_entry entry;

    if (head >= tail)
        return 0;
    journal_read_record(&ring->view, head, tail, &entry);
    return entry.kind != RECORD_UNPUBLISHED && entry.kind != RECORD_HOLE;
}

uint64_t ring_release_finished(message_ring *ring)
{
    journal_header *header = ring->view.header;
    uint64_t release = __atomic_load_n(&header->release, __ATOMIC_RELAXED);
    uint64_t head = ring->head;
    uint64_t start = release;

    while (release < head) {
        journal_entry entry;

        journal_read_record(&ring->view, release, head, &entry);
        if (entry.kind == RECORD_MESSAGE && !(entry.state & (JOURNAL_STATE_FINISHED | JOURNAL_STATE_DROPPED)))
            break;
        release += entry.length;
    }
    if (release != start)
        __atomic_store_n(&header->release, release, __ATOMIC_RELEASE);
    return release;
}

journal_record *ring_record_for_ticket(const message_ring *ring, uint64_t position)
{
    uint64_t head = __atomic_load_n(&ring->head, __ATOMIC_ACQUIRE);
    uint64_t release = __atomic_load_n(&ring->view.header->release, __ATOMIC_ACQUIRE);
    journal_entry entry;

    if (position < release || position >= head || position % JOURNAL_RECORD_ALIGNMENT != 0)
        return NULL;
    journal_read_record(&ring->view, position, head, &entry);
    if (entry.kind != RECORD_MESSAGE || !(entry.state & JOURNAL_STATE_TAKEN))
        return NULL;
    return entry.record;
}

uint64_t ring_skip_unpublished(message_ring *ring)
{
    uint64_t tail = __atomic_load_n(&ring->view.header->tail, __ATOMIC_ACQUIRE);
    journal_entry entry;

    if (ring->head >= tail)
        return 0;
    journal_read_record(&ring->view, ring->head, tail, &entry);
    if (entry.kind == RECORD_UNPUBLISHED)
        ring_mark(entry.record, JOURNAL_STATE_DROPPED);
    __atomic_store_n(&ring->head, ring->head + entry.length, __ATOMIC_RELEASE);
    return entry.length;
}

#define RING_PAGE_SIZE 4096u

/* A locked OR of 0 into the page's first word: a write that keeps the
 * word's value whatever a producer stores there before or after it (the
 * locked instruction holds the line throughout), and the page's first
 * write since its write-back. In assembly: as a C atomic it would race
 * with a producer's plain stores of a payload word in C11's terms,
 * although the instruction is atomic against them. */
/* NOLINTNEXTLINE(readability-non-const-parameter): the assembly writes through it */
static void write_page_keeping_bytes(unsigned char *page)
{
#if defined(__i386__) || defined(__x86_64__)
    __asm__ __volatile__("lock orl $0, %0" : "+m"(*(volatile uint32_t *)(void *)page) : : "memory");
#else
    __atomic_fetch_or((uint32_t *)(void *)page, 0u, __ATOMIC_RELAXED);
#endif
}

unsigned ring_write_ahead(message_ring *ring, uint64_t span, int again)
{
    uint64_t done = __atomic_load_n(&ring->written_ahead, __ATOMIC_RELAXED);
    uint64_t tail;
    uint64_t free_end;
    uint64_t end;
    uint64_t position;
    unsigned written = 0;

    /* Still half a span written ahead of the take: the tail, the
     * producers' line, is not read (after every batch it would pass
     * between the CPUs). */
    if (!again && done >= __atomic_load_n(&ring->head, __ATOMIC_RELAXED) + span / 2)
        return 0;
    tail = __atomic_load_n(&ring->view.header->tail, __ATOMIC_ACQUIRE);
    free_end = __atomic_load_n(&ring->view.header->release, __ATOMIC_ACQUIRE) + ring->view.ring_size;
    end = tail + span < free_end ? tail + span : free_end;
    /* From the first page after the tail's own, which its producer wrote. */
    position = (tail + RING_PAGE_SIZE - 1) & ~(uint64_t)(RING_PAGE_SIZE - 1);
    if (!again && done > position)
        position = done;
    for (; position < end; position += RING_PAGE_SIZE, written++)
        write_page_keeping_bytes(ring->view.ring + journal_ring_offset(&ring->view, position));
    if (position > done)
        __atomic_store_n(&ring->written_ahead, position, __ATOMIC_RELAXED);
    return written;
}
