/* How a session's threads wait for its flags (stop requested, started, idle)
 * without kernel events: a flag is written with an Interlocked call, then
 * every waiter is woken to look at its own flags again.
 *
 * The front's DllMain stops a session through this: under the loader lock a
 * SetEvent is a wineserver round trip, which waits for a CPU when the pool is
 * busy; waking a condition variable takes none. */
#include "session.h"

/* In the worker's image, not in a session: a stopping session may be freed
 * the moment its flag is set, but this module stays mapped until the front's
 * DllMain returns (its unload needs the loader lock that DllMain holds). No
 * holder of this lock takes any other lock, so DllMain may take it. */
static SRWLOCK signal_lock = SRWLOCK_INIT;
static CONDITION_VARIABLE signal_changed = CONDITION_VARIABLE_INIT;

void shim__wake_session_waiters(void)
{
    /* A waiter checks its flag and goes to sleep under the lock: once we
     * have held it, each one has either seen the new value or is asleep. */
    AcquireSRWLockExclusive(&signal_lock);
    ReleaseSRWLockExclusive(&signal_lock);
    WakeAllConditionVariable(&signal_changed);
}

ULONGLONG shim__clock_us(void)
{
    static LONG64 frequency;
    LARGE_INTEGER now;

    if (frequency == 0) {
        LARGE_INTEGER ticks_per_second;

        QueryPerformanceFrequency(&ticks_per_second);
        InterlockedExchange64(&frequency, ticks_per_second.QuadPart);
    }
    QueryPerformanceCounter(&now);
    return (ULONGLONG)(now.QuadPart / frequency) * 1000000u +
           (ULONGLONG)(now.QuadPart % frequency) * 1000000u / (ULONGLONG)frequency;
}

BOOL shim__wait_for_session(shim_session *session, shim_session_ready_function ready, DWORD milliseconds)
{
    /* Timed with the performance counter: under Wine GetTickCount64 moves
     * in steps of up to 13 ms, and a look meant every 5 ms came every 15. */
    ULONGLONG start = shim__clock_us();
    BOOL is_ready;

    AcquireSRWLockExclusive(&signal_lock);
    while (!(is_ready = ready(session))) {
        DWORD remaining = INFINITE;

        if (milliseconds != INFINITE) {
            ULONGLONG waited_us = shim__clock_us() - start;

            if (waited_us >= (ULONGLONG)milliseconds * 1000u)
                break;
            remaining = (DWORD)(((ULONGLONG)milliseconds * 1000u - waited_us + 999u) / 1000u);
        }
        SleepConditionVariableSRW(&signal_changed, &signal_lock, remaining, 0);
    }
    ReleaseSRWLockExclusive(&signal_lock);
    return is_ready;
}

BOOL shim__session_has_started(const shim_session *session)
{
    return shim__read_flag(&session->started) != 0;
}

BOOL shim__session_stop_was_requested(const shim_session *session)
{
    return shim__read_flag(&session->stop_requested) != 0;
}

BOOL shim__session_stop_was_signalled(const shim_session *session)
{
    return shim__read_flag(&session->stop_signalled) != 0 || shim__read_flag(&session->stop_requested) != 0;
}

BOOL shim__session_linger_was_ended(const shim_session *session)
{
    return shim__read_flag(&session->stop_linger_ms) <= 0;
}

BOOL shim__session_is_idle(const shim_session *session)
{
    return shim__read_flag(&session->outstanding) == 0 && shim__queue_is_idle(session);
}

void shim__session_signal_stop(shim_session *session)
{
    if (session == NULL)
        return;
    /* Loader lock held: a clock read, an exchange and a wake, no wineserver
     * call. From the exchange on, the session may be freed: not touched again.
     * With a linger the session thread requests the stop once it ends; before
     * on_start has returned, once it has (on_start may set a linger: a
     * program that unloads the front at once). */
    InterlockedExchange64(&session->stop_requested_ms, (LONG64)GetTickCount64());
    if (shim__read_flag(&session->stop_linger_ms) > 0 || !shim__read_flag(&session->started))
        InterlockedExchange(&session->stop_signalled, 1);
    else
        InterlockedExchange(&session->stop_requested, 1);
    shim__wake_session_waiters();
}
