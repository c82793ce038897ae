/* The record clock: a monotonic counter for durations, and the time of day
 * for timestamps, without a system call per record.
 *
 * The counter is the CPU's time-stamp counter where CPUID reports it
 * invariant (12-15 ns a read under Wine 8), else QueryPerformanceCounter.
 * Its rate (ns per tick) is measured against QueryPerformanceCounter, which
 * is monotonic too: the time of day never enters a duration, so a clock
 * that is set or slewed changes no duration and no rate. The time of day is
 * the counter extrapolated from an anchor (a counter reading and
 * GetSystemTimePreciseAsFileTime, taken together), replaced about every
 * second, so timestamps follow a clock that is set within that. An anchor
 * is taken by the call that finds it due, and under Wine it is two calls
 * into ntdll's Unix side, microseconds for a call made now and then
 * (docs/wine-vs-windows.md, section 12): so it is rare, every 0.1 s only
 * until the rate has been measured over RATE_SPAN_LONG_NS.
 *
 * Everything that needs a lookup (the precise clock's address, CPUID, the
 * QPC frequency, the first anchor) happens at attach, under the loader lock
 * the front already holds there: a first call on a thread that holds some
 * application lock takes no loader lock (GetModuleHandle and GetProcAddress
 * take it) and cannot deadlock against a DllMain waiting for that lock.
 *
 * An anchor reads the counter before and after the precise call and takes
 * the midpoint; a thread preempted between the readings widens that gap,
 * and such an anchor is rejected rather than trusted. A new rate may move at
 * most 1/64 from the one in use, and every product is bounded, so neither a
 * bad reading nor a long span can make the clock run a thousand times fast
 * or wrap. */
#include <cpuid.h>
#include <wchar.h>
#include <x86intrin.h>

#include <windows.h>

#include "front_state.h"

#define CPUID_ADVANCED_POWER 0x80000007u
#define CPUID_INVARIANT_TSC (1u << 8)
/* A new anchor after this long: timestamps follow a clock that was set
 * within it. Extrapolating it at a rate measured over RATE_SPAN_LONG_NS
 * (good to 2e-6 at a 100 ns QPC tick) stays within microseconds. */
#define ANCHOR_NS 1000000000ull
/* Until the rate has been measured over RATE_SPAN_LONG_NS: an anchor every
 * ANCHOR_EARLY_NS (the first rate spans only 1 ms, good to 1e-4). */
#define ANCHOR_EARLY_NS 100000000ull
#define RATE_SPAN_LONG_NS 50000000ull
/* The widest gap between the two counter readings around the precise call
 * that an anchor accepts: the call takes well under a microsecond, a
 * preemption milliseconds. The midpoint is then within 5 us of the call. */
#define ANCHOR_GAP_NS 10000ull
/* Before the rate is known, the gap in TSC ticks: 10 us at 26 GHz, 0.26 ms
 * at 1 GHz. */
#define ANCHOR_GAP_TICKS_UNKNOWN_RATE 262144ull
/* A rate is measured over at least this much QPC time (1 ms: at a 100 ns
 * QPC tick, good to 1e-4); until then it is provisional. */
#define RATE_SPAN_MIN_NS 1000000ull
/* The rates the counter may have, in ns per tick times 2^32: 100 MHz to
 * 20 GHz. Anything else is a bad measurement. */
#define RATE_MIN 214748364ull /* 2^32 / 20, rounded down */
#define RATE_MAX (((unsigned long long)10) << 32)
/* A measured rate moves the one in use by at most this fraction. */
#define RATE_STEP_DIVISOR 64
#define ANCHOR_ATTEMPTS 3

typedef VOID(WINAPI *precise_clock_function)(LPFILETIME now);

/* Written by one thread at a time (writing), and at attach; read by all,
 * consistently while version is even and unchanged (a sequence lock). In
 * .data, not .bss: on the page of shim__front, which every post reads,
 * and not past the attach's path buffers (a call made now and then finds
 * each page cold). */
