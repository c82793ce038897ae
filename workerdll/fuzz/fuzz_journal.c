/* libFuzzer target for the journal reader: what a session does with a
 * journal file it finds in its folder, over any bytes. journal_validate,
 * then every record read from the release point to the tail (as the stop's
 * count, the exit's walk and the recovery's report do) with the process
 * that wrote it (the earlier owners of a journal adopted), then the ring
 * driven as a recovering session's callbacks drive it: take a batch, mark
 * each message finished or deferred, move the release point, skip what a
 * dead process never published, finish deferred messages by ticket. Last,
 * a producer's claim and publish over the same header. Half the images have
 * their records' checks recomputed first (seal_records), so that sizes the
 * checks would otherwise refuse reach the reader's other bounds.
 *
 * An input is read twice: as it is (a whole file, its size the file's), and,
 * when it is shorter than the smallest journal, in a compact form (see
 * build_compact) that puts its bytes where a reader looks: so that small
 * inputs reach the record walk anywhere in the ring. Each image is a
 * heap block of exactly its size, so AddressSanitizer sees any read or
 * write outside it; the reader's own promises (a record never crosses the
 * ring's end, a message's payload lies inside its record) are checked here
 * and abort when broken. A crash, a sanitizer report or a hang is a bug. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../journal_reader.h"
#include "../message_ring.h"

#define FUZZ_COMPACT_RING_MAX (1024u * 1024u)
#define FUZZ_TAKE_LIMIT 32u
#define FUZZ_DEFERRED_MAX 64u

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Choices the input makes beyond its image: read from its last bytes, so
 * that they change as the fuzzer mutates, without moving the header. */
typedef struct fuzz_choices {
    const uint8_t *bytes;
    size_t count;
    size_t next;
} fuzz_choices;

static unsigned choose(fuzz_choices *choices, unsigned range)
{
    unsigned value;

    if (choices->count == 0 || range == 0)
        return 0;
    value = choices->bytes[choices->next % choices->count];
    choices->next++;
    return value % range;
}

/* The reader says a record has this place and length: it must lie in the
 * ring's lap, and a message's payload inside the image. Reads the payload's
 * first and last bytes, so that a payload outside the image is reported by
 * AddressSanitizer even if the arithmetic above missed it. */
static unsigned check_entry(const journal_view *view, const journal_entry *entry)
{
    uint64_t offset = entry->position % view->ring_size;
    const unsigned char *payload = entry->payload;

    if (entry->length < JOURNAL_RECORD_ALIGNMENT || entry->length % JOURNAL_RECORD_ALIGNMENT != 0)
        abort();
    if (entry->kind == RECORD_HOLE || entry->kind == RECORD_TORN) {
        if (entry->length != JOURNAL_RECORD_ALIGNMENT)
            abort();
        return 0;
    }
    if (offset + entry->length > view->ring_size)
        abort();
    if (entry->kind != RECORD_MESSAGE)
        return 0;
    if (entry->size > view->message_limit ||
        JOURNAL_RECORD_HEADER_SIZE + (uint64_t)entry->size > entry->length ||
        payload != view->ring + offset + JOURNAL_RECORD_HEADER_SIZE)
        abort();
    return entry->size == 0 ? 0 : (unsigned)payload[0] + payload[entry->size - 1];
}

/* Every record from the release point to the tail, as the stop counts
 * unfinished messages and the exit hands them over. */
static unsigned walk_records(const journal_view *view)
{
    uint64_t release;
    uint64_t tail;
    unsigned sum = 0;

    journal_bounds(view, &release, &tail);
    if (release > tail || tail - release > view->ring_size)
        abort();
    for (uint64_t position = release; position < tail;) {
        journal_entry entry;
        uint32_t process_id;
        uint64_t process_started;

        journal_read_record(view, position, tail, &entry);
        sum += check_entry(view, &entry);
        /* Whose it is, as a delivery says: the earlier owners' table. */
        journal_writer_of(view, position, &process_id, &process_started);
        sum += process_id;
        position += entry.length;
    }
    return sum;
}

/* A recovering session's consumer over the ring: batches, marks, releases,
 * skips, and deferred messages finished later by ticket. */
