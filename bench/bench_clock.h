/* The time-stamp counter, for calls timed one by one: a
 * QueryPerformanceCounter tick is 100 ns under Wine, longer than the
 * calls. The fences keep the call between the two reads. The counter is
 * invariant on the machines the bench runs on (constant_tsc, nonstop_tsc
 * in /proc/cpuinfo); bench_calibrate_tsc measures its rate against
 * QueryPerformanceCounter. */
#ifndef TWINSHIM_BENCH_CLOCK_H
#define TWINSHIM_BENCH_CLOCK_H

#include <x86intrin.h>

/* Nanoseconds per counter tick, once bench_calibrate_tsc has run. */
extern double bench_ns_per_tsc;

/* Measures the counter's rate over 200 ms (once; later calls return). */
void bench_calibrate_tsc(void);

static inline unsigned long long tsc_before(void)
{
    unsigned long long ticks;

    _mm_lfence();
    ticks = __rdtsc();
    _mm_lfence();
    return ticks;
}

static inline unsigned long long tsc_after(void)
{
    unsigned int processor;
    unsigned long long ticks = __rdtscp(&processor);

    _mm_lfence();
    return ticks;
}

/* Busy until the counter reaches `until`, as a program busy with its own
 * work would be. Returns the longest stretch between two reads: far more
 * than one turn of the loop means the thread lost its CPU meanwhile. */
static inline unsigned long long tsc_spin_until(unsigned long long until)
{
    unsigned long long last = __rdtsc();
    unsigned long long longest = 0;

    while (last < until) {
        unsigned long long now;

        _mm_pause();
        now = __rdtsc();
        if (now - last > longest)
            longest = now - last;
        last = now;
    }
    return longest;
}

#endif