static struct {
    /* What a reading reads, on one line. */
    _Alignas(64) volatile LONG version;
    BOOL use_tsc;                    /* else the counter is QPC itself */
    unsigned long long ns_rate;      /* ns per counter tick, times 2^32; 0: not measured yet */
    unsigned long long unit_rate;    /* FILETIME units (100 ns) per tick, times 2^32 */
    unsigned long long anchor_ticks; /* the time from an anchor to the next, in ticks */
    unsigned long long anchor_counter;
    unsigned long long anchor_utc; /* 0: no anchor */
    /* What a writer needs besides. */
    volatile LONG writing;
    precise_clock_function precise;
    double qpc_ns_per_tick;
    /* Where the next rate is measured from: a counter reading and QPC together. */
    BOOL rate_base_valid;
    unsigned long long rate_counter;
    unsigned long long rate_qpc;
    BOOL rate_settled;                 /* measured over RATE_SPAN_MIN_NS at least */
    unsigned long long long_anchor_ns; /* ANCHOR_NS; a test build may shorten it */
} clock_state __attribute__((section(".data")));

static unsigned long long qpc_now(void)
{
    LARGE_INTEGER now;

    QueryPerformanceCounter(&now);
    return (unsigned long long)now.QuadPart;
}

#ifdef SHIM_FAULT_INJECTION
/* Test-only (built with SHIM_FAULT_INJECTION), read at attach: the events a test
 * cannot make happen under Wine.
 *   TWINSHIM_FAULT_CLOCK_STALL_US  the clock's first precise reading stalls
 *                                  this long after it has read the time, as
 *                                  a preemption there would;
 *   TWINSHIM_FAULT_CLOCK_STEP_MS   the time of day is set this far forward,
 *   TWINSHIM_FAULT_CLOCK_FAST      or the counter runs this many times as fast,
 *   TWINSHIM_FAULT_CLOCK_AFTER_MS  this long after attach (by QPC);
 *   TWINSHIM_FAULT_CLOCK_ANCHOR_MS an anchor this often instead of every
 *                                  ANCHOR_NS, so that a test sees several. */
static struct {
    long anchor_ms;
    long stall_us;
    long step_ms;
    long fast;
    unsigned long long change_qpc; /* when the step or the speed-up happens */
    volatile LONG precise_reads;
    volatile LONGLONG fast_from; /* the real counter when it sped up; 0: not yet */
} fault;

/* A number from the environment, or -1 when the variable is not set. */
static long clock_fault_setting(const wchar_t *variable)
{
    wchar_t text[16];
    DWORD length = GetEnvironmentVariableW(variable, text, 16);

    return length > 0 && length < 16 ? wcstol(text, NULL, 10) : -1;
}

static void read_clock_faults(void)
{
    LARGE_INTEGER frequency;
    long after_ms = clock_fault_setting(L"TWINSHIM_FAULT_CLOCK_AFTER_MS");

    QueryPerformanceFrequency(&frequency);
    fault.anchor_ms = clock_fault_setting(L"TWINSHIM_FAULT_CLOCK_ANCHOR_MS");
    fault.stall_us = clock_fault_setting(L"TWINSHIM_FAULT_CLOCK_STALL_US");
    fault.step_ms = clock_fault_setting(L"TWINSHIM_FAULT_CLOCK_STEP_MS");
    fault.fast = clock_fault_setting(L"TWINSHIM_FAULT_CLOCK_FAST");
    fault.precise_reads = 0;
    fault.fast_from = 0;
    fault.change_qpc = qpc_now() + (unsigned long long)(after_ms > 0 ? after_ms : 0) *
                                       (unsigned long long)frequency.QuadPart / 1000;
}

static unsigned long long faulty_time(unsigned long long utc)
{
    if (fault.stall_us > 0 && InterlockedIncrement(&fault.precise_reads) == 1) {
        LARGE_INTEGER frequency;
        unsigned long long until;

        QueryPerformanceFrequency(&frequency);
        until =
            qpc_now() + (unsigned long long)fault.stall_us * (unsigned long long)frequency.QuadPart / 1000000;
        while (qpc_now() < until)
            YieldProcessor();
    }
    if (fault.step_ms > 0 && qpc_now() >= fault.change_qpc)
        utc += (unsigned long long)fault.step_ms * 10000;
    return utc;
}