static unsigned drive_consumer(message_ring *ring, fuzz_choices *choices)
{
    uint64_t deferred[FUZZ_DEFERRED_MAX];
    unsigned deferred_count = 0;
    unsigned sum = 0;
    /* Each round takes or skips at least one record, or stops. */
    uint64_t rounds_left = ring->view.ring_size / JOURNAL_RECORD_ALIGNMENT + 2;

    while (rounds_left-- > 0) {
        unsigned limit = 1 + choose(choices, FUZZ_TAKE_LIMIT);
        unsigned takeable = ring_takeable(ring, limit);
        uint64_t first;
        uint64_t end;
        uint64_t position;
        unsigned taken = ring_take(ring, limit, &first, &end);
        unsigned walked = 0;
        journal_entry entry;

        if (taken != takeable)
            abort();
        position = first;
        while (ring_next_taken(ring, &position, end, &entry)) {
            sum += check_entry(&ring->view, &entry);
            walked++;
            if (choose(choices, 4) == 0 && deferred_count < FUZZ_DEFERRED_MAX) {
                ring_mark(entry.record, JOURNAL_STATE_DEFERRED);
                deferred[deferred_count++] = entry.position;
            } else {
                ring_mark(entry.record, JOURNAL_STATE_FINISHED);
            }
        }
        if (walked != taken)
            abort();
        ring_release_finished(ring);
        if (taken == 0 && ring_skip_unpublished(ring) == 0)
            break;
    }
    /* The deferred ones, finished by their tickets, in an order the input
     * chooses; a ticket of a position never taken names nothing. */
    for (unsigned i = 0; i < deferred_count; i++) {
        unsigned pick = i + choose(choices, deferred_count - i);
        uint64_t position = deferred[pick];
        journal_record *record;

        deferred[pick] = deferred[i];
        record = ring_record_for_ticket(ring, position);
        if (record != NULL)
            ring_mark(record, JOURNAL_STATE_FINISHED);
        ring_release_finished(ring);
    }
    (void)ring_record_for_ticket(ring, (uint64_t)choose(choices, 256) * JOURNAL_RECORD_ALIGNMENT);
    return sum;
}

/* A producer over the same header: claim, fill, publish, then take it. */
static void drive_producer(message_ring *ring, fuzz_choices *choices)
{
    uint32_t size =
        ring->view.message_limit == 0 ? 0 : choose(choices, 4096) % (ring->view.message_limit + 1);
    ring_claim claim;
    uint64_t first;
    uint64_t end;

    for (unsigned i = 0; i < 4; i++) {
        if (!ring_claim_record(ring, size, 1, &claim))
            return;
        if ((unsigned char *)claim.payload < ring->view.ring ||
            (unsigned char *)claim.payload + size > ring->view.ring + ring->view.ring_size)
            abort();
        memset(claim.payload, 0x5a, size);
        ring_publish(ring, &claim, journal_record_length(size));
    }
    (void)ring_take(ring, FUZZ_TAKE_LIMIT, &first, &end);
}

/* A size near one of the bounds a reader checks a record against: the room
 * left in the lap, the distance to the tail, the message limit, the top of
 * 32 bits. */
static uint32_t size_near_a_bound(const journal_view *view, uint64_t position, uint64_t tail,
                                  fuzz_choices *choices)
{
    int64_t delta = (int64_t)choose(choices, 2 * JOURNAL_RECORD_ALIGNMENT + 1) - JOURNAL_RECORD_ALIGNMENT;
    int64_t bound;

    switch (choose(choices, 4)) {
    case 0:
        bound = (int64_t)(view->ring_size - position % view->ring_size) - JOURNAL_RECORD_HEADER_SIZE;
        break;
    case 1:
        bound = (int64_t)(tail - position) - JOURNAL_RECORD_HEADER_SIZE;
        break;
    case 2:
        bound = (int64_t)view->message_limit;
        break;
    default:
        bound = (int64_t)UINT32_MAX - JOURNAL_RECORD_ALIGNMENT;
        break;
    }
    return (uint32_t)(bound + delta);
}

/* Half the images get every published-looking record's check recomputed
 * for its size, some sizes first moved near a bound: a random mutation
 * cannot forge a 32-bit check, so without this the fuzzer would test the
 * check and little behind it (sizes past the lap, the tail or the limit). */
static void seal_records(const journal_view *view, fuzz_choices *choices)
{
    uint64_t release;
    uint64_t tail;

    journal_bounds(view, &release, &tail);
    for (uint64_t position = release; position < tail; position += JOURNAL_RECORD_ALIGNMENT) {
        journal_record *record = journal_record_at(view, position);

        if (record->stamp != position + 1)
            continue;
        if (choose(choices, 4) == 0)
            record->size = size_near_a_bound(view, position, tail, choices);
        record->check = journal_record_check(position, record->size);
    }
}

