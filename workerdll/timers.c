/* Timers on the session's pool (shim_timer_*). */
#include "session.h"

static void CALLBACK timer_fired(PTP_CALLBACK_INSTANCE instance, void *parameter, PTP_TIMER pool_timer)
{
    shim_timer *timer = parameter;
    shim_session *session = timer->object.session;
    int may_run;

    (void)instance;
    (void)pool_timer;
    may_run = shim__callback_enter(session) && !shim__read_flag(&timer->object.closed);
    if (may_run)
        timer->callback(session, timer, timer->object.context);
    shim__callback_leave(session, may_run);
}

int shim_timer_create(shim_session *session, shim_timer_function callback, shim_close_function on_closed,
                      void *context, shim_timer **out_timer)
{
    session_object *object;
    shim_timer *timer;
    int status;

    if (out_timer != NULL)
        *out_timer = NULL;
    if (session == NULL || callback == NULL || out_timer == NULL)
        return SHIM_E_INVALID_ARGUMENT;
    status =
        shim__begin_object_create(session, SESSION_OBJECT_TIMER, sizeof *timer, on_closed, context, &object);
    if (status != SHIM_OK)
        return status;
    timer = (shim_timer *)object;
    timer->callback = callback;
    timer->timer = CreateThreadpoolTimer(timer_fired, timer, &session->environment);
    status = shim__finish_object_create(object, timer->timer != NULL);
    if (status == SHIM_OK)
        *out_timer = timer;
    return status;
}

int shim_timer_start(shim_timer *timer, unsigned due_ms, unsigned period_ms)
{
    FILETIME due_time = shim__relative_time(due_ms);
    int status;

    if (timer == NULL || period_ms > (unsigned)MAXLONG)
        return SHIM_E_INVALID_ARGUMENT;
    status = shim__begin_object_start(&timer->object);
    if (status != SHIM_OK)
        return status;
    SetThreadpoolTimer(timer->timer, &due_time, period_ms, 0);
    return shim__finish_object_start(&timer->object);
}

int shim_timer_stop(shim_timer *timer)
{
    return shim__stop_object(timer != NULL ? &timer->object : NULL);
}

int shim_timer_close(shim_timer *timer)
{
    return shim__close_object(timer != NULL ? &timer->object : NULL);
}