static unsigned long long faulty_counter(unsigned long long counter)
{
    LONGLONG from = fault.fast_from;

    if (fault.fast <= 1)
        return counter;
    if (from == 0) {
        if (qpc_now() < fault.change_qpc)
            return counter;
        InterlockedCompareExchange64(&fault.fast_from, (LONGLONG)counter, 0);
        from = fault.fast_from;
    }
    return counter >= (unsigned long long)from
               ? counter + (counter - (unsigned long long)from) * (unsigned long long)(fault.fast - 1)
               : counter;
}
#endif

static unsigned long long read_counter(void)
{
    unsigned long long counter = clock_state.use_tsc ? __rdtsc() : qpc_now();

#ifdef SHIM_FAULT_INJECTION
    counter = faulty_counter(counter);
#endif
    return counter;
}

static unsigned long long precise_now(void)
{
    precise_clock_function precise = __atomic_load_n(&clock_state.precise, __ATOMIC_ACQUIRE);
    FILETIME now;

    /* Not started (a call before attach): imported, so no lookup. */
    if (precise == NULL)
        precise = GetSystemTimeAsFileTime;
    precise(&now);
#ifdef SHIM_FAULT_INJECTION
    return faulty_time((unsigned long long)now.dwHighDateTime << 32 | now.dwLowDateTime);
#else
    return (unsigned long long)now.dwHighDateTime << 32 | now.dwLowDateTime;
#endif
}

/* value * rate / 2^32, saturating instead of wrapping. rate < 2^40. */
static unsigned long long scale(unsigned long long value, unsigned long long rate)
{
    unsigned long long high = value >> 32;
    unsigned long long low = value & 0xffffffffull;
    unsigned long long low_part = ((low * (rate & 0xffffffffull)) >> 32) + low * (rate >> 32);
    unsigned long long high_part;

    if (high != 0 && rate > ~0ull / high)
        return ~0ull;
    high_part = high * rate;
    return high_part > ~0ull - low_part ? ~0ull : high_part + low_part;
}

/* The gap beyond which the two readings around the precise call were
 * interrupted. */
static unsigned long long anchor_gap_ticks(void)
{
    unsigned long long rate = __atomic_load_n(&clock_state.ns_rate, __ATOMIC_RELAXED);

    return rate != 0 ? (ANCHOR_GAP_NS << 32) / rate : ANCHOR_GAP_TICKS_UNKNOWN_RATE;
}

/* The counter, QPC and the precise time, read together: the counter before
 * and after the two calls, its midpoint kept. FALSE when the gap is too wide
 * to trust (a preemption, an interrupt). */
static BOOL read_together(unsigned long long *counter, unsigned long long *qpc, unsigned long long *utc)
{
    unsigned long long gap_limit = anchor_gap_ticks();

    for (int attempt = 0; attempt < ANCHOR_ATTEMPTS; attempt++) {
        unsigned long long before = read_counter();
        unsigned long long after;

        *utc = precise_now();
        *qpc = qpc_now();
        after = read_counter();
        if (after >= before && after - before <= gap_limit) {
            *counter = before + (after - before) / 2;
            return TRUE;
        }
    }
    return FALSE;
}

/* The rate from the last rate reading to this one, if the span is long
 * enough to say something; bounded to RATE_MIN..RATE_MAX, and to a step of
 * 1/RATE_STEP_DIVISOR from a settled rate. Caller holds `writing`. */
