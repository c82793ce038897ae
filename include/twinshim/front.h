/* twinshim front API: what a front DLL's own code uses.
 *
 * A front DLL is the DLL the legacy host loads. It is the twinshim front
 * runtime (which supplies DllMain) plus the front's own code: one
 * shim_front_configuration definition, and the exports it intercepts.
 *
 * At DLL_PROCESS_ATTACH the runtime loads the original DLL and the worker DLL
 * by absolute path from the front's own folder (never the DLL search path or
 * the current directory) and starts a worker session. At DLL_PROCESS_DETACH it
 * only signals that session to stop. If the worker is missing or unusable the
 * front still loads (unless its configuration sets require_worker): it runs
 * in pass-through mode, where intercepted exports still call the original
 * and shim_front_post reports SHIM_E_PASS_THROUGH.
 *
 * Every function here may be called from any thread, never blocks on the
 * worker's work, and returns SHIM_OK (0) or a negative shim_status. The
 * session's settings (stop policy, deadline, threads) belong to the worker:
 * its plugin sets them (shim_session_set_* in twinshim/worker.h).
 */
#ifndef TWINSHIM_FRONT_H
#define TWINSHIM_FRONT_H

#include <stddef.h>
#include <wchar.h>

#include <windows.h>

#include "twinshim/counters.h"
#include "twinshim/current_thread.h"
#include "twinshim/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* An export of the original that the front calls: the runtime stores its
 * address in *slot at attach, before any export of the front can be called,
 * so a stub reads it without a lookup. */
typedef struct shim_front_binding {
    const char *name; /* the export's name, or MAKEINTRESOURCEA(ordinal) */
    FARPROC *slot;
} shim_front_binding;

typedef struct shim_front_config {
    /* File name of the worker DLL, in the front's own folder. Required. */
    const wchar_t *worker_file_name;
    /* File name of the renamed original DLL, in the front's own folder, or
     * NULL when the front wraps nothing. If set and missing, the front fails
     * to load: it cannot serve the exports it forwards. */
    const wchar_t *original_file_name;
    /* The original's exports to resolve at attach, binding_count of them
     * (NULL and 0 for none). A name the original lacks makes the front fail
     * to load with SHIM_E_NOT_FOUND: it was built for another original. */
    const shim_front_binding *bindings;
    size_t binding_count;
    /* Where the session's journal lives (an absolute folder), or NULL for
     * the default, %LOCALAPPDATA%\twinshim\journal. The environment
     * variable TWINSHIM_JOURNAL_DIR, when set, wins over both. Each front
     * gets a folder of its own below it (docs/journal.md). */
    const wchar_t *journal_folder;
    /* Nonzero: when the worker is missing, fails to load, speaks another
     * protocol version or cannot start a session, the front refuses to load:
     * LoadLibrary returns NULL, a program that imports it does not start,
     * and the reason always goes to standard error. For a plugin front whose
     * exports mean nothing without its worker. (A failing on_start runs
     * after the attach, on the session thread, so it cannot refuse the
     * load.) 0, the default: the front loads without its worker, as a
     * wrapper must. */
    int require_worker;
} shim_front_config;

/* A code export of the original that the front does not intercept, bound
 * like an intercepted one: define a FARPROC slot (not static) and a binding
 * for it, and write SHIM_FRONT_JUMP_STUB(stub, slot) at file scope. It emits
 * an exported-ready function `stub` that jumps through the slot with every
 * register and the stack as its caller left them. Export it in the .def
 * under the original's name and ordinal (`legacy_version = my_stub @2`).
 * Unlike a .def forwarder, which the loader resolves by base name through
 * the DLL search order (a planted copy in the current directory wins for a
 * program that imports the front), the slot holds the copy the front loaded
 * by absolute path. Data exports cannot jump: they stay forwarders. */
