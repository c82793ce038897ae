#include "relp_frame.h"
#include "relp_window.h"

void shim__relp_queue_push_back(relp_queue *queue, relp_entry *entry)
{
    entry->next = NULL;
    if (queue->tail != NULL)
        queue->tail->next = entry;
    else
        queue->head = entry;
    queue->tail = entry;
    queue->count++;
}

static relp_entry *pop_front(relp_queue *queue)
{
    relp_entry *entry = queue->head;

    if (entry == NULL)
        return NULL;
    queue->head = entry->next;
    if (queue->head == NULL)
        queue->tail = NULL;
    queue->count--;
    entry->next = NULL;
    return entry;
}

void shim__relp_window_init(relp_window *window, unsigned limit)
{
    window->unsent = (relp_queue){ 0 };
    window->in_flight = (relp_queue){ 0 };
    window->limit = limit > 0 ? limit : 1;
    window->next_txnr = 1;
}

size_t shim__relp_window_held(const relp_window *window)
{
    return window->unsent.count + window->in_flight.count;
}

void shim__relp_window_add(relp_window *window, relp_entry *entry)
{
    shim__relp_queue_push_back(&window->unsent, entry);
}

unsigned shim__relp_window_take_txnr(relp_window *window)
{
    unsigned txnr = window->next_txnr;

    window->next_txnr = shim__relp_next_txnr(txnr);
    return txnr;
}

relp_entry *shim__relp_window_next(const relp_window *window)
{
    if (window->in_flight.count >= window->limit)
        return NULL;
    return window->unsent.head;
}

void shim__relp_window_sent(relp_window *window)
{
    relp_entry *entry = pop_front(&window->unsent);

    if (entry == NULL)
        return;
    entry->txnr = shim__relp_window_take_txnr(window);
    entry->times_sent++;
    shim__relp_queue_push_back(&window->in_flight, entry);
}

relp_ack_result shim__relp_window_acknowledge(relp_window *window, unsigned txnr, relp_entry **entry)
{
    *entry = NULL;
    if (window->in_flight.head == NULL || window->in_flight.head->txnr != txnr)
        return RELP_ACK_UNEXPECTED;
    *entry = pop_front(&window->in_flight);
    return RELP_ACK_OK;
}

const relp_entry *shim__relp_window_oldest_in_flight(const relp_window *window)
{
    return window->in_flight.head;
}

size_t shim__relp_window_restart(relp_window *window)
{
    size_t returned = window->in_flight.count;

    if (window->in_flight.head != NULL) {
        window->in_flight.tail->next = window->unsent.head;
        if (window->unsent.tail == NULL)
            window->unsent.tail = window->in_flight.tail;
        window->unsent.head = window->in_flight.head;
        window->unsent.count += window->in_flight.count;
        window->in_flight = (relp_queue){ 0 };
    }
    window->next_txnr = 1;
    return returned;
}

relp_entry *shim__relp_window_take_all(relp_window *window)
{
    relp_entry *all;

    shim__relp_window_restart(window);
    all = window->unsent.head;
    window->unsent = (relp_queue){ 0 };
    return all;
}
