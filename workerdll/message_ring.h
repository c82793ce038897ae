/* A journal in use: producers claim and publish records without a lock;
 * the consumer takes them in order, marks what it did with each in the
 * record itself, and moves the release point over what is finished, so that
 * the ring reuses its space and a reader after a crash knows what was done.
 * No Windows header: the callers bring the lock that orders consumers
 * (every function marked "consumer" runs under it). */
#ifndef TWINSHIM_WORKER_MESSAGE_RING_H
#define TWINSHIM_WORKER_MESSAGE_RING_H

#include <stddef.h>
#include <stdint.h>

#include "journal_reader.h"

/* The padding between the groups below is the point: what producers write,
 * and what the consumer writes, on lines of their own. */
typedef struct message_ring { /* NOLINT(clang-analyzer-optin.performance.Padding) */
    /* Producers' line: what a post reads, written at open and by a producer
     * that passes claim_limit (about once a lap). */
    _Alignas(64) journal_view view;
    /* Positions below it are free without a look at the release point,
     * which the consumer writes often. */
    volatile uint64_t claim_limit;
    /* The consumer's: the next position to take. Not in the journal: after
     * a crash, what was taken is in each record's state. */
    _Alignas(64) uint64_t head;
    /* Published records whose header did not hold (a dead journal's). */
    uint64_t torn;
    /* Pages before this position were written ahead of the producers
     * (ring_write_ahead) in this lap. */
    uint64_t written_ahead;
} message_ring;

_Static_assert(offsetof(message_ring, claim_limit) + sizeof(uint64_t) <= 64, "what a post reads is one line");

/* A ring over a validated view; the consumer starts at its release point. */
void message_ring_open(message_ring *ring, const journal_view *view);

/* A claimed record, for the producer to fill and publish. */
typedef struct ring_claim {
    uint64_t position;
    journal_record *record;
    void *payload;
} ring_claim;

/* Claims room for a message of `size` bytes (at most the ring's limit):
 * 1 with *claim filled, 0 when the ring is full. The record's header is
 * written (with `producer`, the posting thread's id); its payload is the
 * caller's to write, then ring_publish. */
int ring_claim_record(message_ring *ring, uint32_t size, uint32_t producer, ring_claim *claim);

/* Publishes a claimed record: a release store of its stamp. Then asks for
 * the line where the next record will likely go, for writing: a lap ago
 * the consumer wrote it, so a post made long after this one would
 * otherwise wait for it (a host that calls now and then). */
static inline void ring_publish(const message_ring *ring, const ring_claim *claim, uint64_t length)
{
    __atomic_store_n(&claim->record->stamp, claim->position + 1, __ATOMIC_RELEASE);
    __builtin_prefetch(journal_record_at(&ring->view, claim->position + length), 1, 3);
}

/* Whether the ring holds published records beyond the consumer's head, or
 * claims not yet published: read without the lock by whoever decides that a
 * consumer should look. */
int ring_has_unread(const message_ring *ring);

/* Whether the record at the head can be taken (or passed by) now: 0 when
 * the ring is empty or its head is claimed and not yet published. */
int ring_head_is_takeable(const message_ring *ring);

/* Bytes claimed beyond the release point: the backlog. */
uint64_t ring_backlog(const message_ring *ring);

/* Consumer: how many messages ring_take would take now, at most `limit`. */
unsigned ring_takeable(const message_ring *ring, unsigned limit);

/* Consumer: takes up to `limit` published messages from the head on
 * (stopping at the first record not yet published), gives each its
 * sequence number and marks it taken. Returns how many; *first and *end
 * bound what was taken (padding records in between are skipped). */
unsigned ring_take(message_ring *ring, unsigned limit, uint64_t *first, uint64_t *end);

/* The next message in a taken range at or after *position; moves *position
 * past it. Returns 0 when there is none. */
int ring_next_taken(const message_ring *ring, uint64_t *position, uint64_t end, journal_entry *entry);

/* Marks a record: a state bit, never removed. */
static inline void ring_mark(journal_record *record, uint32_t state)
{
    __atomic_fetch_or(&record->state, state, __ATOMIC_RELEASE);
}

/* Marks a record that no other thread may mark meanwhile: one taken under
 * the delivery lock, or one whose on_message returned without deferring it
 * (only a deferred record is finished elsewhere). A release store, no
 * locked instruction: as locked ORs, the two marks of every message were
 * most of what a consumer spent on it. */
static inline void ring_mark_owned(journal_record *record, uint32_t state)
{
    __atomic_store_n(&record->state, __atomic_load_n(&record->state, __ATOMIC_RELAXED) | state,
                     __ATOMIC_RELEASE);
}

/* Consumer: moves the release point over finished records (and padding),
 * making their space reusable; stores it in the journal. Returns the new
 * release point. */
uint64_t ring_release_finished(message_ring *ring);

/* The record a ticket's position names, if it is a published message that
 * was taken (and so may be finished): NULL otherwise. */
journal_record *ring_record_for_ticket(const message_ring *ring, uint64_t position);

/* Writes each page of free space from the tail up to `span` bytes beyond
 * it, changing no byte, and returns how many it wrote. A page of a file
 * mapping that the system has written to disk is write-protected again:
 * the next write to it faults (Linux: once per page after each write-back;
 * Windows marks the page dirty in the same way, docs/wine-vs-windows.md).
 * Written here, the fault is a worker thread's, not a host's post. With
 * `again` 0 (a callback after each batch), nothing is done while what was
 * written ahead reaches half a span beyond the head, and pages written
 * ahead earlier in this lap are passed over; with 1 (the session thread's
 * look: a write-back may have undone them since) they are written again. */
unsigned ring_write_ahead(message_ring *ring, uint64_t span, int again);

/* Consumer: skips a record at the head that was claimed and never
 * published (its producer is gone): marked dropped, and the head moves on.
 * Returns the bytes skipped. */
uint64_t ring_skip_unpublished(message_ring *ring);

#endif