#if defined(__x86_64__)
#define SHIM_FRONT_JUMP_STUB(stub, slot) \
    __asm__(".text\n.globl " #stub "\n.def " #stub "; .scl 2; .type 32; .endef\n" #stub ":\n" \
            "    jmp *" #slot "(%rip)\n")
#elif defined(__i386__)
#define SHIM_FRONT_JUMP_STUB(stub, slot) \
    __asm__(".text\n.globl _" #stub "\n.def _" #stub "; .scl 2; .type 32; .endef\n_" #stub ":\n" \
            "    jmp *_" #slot "\n")
#endif

/* Every front defines this once; the runtime's DllMain reads it. */
extern const shim_front_config shim_front_configuration;

/* Sends a copy of payload to the worker plugin's on_message, on a pool
 * thread. The copy is written into the session's journal before this
 * returns, so it survives the death of the process (twinshim/worker.h,
 * shim_queue_settings). Returns SHIM_OK, SHIM_E_PASS_THROUGH when there is
 * no session (nothing is sent), SHIM_E_TOO_LARGE above the plugin's message
 * limit (64 KiB unless it chose another), SHIM_E_FULL when the journal was
 * full and the plugin's policy dropped it (counted and reported), or
 * SHIM_E_STOPPING. payload may be NULL only when size is 0. Takes no lock,
 * makes no system call and wakes no thread while the journal has room: a
 * callback looks within the plugin's delivery latency (20 ms unless it
 * chose another). It never waits for the plugin's on_start. When the
 * journal is full and the policy is to wait, it waits for room (1 s at
 * most), except under the loader lock. Once process exit has begun
 * (another DLL's detach, a destructor), the message goes into the journal
 * and to the plugin's on_exit_message on this thread, without waiting:
 * SHIM_OK if accepted or kept, else SHIM_E_PROCESS_EXITING. */
int shim_front_post(const void *payload, size_t size);

/* Why the front is or is not connected to its worker: SHIM_OK while a session
 * runs, otherwise the reason for pass-through (SHIM_E_WORKER_MISSING,
 * SHIM_E_VERSION_MISMATCH, SHIM_E_START_FAILED...). If system_error is not
 * NULL it receives the Windows error code behind the reason, or 0. The same
 * reason was sent to OutputDebugString when the front attached. */
int shim_front_status(unsigned long *system_error);

/* Stores in *address the address of an export of the original DLL, by name
 * or by ordinal (MAKEINTRESOURCEA(n)). Returns SHIM_OK, SHIM_E_NOT_FOUND
 * (the original has no such export, or the front wraps nothing; *address is
 * then NULL) or SHIM_E_INVALID_ARGUMENT. Look it up once and keep it: it
 * takes the loader lock. Not from DllMain. */
int shim_front_get_original_symbol(const char *name, FARPROC *address);

/* Copies the session's counters; SHIM_E_PASS_THROUGH without a session. */
int shim_front_get_counters(shim_session_counters *counters);

/* The record clock (frontdll/front_clock.c). Any thread, any time, DllMain
 * included; never blocks and takes no lock the loader or a program holds.
 *
 * shim_front_counter_now reads a monotonic counter: the CPU's time-stamp
 * counter where CPUID reports it invariant (12-15 ns under Wine 8), else
 * QueryPerformanceCounter. shim_front_counter_ns gives the nanoseconds
 * between two readings (0 if end is not after start), at the rate measured
 * against QueryPerformanceCounter: never from the time of day, so a clock
 * that is set changes no duration. */
unsigned long long shim_front_counter_now(void);
unsigned long long shim_front_counter_ns(unsigned long long start, unsigned long long end);

/* The time of day in UTC at a reading of shim_front_counter_now, as a
 * FILETIME's 64 bits (100 ns units since 1601-01-01), for a record: within a
 * few microseconds of GetSystemTimePreciseAsFileTime. The counter is
 * extrapolated from the precise time taken about every second (every 0.1 s
 * in the clock's first tenth of a second), so it follows a clock that is set
 * within that, and is not strictly monotonic across those anchors.
 * shim_front_utc_now is the time now. */
unsigned long long shim_front_counter_utc(unsigned long long counter);
unsigned long long shim_front_utc_now(void);

#ifdef __cplusplus
}
#endif

#endif