static void measure_rate(unsigned long long counter, unsigned long long qpc)
{
    double span_ns = (double)(qpc - clock_state.rate_qpc) * clock_state.qpc_ns_per_tick;
    unsigned long long old_rate = clock_state.ns_rate;
    double measured;
    unsigned long long rate;
    unsigned long long interval_ns;
    BOOL settles = span_ns >= (double)RATE_SPAN_MIN_NS;

    if (!clock_state.use_tsc)
        return;
    if (!clock_state.rate_base_valid || qpc <= clock_state.rate_qpc || counter <= clock_state.rate_counter) {
        /* Nothing to measure from (the readings at attach were interrupted),
         * or a counter that went back: measure from here. */
        clock_state.rate_base_valid = TRUE;
        clock_state.rate_counter = counter;
        clock_state.rate_qpc = qpc;
        return;
    }
    /* A provisional rate is better than none; a settled one is replaced only
     * by one measured over as long a span. */
    if (clock_state.rate_settled && !settles)
        return;
    measured = span_ns / (double)(counter - clock_state.rate_counter) * 4294967296.0;
    if (measured < (double)RATE_MIN || measured > (double)RATE_MAX)
        return;
    rate = (unsigned long long)measured;
    if (clock_state.rate_settled) {
        unsigned long long step = old_rate / RATE_STEP_DIVISOR;

        if (rate > old_rate + step)
            rate = old_rate + step;
        else if (rate + step < old_rate)
            rate = old_rate - step;
    }
    __atomic_store_n(&clock_state.ns_rate, rate, __ATOMIC_RELAXED);
    __atomic_store_n(&clock_state.unit_rate, rate / 100, __ATOMIC_RELAXED);
    /* A provisional rate is replaced as soon as a settled one can be
     * measured, a rate from a short span once a long one can. */
    if (!settles)
        interval_ns = RATE_SPAN_MIN_NS;
    else if (span_ns < (double)RATE_SPAN_LONG_NS)
        interval_ns = ANCHOR_EARLY_NS;
    else
        interval_ns = clock_state.long_anchor_ns;
    __atomic_store_n(&clock_state.anchor_ticks, (interval_ns << 32) / rate, __ATOMIC_RELAXED);
    if (settles) {
        clock_state.rate_settled = TRUE;
        clock_state.rate_counter = counter;
        clock_state.rate_qpc = qpc;
    }
}

/* A new anchor, and a new rate when one can be measured. Returns FALSE when
 * another thread is taking one, or the readings were interrupted: the
 * caller then extrapolates from the anchor it has. */
static BOOL take_anchor(void)
{
    unsigned long long counter;
    unsigned long long qpc;
    unsigned long long utc;
    BOOL taken;

    if (InterlockedCompareExchange(&clock_state.writing, 1, 0) != 0)
        return FALSE;
    taken = read_together(&counter, &qpc, &utc);
    if (taken) {
        InterlockedIncrement(&clock_state.version);
        measure_rate(counter, qpc);
        __atomic_store_n(&clock_state.anchor_counter, counter, __ATOMIC_RELAXED);
        __atomic_store_n(&clock_state.anchor_utc, utc, __ATOMIC_RELAXED);
        InterlockedIncrement(&clock_state.version);
    }
    InterlockedExchange(&clock_state.writing, 0);
    return taken;
}

void shim__front_clock_start(void)
{
    unsigned eax, ebx, ecx, edx;
    LARGE_INTEGER frequency;
    HMODULE kernel32 = GetModuleHandleW(L"kernel32.dll");
    /* Looked up, not imported: Windows 7 lacks it (its fallback is
     * GetSystemTimeAsFileTime, at the system timer's resolution). */
    FARPROC found = kernel32 != NULL ? GetProcAddress(kernel32, "GetSystemTimePreciseAsFileTime") : NULL;

    clock_state.version = 0;
    clock_state.writing = 0;
    /* Through void (*)(void): GCC warns on a cast between unrelated function types. */
    clock_state.precise =
        found != NULL ? (precise_clock_function)(void (*)(void))found : GetSystemTimeAsFileTime;
    clock_state.long_anchor_ns = ANCHOR_NS;
#ifdef SHIM_FAULT_INJECTION
    read_clock_faults();
    if (fault.anchor_ms > 0 && fault.anchor_ms <= 1000)
        clock_state.long_anchor_ns = (unsigned long long)fault.anchor_ms * 1000000ull;
#endif
    QueryPerformanceFrequency(&frequency);
    clock_state.qpc_ns_per_tick = 1e9 / (double)frequency.QuadPart;
    clock_state.use_tsc =
        __get_cpuid(CPUID_ADVANCED_POWER, &eax, &ebx, &ecx, &edx) && (edx & CPUID_INVARIANT_TSC) != 0;
    clock_state.rate_settled = !clock_state.use_tsc;
    clock_state.ns_rate = 0;
    clock_state.unit_rate = 0;
    clock_state.anchor_ticks = 0;
    if (!clock_state.use_tsc) {
        /* The counter is QPC: its rate is its frequency. */
        clock_state.ns_rate = (unsigned long long)(clock_state.qpc_ns_per_tick * 4294967296.0);
        clock_state.unit_rate = clock_state.ns_rate / 100;
        clock_state.anchor_ticks = (clock_state.long_anchor_ns << 32) / clock_state.ns_rate;
    }
    clock_state.rate_base_valid =
        read_together(&clock_state.anchor_counter, &clock_state.rate_qpc, &clock_state.anchor_utc);
    clock_state.rate_counter = clock_state.anchor_counter;
    if (!clock_state.rate_base_valid)
        clock_state.anchor_utc = 0;
}

