/* The session's lock-free queue of work (item_queue.h). The block protocol
 * is the segmented queue of Crossbeam's SegQueue: the producer that claims
 * a block's last slot links in the next block, and a producer that finds
 * the tail on a block's last position waits the few instructions that
 * takes. */
#include <stdalign.h>
#include <string.h>

#include "item_queue.h"

/* Read blocks kept once the queue is empty (about 128 KB). */
#define FREE_BLOCKS_KEPT 8u
/* A producer waiting for the next block pauses this many times before it
 * gives its CPU to the producer linking it in, which may be preempted. */
#define INSTALL_PAUSES 64

/* A post writes its slot's header line and the lines its payload covers. */
_Static_assert(sizeof(queue_slot) == 2 * QUEUE_CACHE_LINE, "a slot is two cache lines");
_Static_assert(offsetof(queue_slot, body) == 16, "a slot's payload follows a 16-byte header");

static LONG64 load_acquire(const volatile LONG64 *value)
{
    return __atomic_load_n(value, __ATOMIC_ACQUIRE);
}

static unsigned offset_of(LONG64 position)
{
    return (unsigned)(position & (QUEUE_BLOCK_POSITIONS - 1));
}

/* A position on a block's last, slotless position counts as the next
 * block's first. */
static LONG64 normalized(LONG64 position)
{
    return offset_of(position) == QUEUE_BLOCK_SLOTS ? position + 1 : position;
}

void shim__queue_init(item_queue *queue, HANDLE heap)
{
    queue->heap = heap;
    InitializeSRWLock(&queue->lock);
    InitializeSListHead(&queue->free_blocks);
    queue->first_block.next = NULL;
    queue->first_block.first_position = 0;
    queue->first_block.allocation = NULL;
    queue->tail_block = &queue->first_block;
    queue->head_block = &queue->first_block;
    queue->tail = 0;
    queue->head = 0;
    queue->runtime_items = 0;
    queue->slots_without_entry = 0;
}

static void free_block(item_queue *queue, queue_block *block)
{
    if (block->allocation != NULL)
        HeapFree(queue->heap, 0, block->allocation);
}

static queue_block *take_block(item_queue *queue)
{
    SLIST_ENTRY *entry = InterlockedPopEntrySList(&queue->free_blocks);
    queue_block *block;
    void *allocation;

    if (entry != NULL) {
        block = CONTAINING_RECORD(entry, queue_block, free_link);
    } else {
        /* Zeroed: heap memory can hold anything, a slot's own position + 1
         * among it, which would read as published. */
        allocation = HeapAlloc(queue->heap, HEAP_ZERO_MEMORY, sizeof *block + alignof(queue_block));
        if (allocation == NULL)
            return NULL;
        block = (queue_block *)(((ULONG_PTR)allocation + alignof(queue_block) - 1) &
                                ~(ULONG_PTR)(alignof(queue_block) - 1));
        block->allocation = allocation;
    }
    block->next = NULL;
    block->finished = 0;
    return block;
}

/* A block nobody reads or writes any more: kept for the next block a
 * producer needs, however many there are, until the queue is next found
 * empty (shim__queue_trim). A backlog's blocks are then reused while it
 * lasts instead of coming from the heap, whose fresh pages fault in
 * (under load, a callback that falls behind made every post pay for that).
 * Slots need no clearing: a slot counts as published only for its own
 * position, which grows forever. */
static void recycle_block(item_queue *queue, queue_block *block)
{
    InterlockedPushEntrySList(&queue->free_blocks, &block->free_link);
}

void shim__queue_trim(item_queue *queue)
{
    queue_block *own = NULL;

    while (QueryDepthSList(&queue->free_blocks) > FREE_BLOCKS_KEPT) {
        SLIST_ENTRY *entry = InterlockedPopEntrySList(&queue->free_blocks);
        queue_block *block;

        if (entry == NULL)
            break;
        block = CONTAINING_RECORD(entry, queue_block, free_link);
        if (block->allocation == NULL)
            own = block; /* the queue's first block is part of it */
        else
            free_block(queue, block);
    }
    if (own != NULL)
        InterlockedPushEntrySList(&queue->free_blocks, &own->free_link);
}

