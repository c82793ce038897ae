/* shim_front_utc_now: the time of day for a record, without a system call
 * per record. GetSystemTimePreciseAsFileTime costs 45-60 ns a call under
 * Wine 8 (a call into ntdll's Unix side), more than the rest of a post; the
 * CPU's time-stamp counter costs 12-15 ns. So the time is the counter,
 * extrapolated from an anchor (a counter reading and the precise time,
 * taken together) at the rate measured between two anchors; a new anchor
 * is taken about every 0.1 s, so a slewed or corrected clock is followed
 * within that. Where the counter does not run at a constant rate (no
 * invariant TSC in CPUID), and until two anchors are 1 ms apart, every call
 * asks the precise clock. */
#include <cpuid.h>
#include <x86intrin.h>

#include <windows.h>

#include "twinshim/front.h"

/* A new anchor after this many ticks: 0.1 s at 2.7 GHz, 0.27 s at 1 GHz. */
#define ANCHOR_TICKS (1ull << 28)
/* The rate is measured between anchors 1 ms to 100 s apart (FILETIME
 * units): at 1 ms, the 100 ns unit makes it good to 1e-4, so 10 us over an
 * anchor's 0.1 s, and the next anchor measures it over 0.1 s; further, the
 * product below would not fit. An older anchor is replaced, its rate kept.
 * The first call takes the first anchor (nothing of this runs in DllMain). */
#define RATE_SPAN_MIN 10000ull
#define RATE_SPAN_MAX 1000000000ull
#define CPUID_ADVANCED_POWER 0x80000007u
#define CPUID_INVARIANT_TSC (1u << 8)

typedef VOID(WINAPI *precise_clock_function)(LPFILETIME now);

/* Written by one thread at a time (writing); read by all, consistently
 * while version is even and unchanged (a sequence lock). */
static struct {
    volatile LONG version;
    volatile LONG writing;
    volatile LONG counter_usable; /* 1 yes, -1 no, 0 not asked yet */
    unsigned long long counter;   /* at the anchor */
    unsigned long long utc;       /* at the anchor; 0: no anchor yet */
    unsigned long long rate;      /* FILETIME units per tick, times 2^32; 0: not measured yet */
    precise_clock_function precise;
} clock_state;

static unsigned long long precise_now(void)
{
    precise_clock_function precise = __atomic_load_n(&clock_state.precise, __ATOMIC_ACQUIRE);
    FILETIME now;

    if (precise == NULL) {
        /* Looked up, not imported: Windows 7 lacks it. kernel32 is in every
         * process, so the lookup loads nothing (and is allowed in DllMain). */
        HMODULE kernel32 = GetModuleHandleW(L"kernel32.dll");
        FARPROC found = kernel32 != NULL ? GetProcAddress(kernel32, "GetSystemTimePreciseAsFileTime") : NULL;

        /* Through void (*)(void): GCC warns on a cast between unrelated function types. */
        precise = found != NULL ? (precise_clock_function)(void (*)(void))found : GetSystemTimeAsFileTime;
        __atomic_store_n(&clock_state.precise, precise, __ATOMIC_RELEASE);
    }
    precise(&now);
    return (unsigned long long)now.dwHighDateTime << 32 | now.dwLowDateTime;
}

static BOOL counter_is_usable(void)
{
    LONG usable = __atomic_load_n(&clock_state.counter_usable, __ATOMIC_RELAXED);
    unsigned eax, ebx, ecx, edx;

    if (usable == 0) {
        usable =
            __get_cpuid(CPUID_ADVANCED_POWER, &eax, &ebx, &ecx, &edx) && (edx & CPUID_INVARIANT_TSC) ? 1 : -1;
        __atomic_store_n(&clock_state.counter_usable, usable, __ATOMIC_RELAXED);
    }
    return usable > 0;
}

/* The precise time, and a new anchor if it is due; one thread at a time,
 * the others go on with the anchor they have. */
static unsigned long long take_anchor(void)
{
    unsigned long long utc;
    unsigned long long counter;
    unsigned long long span;

    if (InterlockedCompareExchange(&clock_state.writing, 1, 0) != 0)
        return precise_now();
    utc = precise_now();
    counter = __rdtsc();
    span = utc - clock_state.utc;
    /* Too close to the last anchor to measure a rate: keep it, so the next
     * call is further from it. */
    if (clock_state.utc == 0 || span >= RATE_SPAN_MIN) {
        InterlockedIncrement(&clock_state.version);
        if (clock_state.utc != 0 && span < RATE_SPAN_MAX && counter > clock_state.counter)
            __atomic_store_n(&clock_state.rate,
                             (unsigned long long)((double)span / (double)(counter - clock_state.counter) *
                                                  4294967296.0),
                             __ATOMIC_RELAXED);
        __atomic_store_n(&clock_state.counter, counter, __ATOMIC_RELAXED);
        __atomic_store_n(&clock_state.utc, utc, __ATOMIC_RELAXED);
        InterlockedIncrement(&clock_state.version);
    }
    InterlockedExchange(&clock_state.writing, 0);
    return utc;
}

unsigned long long shim_front_utc_now(void)
{
    if (counter_is_usable()) {
        LONG version = __atomic_load_n(&clock_state.version, __ATOMIC_ACQUIRE);
        unsigned long long rate = __atomic_load_n(&clock_state.rate, __ATOMIC_ACQUIRE);
        unsigned long long counter = __atomic_load_n(&clock_state.counter, __ATOMIC_ACQUIRE);
        unsigned long long utc = __atomic_load_n(&clock_state.utc, __ATOMIC_ACQUIRE);
        /* Before the anchor (another CPU's counter, a few ticks behind)
         * wraps around, and so asks for a new one. */
        unsigned long long ticks = __rdtsc() - counter;

        if ((version & 1) == 0 && rate != 0 && ticks < ANCHOR_TICKS &&
            __atomic_load_n(&clock_state.version, __ATOMIC_ACQUIRE) == version)
            return utc + (ticks * rate >> 32);
        return take_anchor();
    }
    return precise_now();
}
