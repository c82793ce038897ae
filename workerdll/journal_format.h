/* The journal's layout, byte by byte: the one place that says what every
 * field at every offset means and what a reader does with a bad value
 * (journal_reader.c). Version 1. Plain C with no Windows header, so that the
 * fuzz target builds it natively.
 *
 * A journal holds a session's messages from the post that writes them until
 * the plugin has finished them. It is a file mapped into the process (or,
 * for a plugin that opts out, a block of process memory): a header page,
 * then a ring. What the posts of a process wrote is in the file's pages the
 * moment each post returns, so a process killed in any way leaves it for
 * the next session of the same front to deliver (docs/journal.md).
 *
 * All numbers are little-endian (the only byte order Windows runs on).
 *
 * The header, JOURNAL_HEADER_SIZE bytes at offset 0:
 *   offset size field
 *        0    8 magic           "TWSHJRNL". Anything else: not a journal, moved aside.
 *        8    4 version         JOURNAL_VERSION. Another: not read, moved aside.
 *       12    4 header_size     JOURNAL_HEADER_SIZE. Another: moved aside.
 *       16    8 ring_size       bytes of ring after the header: a multiple of
 *                               JOURNAL_RING_ALIGNMENT, JOURNAL_RING_MIN to
 *                               JOURNAL_RING_MAX, and header + ring = the file's
 *                               size. Otherwise: moved aside.
 *       24    8 owner_key       which front (by its full path) and which user
 *                               wrote it. A reader whose key differs never
 *                               reads further (the folder is per front too).
 *       32    4 process_id      of the process that wrote it.
 *       36    4 message_limit   the largest payload a record may hold, at most
 *                               ring_size / 4. A record above it: torn.
 *       40    8 process_started that process's creation time (FILETIME).
 *       48    8 created         when the journal was created (FILETIME, UTC).
 *       56    4 front_name_length  UTF-16 units in front_name, at most
 *                               JOURNAL_FRONT_NAME_CAPACITY; informational.
 *       60    4 reserved        0.
 *       64  520 front_name      the front's file name (UTF-16), for people
 *                               looking at a folder of journals.
 *     1024    8 tail            the next position producers claim. Written by
 *                               compare-exchange; alone on its cache line.
 *     1088    8 release         every record before it is finished: the ring
 *                               may reuse its space. Written by the consumer
 *                               after each batch and each finish.
 *     1096    8 next_sequence   the sequence number the next delivered record
 *                               gets (the first is 1).
 *     1104    4 earlier_owner_count  entries in earlier_owners, at most
 *                               JOURNAL_EARLIER_OWNERS.
 *     1108    4 reserved        0.
 *     1112 24*n earlier_owners  the processes that wrote this journal before
 *                               process_id did: a session adopts a dead
 *                               journal with room instead of making a file
 *                               (docs/journal.md, "Where journals live"), and
 *                               adds its dead writer here. Each entry:
 *                                 0 8 end              the tail when the next
 *                                                      process adopted it
 *                                 8 4 process_id
 *                                12 4 reserved         0
 *                                16 8 process_started
 *                               A record before entries[0].end is entry 0's;
 *                               one before entries[i].end (and not before an
 *                               earlier end) entry i's; one past the last end,
 *                               process_id's. Ends are multiples of
 *                               JOURNAL_RECORD_ALIGNMENT, never decrease, and
 *                               are at most tail. Bytes 1104 on were 0 in every
 *                               journal before adoption existed: an older
 *                               reader delivers an adopted journal whole, as
 *                               process_id's.
 *   A reader checks release <= tail and tail - release <= ring_size, and the
 *   earlier owners as above; a header that fails is moved aside. The rest of
 *   the page is 0.
 *
 * The ring: position p (a byte count since the journal was created; 64 bits
 * never wrap) lies at ring offset p % ring_size. A record starts at a
 * position that is a multiple of JOURNAL_RECORD_ALIGNMENT and never wraps
 * round the ring's end: a record that would is preceded by a padding record
 * that fills the rest of the lap. A record is a JOURNAL_RECORD_HEADER_SIZE
 * header, then its payload, then zero to 63 unused bytes:
 *   offset size field
 *        0    8 stamp     p + 1 once the record is published (its post then
 *                         returns). Anything else: not published, either a
 *                         post still writing or one that never finished.
 *                         Written last, with release order.
 *        8    4 size      payload bytes (a padding record: bytes it covers
 *                         after its header).
 *       12    4 check     journal_record_check(p, size): a header from an
 *                         older lap, or payload bytes, fail it.
 *       16    8 sequence  0 until delivery begins; then the record's number.
 *       24    4 state     JOURNAL_STATE_* bits, set by the consumer.
 *       28    4 producer  the posting thread's id, written right after the
 *                         claim: who to ask about a claim left unpublished.
 *       32      payload
 *   A published record whose check, size or length does not hold is torn:
 *   skipped, counted and reported, never delivered. */
#ifndef TWINSHIM_WORKER_JOURNAL_FORMAT_H
#define TWINSHIM_WORKER_JOURNAL_FORMAT_H