void shim__queue_release(item_queue *queue)
{
    SLIST_ENTRY *entry = InterlockedFlushSList(&queue->free_blocks);
    queue_block *block = queue->head_block;

    while (entry != NULL) {
        SLIST_ENTRY *next = entry->Next;

        free_block(queue, CONTAINING_RECORD(entry, queue_block, free_link));
        entry = next;
    }
    while (block != NULL) {
        queue_block *next = block->next;

        free_block(queue, block);
        block = next;
    }
    queue->head_block = queue->tail_block = NULL;
}

/* A reused block's slots were last read by a callback, often on another
 * CPU: a post that asks for a slot's lines a few slots ahead finds them
 * its own by the time it writes there, instead of waiting for them. */
#define PREFETCH_AHEAD 4u

static void prefetch_for_writing(const queue_slot *slot)
{
#if defined(__x86_64__)
    /* PREFETCHW: every x64 CPU that runs Windows 8.1 or later has it. */
    __asm__ volatile("prefetchw %0" : : "m"(*(const char *)slot));
    __asm__ volatile("prefetchw %0" : : "m"(*((const char *)slot + QUEUE_CACHE_LINE)));
#else
    (void)slot;
#endif
}

/* Slots an entry takes: two for a message whose payload travels inline
 * and does not fit in one. */
static unsigned slots_for(const queue_entry *entry)
{
    BOOL is_inline = entry->work == NULL && entry->heap_payload == NULL;

    return is_inline && entry->payload_size > QUEUE_SLOT_PAYLOAD ? 2u : 1u;
}

static void publish_padding(item_queue *queue, queue_slot *slot, LONG64 position)
{
    slot->kind = SLOT_PADDING;
    InterlockedIncrement64(&queue->slots_without_entry);
    shim__queue_publish(slot, position);
}

/* Marked at once, before the payload: exit, which may end this producer
 * anywhere, then counts the message's two slots as one lost entry. Counted
 * after the claim, like runtime items: the claimed count is never below
 * what has run. */
static void claim_continuation(item_queue *queue, queue_slot *slot, LONG64 position)
{
    slot->kind = SLOT_CONTINUATION;
    __atomic_store_n(&slot->published, position + 1, __ATOMIC_RELEASE);
    InterlockedIncrement64(&queue->slots_without_entry);
}

queue_slot *shim__queue_claim(item_queue *queue, const queue_entry *entry, LONG64 *position)
{
    const unsigned slots = slots_for(entry);
    queue_block *next_block = NULL;
    int pauses = 0;

    for (;;) {
        LONG64 tail = load_acquire(&queue->tail);
        queue_block *block = __atomic_load_n(&queue->tail_block, __ATOMIC_ACQUIRE);
        unsigned offset = offset_of(tail);
        /* Two slots do not fit in a block's last one: it is claimed as
         * padding, and the entry goes to the next block. */
        BOOL padding = offset + slots > QUEUE_BLOCK_SLOTS;
        unsigned claimed = padding ? QUEUE_BLOCK_SLOTS - offset : slots;

        if (offset == QUEUE_BLOCK_SLOTS) {
            /* Another producer links in the next block. */
            if (++pauses < INSTALL_PAUSES)
                YieldProcessor();
            else
                SwitchToThread();
            continue;
        }
        /* The block for after this one, before the last slot is claimed:
         * the others then wait for two stores, never for an allocation. */
        if (offset + claimed == QUEUE_BLOCK_SLOTS && next_block == NULL) {
            next_block = take_block(queue);
            if (next_block == NULL)
                return NULL;
            continue;
        }
        if (InterlockedCompareExchange64(&queue->tail, tail + claimed, tail) != tail)
            continue;
        if (offset + claimed == QUEUE_BLOCK_SLOTS) {
            next_block->first_position = tail + claimed + 1;
            __atomic_store_n(&queue->tail_block, next_block, __ATOMIC_RELEASE);
            __atomic_store_n(&queue->tail, tail + claimed + 1, __ATOMIC_RELEASE);
            __atomic_store_n(&block->next, next_block, __ATOMIC_RELEASE);
            next_block = NULL;
        }
        if (padding) {
            publish_padding(queue, &block->slots[offset], tail);
            continue;
        }
        if (next_block != NULL)
            recycle_block(queue, next_block);
        if (slots > 1)
            claim_continuation(queue, &block->slots[offset + 1], tail + 1);
        if (offset + PREFETCH_AHEAD < QUEUE_BLOCK_SLOTS)
            prefetch_for_writing(&block->slots[offset + PREFETCH_AHEAD]);
        *position = tail;
        return &block->slots[offset];
    }
}

