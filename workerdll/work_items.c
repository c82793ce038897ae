#include <string.h>

#include "session.h"

/* One queued unit of work. A posted message carries its payload inline and
 * no work function: the plugin's on_message runs for it instead. */
typedef struct work_item {
    struct work_item *next;
    shim_session *session;
    shim_work_function work;
    shim_cancel_function on_cancel;
    void *context;
    size_t payload_size;
    unsigned char payload[];
} work_item;

static work_item *allocate_item(shim_session *session, size_t payload_size)
{
    work_item *item;

    if (payload_size > (size_t)-1 - sizeof *item)
        return NULL;
    item = HeapAlloc(GetProcessHeap(), 0, sizeof *item + payload_size);
    if (item == NULL)
        return NULL;
    item->next = NULL;
    item->session = session;
    item->work = NULL;
    item->on_cancel = NULL;
    item->context = NULL;
    item->payload_size = payload_size;
    return item;
}

static void free_item(work_item *item)
{
    HeapFree(GetProcessHeap(), 0, item);
}

static void push_item(shim_session *session, work_item *item)
{
    AcquireSRWLockExclusive(&session->queue_lock);
    if (session->queue_tail != NULL)
        session->queue_tail->next = item;
    else
        session->queue_head = item;
    session->queue_tail = item;
    ReleaseSRWLockExclusive(&session->queue_lock);
}

static work_item *pop_item(shim_session *session)
{
    work_item *item;

    AcquireSRWLockExclusive(&session->queue_lock);
    item = session->queue_head;
    if (item != NULL) {
        session->queue_head = item->next;
        if (session->queue_head == NULL)
            session->queue_tail = NULL;
    }
    ReleaseSRWLockExclusive(&session->queue_lock);
    return item;
}

/* The item is dropped: its cancel function runs instead of its work. */
static void cancel_item(work_item *item)
{
    shim_session *session = item->session;

    if (item->work != NULL) {
        if (item->on_cancel != NULL)
            item->on_cancel(session, item->context);
    } else if (session->plugin->on_message_cancelled != NULL) {
        session->plugin->on_message_cancelled(session, item->payload, item->payload_size);
    }
    free_item(item);
    shim__count_cancelled(session);
}

void shim__cancel_queued_items(shim_session *session)
{
    work_item *item;

    while ((item = pop_item(session)) != NULL)
        cancel_item(item);
}

void CALLBACK shim__run_next_item(PTP_CALLBACK_INSTANCE instance, void *parameter, PTP_WORK work)
{
    shim_session *session = parameter;
    int may_run = shim__callback_enter(session);
    /* One submit per push, but the cancel policy's sweep may have emptied
     * the queue before the pool ran this callback. */
    work_item *item = pop_item(session);

    (void)instance;
    (void)work;
    if (item == NULL) {
        shim__callback_leave(session, 0);
        return;
    }
    if (!may_run) {
        cancel_item(item);
        shim__callback_leave(session, 0);
        return;
    }
    if (item->work != NULL)
        item->work(session, item->context);
    else
        session->plugin->on_message(session, item->payload, item->payload_size);
    free_item(item);
    shim__outstanding_done(session); /* the item */
    shim__callback_leave(session, 1);
}

static int enqueue(shim_session *session, work_item *item)
{
    int status = shim__gate_enter(session);

    if (status != SHIM_OK)
        return status;
    InterlockedIncrement(&session->outstanding);
    InterlockedIncrement64(&session->submitted);
    push_item(session, item);
    SubmitThreadpoolWork(session->work);
    shim__gate_leave(session);
    return SHIM_OK;
}

int shim_submit(shim_session *session, shim_work_function work, shim_cancel_function on_cancel,
                void *context)
{
    work_item *item;
    int status;

    if (session == NULL || work == NULL)
        return SHIM_E_INVALID_ARGUMENT;
    if (shim__read_flag(&session->stop_requested))
        return shim__refuse(session, SHIM_E_STOPPING);
    item = allocate_item(session, 0);
    if (item == NULL)
        return SHIM_E_OUT_OF_MEMORY;
    item->work = work;
    item->on_cancel = on_cancel;
    item->context = context;
    status = enqueue(session, item);
    if (status != SHIM_OK)
        free_item(item);
    return status;
}

int shim__session_post(shim_session *session, const void *payload, size_t size)
{
    work_item *item;
    int status;

    if (session == NULL || (payload == NULL && size != 0))
        return SHIM_E_INVALID_ARGUMENT;
    if (shim__read_flag(&session->stop_requested))
        return shim__refuse(session, SHIM_E_STOPPING);
    item = allocate_item(session, size);
    if (item == NULL)
        return SHIM_E_OUT_OF_MEMORY;
    if (size != 0)
        memcpy(item->payload, payload, size);
    status = enqueue(session, item);
    if (status != SHIM_OK)
        free_item(item);
    return status;
}

int shim_stop_requested(const shim_session *session)
{
    return session == NULL || shim__read_flag(&session->stop_requested) != 0;
}

void *shim_session_plugin_state(const shim_session *session)
{
    return session != NULL ? session->plugin_state : NULL;
}

int shim_session_set_stop_policy(shim_session *session, shim_stop_policy policy)
{
    if (session == NULL || (policy != SHIM_STOP_DRAIN && policy != SHIM_STOP_CANCEL))
        return SHIM_E_INVALID_ARGUMENT;
    InterlockedExchange(&session->stop_policy, (LONG)policy);
    return SHIM_OK;
}