static void read_image(void *image, uint64_t image_size, fuzz_choices *choices)
{
    journal_view view;
    message_ring ring;
    uint64_t other_key = 0x9e3779b97f4a7c15ull;
    volatile unsigned sum = 0;

    /* A reader of another front: refused, never read further. */
    if (journal_validate(image, image_size, other_key, &view) == JOURNAL_VALID &&
        view.header->owner_key != other_key)
        abort();
    if (journal_validate(image, image_size, 0, &view) != JOURNAL_VALID)
        return;
    if (view.ring != (unsigned char *)image + JOURNAL_HEADER_SIZE ||
        JOURNAL_HEADER_SIZE + view.ring_size != image_size)
        abort();
    if (choose(choices, 2) == 0)
        seal_records(&view, choices);
    sum += walk_records(&view);
    message_ring_open(&ring, &view);
    sum += drive_consumer(&ring, choices);
    sum += walk_records(&view);
    drive_producer(&ring, choices);
    sum += walk_records(&view);
    (void)sum;
}

/* The compact form of an input shorter than the smallest journal: its
 * first 64 bytes are the header's first 64 (magic to reserved), the next
 * 24 its tail, release point and next sequence, and the rest the ring's
 * bytes from the release point on (wrapping at the ring's end), so that a
 * few hundred bytes describe the records a reader walks, wherever in the
 * ring they lie. The ring is as long as the header says, up to
 * FUZZ_COMPACT_RING_MAX, else the smallest. The rest of the image is 0. */
#define COMPACT_HEADER_BYTES 64u
#define COMPACT_PREFIX (COMPACT_HEADER_BYTES + 24u)

static uint64_t compact_ring_size(const uint8_t *data, size_t size)
{
    uint64_t ring_size = 0;

    if (size >= offsetof(journal_header, ring_size) + sizeof ring_size)
        memcpy(&ring_size, data + offsetof(journal_header, ring_size), sizeof ring_size);
    if (ring_size < JOURNAL_RING_MIN || ring_size > FUZZ_COMPACT_RING_MAX ||
        ring_size % JOURNAL_RING_ALIGNMENT != 0)
        ring_size = JOURNAL_RING_MIN;
    return ring_size;
}

static void build_compact(unsigned char *image, uint64_t ring_size, const uint8_t *data, size_t size)
{
    journal_header *header = (journal_header *)image;
    unsigned char *ring = image + JOURNAL_HEADER_SIZE;
    uint64_t release = 0;
    uint64_t offset;

    memcpy(image, data, size < COMPACT_HEADER_BYTES ? size : COMPACT_HEADER_BYTES);
    if (size < COMPACT_PREFIX)
        return;
    memcpy((void *)&header->tail, data + COMPACT_HEADER_BYTES, 8);
    memcpy((void *)&header->release, data + COMPACT_HEADER_BYTES + 8, 8);
    memcpy((void *)&header->next_sequence, data + COMPACT_HEADER_BYTES + 16, 8);
    memcpy(&release, data + COMPACT_HEADER_BYTES + 8, sizeof release);
    offset = release % ring_size;
    for (size_t i = COMPACT_PREFIX; i < size; i++) {
        ring[offset] = data[i];
        offset = offset + 1 == ring_size ? 0 : offset + 1;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_choices choices = { .bytes = data + (size > 64 ? size - 64 : 0), .count = size > 64 ? 64 : size };
    /* A heap block of exactly the file's size (at least one byte, so that a
     * read of an empty file's first byte is caught too). */
    unsigned char *image = malloc(size == 0 ? 1 : size);

    if (image == NULL)
        return 0;
    memcpy(image, data, size);
    read_image(image, size, &choices);
    free(image);

    if (size < (size_t)JOURNAL_HEADER_SIZE + JOURNAL_RING_MIN) {
        uint64_t ring_size = compact_ring_size(data, size);
        uint64_t image_size = JOURNAL_HEADER_SIZE + ring_size;

        /* Page-aligned, as a mapped view is. */
        image = aligned_alloc(JOURNAL_RING_ALIGNMENT, (size_t)image_size);
        if (image == NULL)
            return 0;
        memset(image, 0, (size_t)image_size);
        build_compact(image, ring_size, data, size);
        choices.next = 0;
        read_image(image, image_size, &choices);
        free(image);
    }
    return 0;
}