void shim__queue_write(queue_slot *slot, const queue_entry *entry, const void *payload)
{
    if (entry->work != NULL) {
        slot->kind = entry->runtime_item ? SLOT_RUNTIME_WORK : SLOT_WORK;
        slot->body.work.function = entry->work;
        slot->body.work.on_cancel = entry->on_cancel;
        slot->body.work.context = entry->context;
    } else if (entry->heap_payload != NULL) {
        slot->kind = SLOT_HEAP_MESSAGE;
        slot->body.heap.payload = entry->heap_payload;
        slot->body.heap.size = entry->payload_size;
    } else if (entry->payload_size > QUEUE_SLOT_PAYLOAD) {
        slot->kind = SLOT_INLINE_MESSAGE;
        slot->inline_size = (unsigned int)entry->payload_size;
        memcpy(slot->body.payload, payload, QUEUE_SLOT_PAYLOAD);
        memcpy(slot[1].body.payload, (const unsigned char *)payload + QUEUE_SLOT_PAYLOAD,
               entry->payload_size - QUEUE_SLOT_PAYLOAD);
    } else {
        slot->kind = SLOT_INLINE_MESSAGE;
        slot->inline_size = (unsigned int)entry->payload_size;
        if (payload != NULL)
            memcpy(slot->body.payload, payload, entry->payload_size);
    }
}

static unsigned slots_of(const queue_slot *slot)
{
    return slot->kind == SLOT_INLINE_MESSAGE && slot->inline_size > QUEUE_SLOT_PAYLOAD ? 2u : 1u;
}

/* The entry a published slot holds, and where its payload is. */
static const void *read_slot(const queue_slot *slot, queue_entry *entry, queue_payload_copy *copy)
{
    *entry = (queue_entry){ .work = NULL };
    switch ((slot_kind)slot->kind) {
    case SLOT_RUNTIME_WORK:
    case SLOT_WORK:
        entry->runtime_item = slot->kind == SLOT_RUNTIME_WORK;
        entry->work = slot->body.work.function;
        entry->on_cancel = slot->body.work.on_cancel;
        entry->context = slot->body.work.context;
        return NULL;
    case SLOT_HEAP_MESSAGE:
        entry->heap_payload = slot->body.heap.payload;
        entry->payload_size = slot->body.heap.size;
        return entry->heap_payload;
    case SLOT_INLINE_MESSAGE:
    default:
        entry->payload_size = slot->inline_size;
        if (slots_of(slot) == 1)
            return slot->body.payload;
        memcpy(copy->bytes, slot->body.payload, QUEUE_SLOT_PAYLOAD);
        memcpy(copy->bytes + QUEUE_SLOT_PAYLOAD, slot[1].body.payload,
               entry->payload_size - QUEUE_SLOT_PAYLOAD);
        return copy->bytes;
    }
}

void shim__queue_publish(queue_slot *slot, LONG64 position)
{
    /* A two-slot message's second slot was written before: once the first
     * shows, both are there. */
    __atomic_store_n(&slot->published, position + 1, __ATOMIC_RELEASE);
}

static BOOL is_work(const queue_slot *slot)
{
    return slot->kind == SLOT_WORK || slot->kind == SLOT_RUNTIME_WORK;
}

unsigned shim__queue_find_batch(const item_queue *queue, unsigned limit, queue_batch *batch)
{
    LONG64 head = queue->head;
    queue_block *block = queue->head_block;
    unsigned offset = offset_of(head);
    unsigned entries = 0;
    unsigned slots = 0;

    /* shim__queue_take moves the head to the next block with the last
     * slot of this one, so the head is never on the slotless position. */
    while (entries < limit && offset + slots < QUEUE_BLOCK_SLOTS) {
        const queue_slot *slot = &block->slots[offset + slots];

        if (load_acquire(&slot->published) != head + slots + 1)
            break;
        if (slot->kind == SLOT_PADDING) {
            slots++; /* the block's last slot */
            break;
        }
        if (is_work(slot)) {
            if (entries == 0) {
                entries = 1;
                slots = 1;
            }
            break;
        }
        entries++;
        slots += slots_of(slot);
    }
    batch->block = block;
    batch->first = head;
    batch->slots = slots;
    return entries;
}

