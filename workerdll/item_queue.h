/* A session's queue of work: an unbounded FIFO of fixed-size slots in
 * blocks, written by any number of producers without a lock and read by
 * the pool's callbacks under one lock of their own.
 *
 * A producer claims a position (two for a large message) with one
 * compare-exchange on the tail, writes its entry into that position's slot
 * and publishes it by storing the position in the slot. A message of up to
 * QUEUE_INLINE_CAPACITY bytes travels inside its slots, so the post path
 * allocates nothing; blocks are reused once every entry in them has run. A
 * callback takes several entries per lock and runs them where they are:
 * consumers only read slots, so a slot's lines are never written on both
 * sides. */
#ifndef TWINSHIM_WORKER_ITEM_QUEUE_H
#define TWINSHIM_WORKER_ITEM_QUEUE_H

#include <stddef.h>

#include <windows.h>

#include "twinshim/worker.h"

#define QUEUE_CACHE_LINE 64
/* A slot is two cache lines: a 16-byte header and this much payload. Small,
 * because a backlog's slots are what the host's caches hold: 10,000 queued
 * records in 256-byte slots slowed the FreeLibrary that followed by half. */
#define QUEUE_SLOT_PAYLOAD 112u
/* Payloads up to this size travel in the queue: up to QUEUE_SLOT_PAYLOAD in
 * one slot (shimgen's 96-byte record), larger ones in two. */
#define QUEUE_INLINE_CAPACITY (2u * QUEUE_SLOT_PAYLOAD)
/* Positions per block: the last position of each block is never a slot;
 * a tail there means "the next block is being linked in". */
#define QUEUE_BLOCK_POSITIONS 128u
#define QUEUE_BLOCK_SLOTS (QUEUE_BLOCK_POSITIONS - 1u)

/* An entry as the runtime handles it. A message has no work function; its
 * payload is in the slot, or in a heap block (heap_payload) when it did
 * not fit. */
typedef struct queue_entry {
    shim_work_function work;
    shim_work_cancel_function on_cancel;
    void *context;
    void *heap_payload;
    size_t payload_size;
    int runtime_item; /* the runtime's own work (a handle's close) */
} queue_entry;

typedef enum slot_kind {
    SLOT_INLINE_MESSAGE,
    SLOT_HEAP_MESSAGE,
    SLOT_WORK,
    SLOT_RUNTIME_WORK,
    /* The second slot of a two-slot message: the rest of its payload. It has
     * a header of its own, so that exit can tell it from an entry when the
     * first slot was never published. */
    SLOT_CONTINUATION,
    /* A block's last slot, left empty by a two-slot message that did not
     * fit: taken and skipped like an entry, never run. */
    SLOT_PADDING
} slot_kind;

/* An entry as a slot holds it: a 16-byte header, then the payload, so that
 * a message writes as few cache lines as it can: one for a payload of up to
 * 48 bytes, two up to 112. */
typedef struct queue_slot {
    /* The slot's position + 1 once its entry is written; anything else
     * means not yet (a claimed slot whose producer is still writing). */
    _Alignas(QUEUE_CACHE_LINE) volatile LONG64 published;
    unsigned int kind;        /* slot_kind */
    unsigned int inline_size; /* SLOT_INLINE_MESSAGE: the whole payload's */
    union {
        _Alignas(max_align_t) unsigned char payload[QUEUE_SLOT_PAYLOAD];
        struct {
            shim_work_function function;
            shim_work_cancel_function on_cancel;
            void *context;
        } work;
        struct {
            void *payload;
            size_t size;
        } heap;
    } body;
} queue_slot;

/* Where a two-slot message's payload is put together for its reader. */
typedef struct queue_payload_copy {
    _Alignas(max_align_t) unsigned char bytes[QUEUE_INLINE_CAPACITY];
} queue_payload_copy;

typedef struct queue_block {
    queue_slot slots[QUEUE_BLOCK_SLOTS];
    /* Set by the producer that claimed the last slot, once the next block
     * is the tail's. */
    _Alignas(QUEUE_CACHE_LINE) struct queue_block *volatile next;
    LONG64 first_position;  /* of its first slot, in its current use */
    SLIST_ENTRY free_link;  /* in free_blocks while unused */
    volatile LONG finished; /* entries run (or handed to cancel) so far */
    void *allocation;       /* HeapFree's pointer; NULL: the session's own block */
} queue_block;