#include <stddef.h>
#include <stdint.h>

#define JOURNAL_MAGIC "TWSHJRNL"
#define JOURNAL_MAGIC_SIZE 8u
#define JOURNAL_VERSION 1u
#define JOURNAL_HEADER_SIZE 4096u
#define JOURNAL_RING_ALIGNMENT 4096u
#define JOURNAL_RING_MIN (64u * 1024u)
#define JOURNAL_RING_MAX (1024ull * 1024u * 1024u)
#define JOURNAL_FRONT_NAME_CAPACITY 260u
#define JOURNAL_RECORD_ALIGNMENT 64u
#define JOURNAL_RECORD_HEADER_SIZE 32u

#define JOURNAL_TAIL_OFFSET 1024u
#define JOURNAL_RELEASE_OFFSET 1088u
#define JOURNAL_NEXT_SEQUENCE_OFFSET 1096u
#define JOURNAL_EARLIER_OWNERS_OFFSET 1104u
#define JOURNAL_EARLIER_OWNERS 120u

/* Record states. A record's state only gains bits. */
#define JOURNAL_STATE_TAKEN 0x1u    /* its delivery began */
#define JOURNAL_STATE_DEFERRED 0x2u /* on_message returned, the plugin finishes it later */
#define JOURNAL_STATE_FINISHED 0x4u /* done: its space may be reused */
#define JOURNAL_STATE_PADDING 0x8u  /* not a message: fills a lap's end */
#define JOURNAL_STATE_DROPPED 0x10u /* a claim never published, skipped */
#define JOURNAL_STATE_REPEAT 0x20u  /* taken again after an earlier delivery began: a possible repeat */

typedef struct journal_earlier_owner {
    uint64_t end;
    uint32_t process_id;
    uint32_t reserved;
    uint64_t process_started;
} journal_earlier_owner;

typedef struct journal_header {
    unsigned char magic[JOURNAL_MAGIC_SIZE];
    uint32_t version;
    uint32_t header_size;
    uint64_t ring_size;
    uint64_t owner_key;
    uint32_t process_id;
    uint32_t message_limit;
    uint64_t process_started;
    uint64_t created;
    uint32_t front_name_length;
    uint32_t reserved;
    uint16_t front_name[JOURNAL_FRONT_NAME_CAPACITY];
    unsigned char unused_before_tail[JOURNAL_TAIL_OFFSET - 64u - 2u * JOURNAL_FRONT_NAME_CAPACITY];
    /* Producers' line. */
    volatile uint64_t tail;
    unsigned char unused_before_release[JOURNAL_RELEASE_OFFSET - JOURNAL_TAIL_OFFSET - 8u];
    /* Consumers' line. */
    volatile uint64_t release;
    volatile uint64_t next_sequence;
    /* Written only while one process alone holds the file: as it adopts it. */
    uint32_t earlier_owner_count;
    uint32_t reserved_after_count;
    journal_earlier_owner earlier_owners[JOURNAL_EARLIER_OWNERS];
    unsigned char unused_after[JOURNAL_HEADER_SIZE - JOURNAL_EARLIER_OWNERS_OFFSET - 8u -
                               JOURNAL_EARLIER_OWNERS * sizeof(journal_earlier_owner)];
} journal_header;

typedef struct journal_record {
    volatile uint64_t stamp;
    uint32_t size;
    uint32_t check;
    volatile uint64_t sequence;
    volatile uint32_t state;
    uint32_t producer;
} journal_record;

_Static_assert(sizeof(journal_header) == JOURNAL_HEADER_SIZE, "the header is one page");
_Static_assert(offsetof(journal_header, tail) == JOURNAL_TAIL_OFFSET, "tail offset");
_Static_assert(offsetof(journal_header, release) == JOURNAL_RELEASE_OFFSET, "release offset");
_Static_assert(offsetof(journal_header, next_sequence) == JOURNAL_NEXT_SEQUENCE_OFFSET, "sequence offset");
_Static_assert(offsetof(journal_header, earlier_owner_count) == JOURNAL_EARLIER_OWNERS_OFFSET,
               "earlier owners offset");
_Static_assert(sizeof(journal_earlier_owner) == 24, "an earlier owner's entry");
_Static_assert(sizeof(journal_record) == JOURNAL_RECORD_HEADER_SIZE, "record header size");

/* Tells a record header written at `position` for `size` bytes from stale
 * bytes: a mix of both, never 0. */
static inline uint32_t journal_record_check(uint64_t position, uint32_t size)
{
    uint64_t mixed = (position ^ ((uint64_t)size << 40) ^ 0x7477736a726e6c31ull) * 0x9e3779b97f4a7c15ull;

    mixed ^= mixed >> 29;
    return (uint32_t)(mixed >> 32) | 1u;
}

/* The ring bytes a record of `size` payload bytes takes. */
static inline uint64_t journal_record_length(uint64_t size)
{
    return (JOURNAL_RECORD_HEADER_SIZE + size + JOURNAL_RECORD_ALIGNMENT - 1u) &
           ~(uint64_t)(JOURNAL_RECORD_ALIGNMENT - 1u);
}

#endif
