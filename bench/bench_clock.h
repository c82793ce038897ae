/* The time-stamp counter, for calls timed one by one: a
 * QueryPerformanceCounter tick is 100 ns under Wine, longer than the
 * calls. The fences keep the call between the two reads. The counter is
 * invariant on the machines the bench runs on (constant_tsc, nonstop_tsc
 * in /proc/cpuinfo); bench_calibrate_tsc measures its rate against
 * QueryPerformanceCounter. */
#ifndef TWINSHIM_BENCH_CLOCK_H
#define TWINSHIM_BENCH_CLOCK_H

/* Nanoseconds per counter tick, once bench_calibrate_tsc has run. */
extern double bench_ns_per_tsc;

/* Measures the counter's rate over 200 ms (once; later calls return). */
void bench_calibrate_tsc(void);

/* In assembly, not intrinsics: the i686 build targets a CPU without SSE2,
 * whose intrinsics (lfence, pause) it does not compile; every CPU that runs
 * the bench has them. */
static inline unsigned long long tsc_before(void)
{
    unsigned int low;
    unsigned int high;

    __asm__ __volatile__("lfence\n\trdtsc\n\tlfence" : "=a"(low), "=d"(high) : : "memory");
    return (unsigned long long)high << 32 | low;
}

static inline unsigned long long tsc_after(void)
{
    unsigned int low;
    unsigned int high;

    __asm__ __volatile__("rdtscp\n\tlfence" : "=a"(low), "=d"(high) : : "ecx", "memory");
    return (unsigned long long)high << 32 | low;
}

/* Busy until the counter reaches `until`, as a program busy with its own
 * work would be. Returns the longest stretch between two reads: far more
 * than one turn of the loop means the thread lost its CPU meanwhile. */
static inline unsigned long long tsc_spin_until(unsigned long long until)
{
    unsigned long long last = tsc_before();
    unsigned long long longest = 0;

    while (last < until) {
        unsigned long long now;

        __asm__ __volatile__("pause");
        now = tsc_before();
        if (now - last > longest)
            longest = now - last;
        last = now;
    }
    return longest;
}

#endif
