/* What the loader says of this thread and of the process: whether the
 * calling thread holds the loader lock (runs inside some DLL's DllMain, or
 * a loader call of its own), and whether process exit has begun. */
#include "session.h"

/* PEB.LoaderLock, a RTL_CRITICAL_SECTION pointer: not in the SDK's
 * winternl.h, at the same place on Windows and Wine since NT. The PEB is
 * read from the TEB directly (GCC 12 warns on the SDK's NtCurrentTeb). */
#if defined(__x86_64__)
#define PEB_LOADER_LOCK_OFFSET 0x110
#define READ_PEB(peb) __asm__("movq %%gs:0x60, %0" : "=r"(peb))
#else
#define PEB_LOADER_LOCK_OFFSET 0xA0
#define READ_PEB(peb) __asm__("movl %%fs:0x30, %0" : "=r"(peb))
#endif

BOOL shim__holds_loader_lock(void)
{
    const BYTE *peb;
    const RTL_CRITICAL_SECTION *lock;

    READ_PEB(peb);
    lock = *(RTL_CRITICAL_SECTION *const *)(peb + PEB_LOADER_LOCK_OFFSET);

    return lock != NULL && (DWORD)(ULONG_PTR)lock->OwningThread == GetCurrentThreadId();
}

/* ntdll's RtlDllShutdownInProgress, looked up by the first session start
 * (ntdll is always loaded: nothing is mapped under the loader lock). */
typedef BOOLEAN(NTAPI *shutdown_query)(void);
static volatile shutdown_query shutdown_in_progress;

void shim__find_shutdown_flag(void)
{
    HMODULE ntdll;
    FARPROC address;

    if (shutdown_in_progress != NULL)
        return;
    ntdll = GetModuleHandleW(L"ntdll.dll");
    address = ntdll != NULL ? GetProcAddress(ntdll, "RtlDllShutdownInProgress") : NULL;
    shutdown_in_progress = (shutdown_query)(void (*)(void))address;
}

BOOL shim__process_is_exiting(void)
{
    shutdown_query in_progress = shutdown_in_progress;

    return in_progress != NULL && in_progress();
}
