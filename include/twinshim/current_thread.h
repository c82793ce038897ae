/* twinshim: the calling thread's id and last-error value, read from its
 * thread environment block as GetCurrentThreadId, GetLastError and
 * SetLastError do, without their calls.
 *
 * Why: a host that calls a front now and then finds every page the call
 * touches cold (its translations gone from the TLB since the last call):
 * each costs tens of nanoseconds, and those three functions live in two
 * system DLLs (kernel32, kernelbase) and ntdll. Measured under Wine 8 here:
 * a post made 5 ms after the last one took 70 ns less at the median with
 * its two thread-id calls read this way (docs/benchmarks.md).
 *
 * The offsets are the TEB's, unchanged since Windows NT and the same under
 * Wine: ClientId.UniqueThread at gs:0x48 (x64) / fs:0x24 (x86), and
 * LastErrorValue at gs:0x68 / fs:0x34 (docs/wine-vs-windows.md). */
#ifndef TWINSHIM_CURRENT_THREAD_H
#define TWINSHIM_CURRENT_THREAD_H

#if !defined(__x86_64__) && !defined(__i386__)
#error "twinshim/current_thread.h reads the x64 or x86 thread environment block"
#endif

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__x86_64__)
#define SHIM__TEB_SEGMENT "%%gs:"
#define SHIM__TEB_THREAD_ID 0x48
#define SHIM__TEB_LAST_ERROR 0x68
#else
#define SHIM__TEB_SEGMENT "%%fs:"
#define SHIM__TEB_THREAD_ID 0x24
#define SHIM__TEB_LAST_ERROR 0x34
#endif
/* Volatile, with a memory clobber: never moved across the calls whose
 * last error they read or restore. The offsets expand before they are
 * pasted into the instruction. */
#define SHIM__TEB_READ(offset, value) \
    __asm__ __volatile__("movl " SHIM__TEB_SEGMENT #offset ", %0" : "=r"(value) : : "memory")
#define SHIM__TEB_WRITE(offset, value) \
    __asm__ __volatile__("movl %0, " SHIM__TEB_SEGMENT #offset : : "r"(value) : "memory")
#define SHIM__TEB_EXPAND_READ(offset, value) SHIM__TEB_READ(offset, value)
#define SHIM__TEB_EXPAND_WRITE(offset, value) SHIM__TEB_WRITE(offset, value)

/* GetCurrentThreadId(). */
static inline unsigned long shim_current_thread_id(void)
{
    unsigned int id;

    SHIM__TEB_EXPAND_READ(SHIM__TEB_THREAD_ID, id);
    return id;
}

/* GetLastError(). */
static inline unsigned long shim_last_error(void)
{
    unsigned int error;

    SHIM__TEB_EXPAND_READ(SHIM__TEB_LAST_ERROR, error);
    return error;
}

/* SetLastError(error). */
static inline void shim_set_last_error(unsigned long error)
{
    unsigned int value = (unsigned int)error;

    SHIM__TEB_EXPAND_WRITE(SHIM__TEB_LAST_ERROR, value);
}

#ifdef __cplusplus
}
#endif

#endif