typedef struct item_queue {
    /* Producers' line: the next position to claim and its block. */
    _Alignas(QUEUE_CACHE_LINE) volatile LONG64 tail;
    queue_block *volatile tail_block;

    /* Consumers' line, under lock. head is read without it only by exit
     * and the idle check. */
    _Alignas(QUEUE_CACHE_LINE) SRWLOCK lock;
    volatile LONG64 head;
    queue_block *volatile head_block;

    /* Read blocks, kept for the next block a producer needs (once per
     * QUEUE_BLOCK_SLOTS posts on each side). */
    _Alignas(QUEUE_CACHE_LINE) SLIST_HEADER free_blocks;
    HANDLE heap;
    volatile LONG64 runtime_items;       /* claimed by the runtime's own work */
    volatile LONG64 slots_without_entry; /* continuations and padding */
    /* The first block is part of the queue: a session never lacks one. */
    queue_block first_block;
} item_queue;

/* Entries a callback took at once: positions first .. first + slots - 1,
 * all in one block. They stay in their slots while the callback runs them,
 * so that exit still finds those it had not finished; the block is reused
 * only once every entry of it is finished (shim__queue_finish_batch). */
typedef struct queue_batch {
    queue_block *block;
    LONG64 first;
    unsigned slots;
} queue_batch;

void shim__queue_init(item_queue *queue, HANDLE heap);
/* After the last producer and consumer: frees every block but the first. */
void shim__queue_release(item_queue *queue);
/* Frees read blocks beyond a few; a callback calls it when it finds the
 * queue empty and leaves. */
void shim__queue_trim(item_queue *queue);

/* Claims the next position (two for a message of more than
 * QUEUE_SLOT_PAYLOAD bytes that travels inline) and returns its slot, or
 * NULL when a new block was needed and could not be allocated (nothing of
 * the entry claimed; a padding slot it left may be, published and
 * harmless). The caller writes it with shim__queue_write, then calls
 * shim__queue_publish. */
queue_slot *shim__queue_claim(item_queue *queue, const queue_entry *entry, LONG64 *position);
/* Writes a claimed slot: the entry, and for a message that fits, its
 * payload (into the second slot too, if it was claimed for two). */
void shim__queue_write(queue_slot *slot, const queue_entry *entry, const void *payload);
/* Publishes a claimed slot: a release store, no barrier, so that the
 * producer goes on while the slot's lines travel. Consumers that must not
 * miss an entry look at the claims (shim__queue_is_empty), which the claim's
 * compare-exchange orders before anything its producer reads next. */
void shim__queue_publish(queue_slot *slot, LONG64 position);

/* Consumers, with the queue's lock held: finds up to `limit` published
 * entries from the head on, in the head's block; a work item (which may run
 * long) only on its own. Returns the count of entries; batch->slots is 0
 * when the head is not published (yet), and counts a block's padding
 * slot, which may make a batch without entries. The caller records the
 * batch where exit can find it before it calls shim__queue_take, so that
 * exit finds each entry in one place or both. */
unsigned shim__queue_find_batch(const item_queue *queue, unsigned limit, queue_batch *batch);
/* Moves the head past a batch that shim__queue_find_batch found. */
void shim__queue_take(item_queue *queue, const queue_batch *batch);
/* The first entry at or after `*offset` slots into a taken batch, and where
 * its payload is (in `copy` when it spans two slots); moves *offset past it.
 * Returns FALSE when the batch has no entry left. */
BOOL shim__queue_batch_next(const queue_batch *batch, unsigned *offset, queue_entry *entry,
                            const void **payload, queue_payload_copy *copy);
/* Without the lock, once every entry of a taken batch has run and the
 * batch is out of the caller's record: the block is reused once all its
 * entries are finished. */
void shim__queue_finish_batch(item_queue *queue, const queue_batch *batch);
/* Whether shim__queue_find_batch would find an entry. */
BOOL shim__queue_head_is_published(const item_queue *queue);

/* Nothing claimed that is not taken: read without the lock. */
BOOL shim__queue_is_empty(const item_queue *queue);
/* Entries ever claimed, without the runtime's own (the runtime counts
 * those in runtime_items after its claim). */
LONG64 shim__queue_claimed_count(const item_queue *queue);

/* Process exit: calls visit for every entry from the head on, oldest
 * first, with published FALSE for a claimed slot whose producer never
 * finished writing it. Takes no lock, frees nothing. */
typedef void (*queue_visit_function)(void *context, LONG64 position, const queue_entry *entry,
                                     const void *payload, BOOL published);
void shim__queue_visit_at_exit(const item_queue *queue, queue_visit_function visit, void *context);

#endif