unsigned long long shim_front_counter_now(void)
{
    return read_counter();
}

/* A consistent copy of what a reading needs; FALSE while a writer is at it.
 * Inlined, so that a reading's code is one stretch. */
typedef struct clock_view {
    unsigned long long ns_rate;
    unsigned long long unit_rate;
    unsigned long long anchor_ticks;
    unsigned long long anchor_counter;
    unsigned long long anchor_utc;
} clock_view;

static inline __attribute__((always_inline)) BOOL view_clock(clock_view *view)
{
    LONG version = __atomic_load_n(&clock_state.version, __ATOMIC_ACQUIRE);

    view->ns_rate = __atomic_load_n(&clock_state.ns_rate, __ATOMIC_RELAXED);
    view->unit_rate = __atomic_load_n(&clock_state.unit_rate, __ATOMIC_RELAXED);
    view->anchor_ticks = __atomic_load_n(&clock_state.anchor_ticks, __ATOMIC_RELAXED);
    view->anchor_counter = __atomic_load_n(&clock_state.anchor_counter, __ATOMIC_RELAXED);
    view->anchor_utc = __atomic_load_n(&clock_state.anchor_utc, __ATOMIC_ACQUIRE);
    return (version & 1) == 0 && __atomic_load_n(&clock_state.version, __ATOMIC_ACQUIRE) == version;
}

/* The rate, measuring a provisional one first if there is none yet (the
 * first calls after attach): never zero once the clock has started. */
static unsigned long long current_ns_rate(void)
{
    unsigned long long rate = __atomic_load_n(&clock_state.ns_rate, __ATOMIC_RELAXED);

    if (rate == 0) {
        take_anchor();
        rate = __atomic_load_n(&clock_state.ns_rate, __ATOMIC_RELAXED);
    }
    return rate;
}

unsigned long long shim_front_counter_ns(unsigned long long start, unsigned long long end)
{
    unsigned long long rate;

    /* Another CPU's counter, a few ticks behind. */
    if (end <= start)
        return 0;
    rate = current_ns_rate();
    if (rate == 0)
        /* Started a moment ago, the rate not measurable yet: the counter
         * is at least 100 MHz, so this is an upper bound. */
        return scale(end - start, RATE_MAX);
    return scale(end - start, rate);
}

/* The time of day at `counter`, from `view`'s anchor, forwards or backwards. */
static unsigned long long extrapolate(const clock_view *view, unsigned long long counter)
{
    if (counter >= view->anchor_counter)
        return view->anchor_utc + scale(counter - view->anchor_counter, view->unit_rate);
    return view->anchor_utc - scale(view->anchor_counter - counter, view->unit_rate);
}

unsigned long long shim_front_counter_utc(unsigned long long counter)
{
    clock_view view;

    if (view_clock(&view) && view.anchor_utc != 0 && view.unit_rate != 0 && counter >= view.anchor_counter &&
        counter - view.anchor_counter < view.anchor_ticks)
        return view.anchor_utc + scale(counter - view.anchor_counter, view.unit_rate);
    /* Due for a new anchor, or none yet. If none can be taken now (another
     * thread is taking it, or this one was interrupted), the one there is
     * still serves; only without any is the precise clock asked directly. */
    take_anchor();
    for (int attempt = 0; attempt < ANCHOR_ATTEMPTS; attempt++)
        if (view_clock(&view) && view.anchor_utc != 0 && view.unit_rate != 0)
            return extrapolate(&view, counter);
    return precise_now();
}

unsigned long long shim_front_utc_now(void)
{
    return shim_front_counter_utc(read_counter());
}