void shim__queue_take(item_queue *queue, const queue_batch *batch)
{
    LONG64 next_head = batch->first + batch->slots;

    if (offset_of(next_head) == QUEUE_BLOCK_SLOTS) {
        /* Its producer linked the next block before it published this
         * block's last slot. The block moves before the head does (see
         * shim__queue_visit_at_exit). */
        __atomic_store_n(&queue->head_block, __atomic_load_n(&batch->block->next, __ATOMIC_ACQUIRE),
                         __ATOMIC_RELEASE);
        next_head++;
    }
    __atomic_store_n(&queue->head, next_head, __ATOMIC_RELEASE);
}

BOOL shim__queue_batch_next(const queue_batch *batch, unsigned *offset, queue_entry *entry,
                            const void **payload, queue_payload_copy *copy)
{
    while (*offset < batch->slots) {
        const queue_slot *slot = &batch->block->slots[offset_of(batch->first) + *offset];

        *offset += slots_of(slot);
        if (slot->kind != SLOT_PADDING) {
            *payload = read_slot(slot, entry, copy);
            return TRUE;
        }
    }
    return FALSE;
}

void shim__queue_finish_batch(item_queue *queue, const queue_batch *batch)
{
    /* The last of the block's slots to finish: its producers published
     * them all, no callback reads it, and the head is past it. */
    if (InterlockedAdd(&batch->block->finished, (LONG)batch->slots) == (LONG)QUEUE_BLOCK_SLOTS)
        recycle_block(queue, batch->block);
}

BOOL shim__queue_head_is_published(const item_queue *queue)
{
    LONG64 head = queue->head;

    return load_acquire(&queue->head_block->slots[offset_of(head)].published) == head + 1;
}

BOOL shim__queue_is_empty(const item_queue *queue)
{
    return normalized(load_acquire(&queue->head)) == normalized(load_acquire(&queue->tail));
}

LONG64 shim__queue_claimed_count(const item_queue *queue)
{
    LONG64 tail = load_acquire(&queue->tail);
    LONG64 laps = tail / QUEUE_BLOCK_POSITIONS;
    LONG64 in_lap = offset_of(tail) < QUEUE_BLOCK_SLOTS ? offset_of(tail) : QUEUE_BLOCK_SLOTS;

    return laps * QUEUE_BLOCK_SLOTS + in_lap - load_acquire(&queue->runtime_items) -
           load_acquire(&queue->slots_without_entry);
}

void shim__queue_visit_at_exit(const item_queue *queue, queue_visit_function visit, void *context)
{
    LONG64 tail = load_acquire(&queue->tail);
    LONG64 position = load_acquire(&queue->head);
    const queue_block *block = __atomic_load_n(&queue->head_block, __ATOMIC_ACQUIRE);
    static queue_payload_copy copy; /* exit runs on one thread */

    /* A callback that exit ended between moving the head's block and the
     * head itself: the head is the block's first position. */
    if (block != NULL && position < block->first_position)
        position = block->first_position;
    while (block != NULL && position < tail) {
        const queue_slot *slot;

        if (offset_of(position) == QUEUE_BLOCK_SLOTS) {
            /* A producer ended between linking the tail and this link:
             * the block after is the tail's. */
            block = block->next != NULL ? block->next : queue->tail_block;
            position++;
            continue;
        }
        slot = &block->slots[offset_of(position)];
        if (load_acquire(&slot->published) != position + 1) {
            visit(context, position, NULL, NULL, FALSE);
            position++;
        } else if (slot->kind == SLOT_PADDING || slot->kind == SLOT_CONTINUATION) {
            /* A continuation shows here only when its first slot was never
             * published: that one was counted. */
            position++;
        } else {
            queue_entry entry;
            const void *payload = read_slot(slot, &entry, &copy);

            visit(context, position, &entry, payload, TRUE);
            position += slots_of(slot);
        }
    }
}
