#include <windows.h>

#include <dbghelp.h>
#include <tlhelp32.h>

#include "test_support.h"
#include "thread_stacks.h"

enum {
    MOST_FRAMES = 64,
    NAME_CAPACITY = 256
};

#ifdef _WIN64
#define THIS_MACHINE IMAGE_FILE_MACHINE_AMD64
#else
#define THIS_MACHINE IMAGE_FILE_MACHINE_I386
#endif

static void print_frame(HANDLE process, int index, DWORD64 address)
{
    union {
        SYMBOL_INFO info;
        char room[sizeof(SYMBOL_INFO) + NAME_CAPACITY];
    } symbol = { .info = { .SizeOfStruct = sizeof(SYMBOL_INFO), .MaxNameLen = NAME_CAPACITY - 1 } };
    IMAGEHLP_MODULE64 module = { .SizeOfStruct = sizeof module };
    IMAGEHLP_LINE64 line = { .SizeOfStruct = sizeof line };
    DWORD64 displacement = 0;
    DWORD line_displacement = 0;
    BOOL named = SymFromAddr(process, address, &displacement, &symbol.info);
    BOOL has_module = SymGetModuleInfo64(process, address, &module);

    if (!named)
        displacement = has_module ? address - module.BaseOfImage : 0;
    complain("    #%-2d %016llx %s!%s+0x%llx", index, (unsigned long long)address,
             has_module ? module.ModuleName : "?", named ? symbol.info.Name : "?",
             (unsigned long long)displacement);
    if (SymGetLineFromAddr64(process, address, &line_displacement, &line))
        complain(" (%s:%lu)", line.FileName, line.LineNumber);
    complain("\n");
}

static void print_stack(HANDLE process, HANDLE thread)
{
    CONTEXT context = { .ContextFlags = CONTEXT_FULL };
    STACKFRAME64 frame = { 0 };

    if (!GetThreadContext(thread, &context)) {
        complain("    its context cannot be read (error %lu)\n", GetLastError());
        return;
    }
#ifdef _WIN64
    frame.AddrPC.Offset = context.Rip;
    frame.AddrStack.Offset = context.Rsp;
    frame.AddrFrame.Offset = context.Rbp;
#else
    frame.AddrPC.Offset = context.Eip;
    frame.AddrStack.Offset = context.Esp;
    frame.AddrFrame.Offset = context.Ebp;
#endif
    frame.AddrPC.Mode = AddrModeFlat;
    frame.AddrStack.Mode = AddrModeFlat;
    frame.AddrFrame.Mode = AddrModeFlat;
    for (int index = 0;
         index < MOST_FRAMES && StackWalk64(THIS_MACHINE, process, thread, &frame, &context, NULL,
                                            SymFunctionTableAccess64, SymGetModuleBase64, NULL);
         index++)
        print_frame(process, index, frame.AddrPC.Offset);
}

int print_thread_stacks(DWORD process_id)
{
    HANDLE process = OpenProcess(PROCESS_QUERY_INFORMATION | PROCESS_VM_READ, FALSE, process_id);
    HANDLE threads = CreateToolhelp32Snapshot(TH32CS_SNAPTHREAD, 0);
    THREADENTRY32 entry = { .dwSize = sizeof entry };
    int walked = 0;

    SymSetOptions(SymGetOptions() | SYMOPT_LOAD_LINES);
    if (process == NULL || threads == INVALID_HANDLE_VALUE || !SymInitialize(process, NULL, TRUE)) {
        complain("  its threads cannot be read (error %lu)\n", GetLastError());
        if (process != NULL)
            CloseHandle(process);
        if (threads != INVALID_HANDLE_VALUE)
            CloseHandle(threads);
        return -1;
    }
    for (BOOL more = Thread32First(threads, &entry); more; more = Thread32Next(threads, &entry)) {
        HANDLE thread;

        if (entry.th32OwnerProcessID != process_id)
            continue;
        thread = OpenThread(THREAD_GET_CONTEXT | THREAD_SUSPEND_RESUME, FALSE, entry.th32ThreadID);
        complain("  thread %04lx:\n", entry.th32ThreadID);
        if (thread == NULL) {
            complain("    cannot be opened (error %lu)\n", GetLastError());
            continue;
        }
        /* Stopped while it is walked; left stopped, it would stay so. */
        if (SuspendThread(thread) != (DWORD)-1) {
            print_stack(process, thread);
            ResumeThread(thread);
        } else {
            complain("    cannot be suspended (error %lu)\n", GetLastError());
        }
        CloseHandle(thread);
        walked++;
    }
    SymCleanup(process);
    CloseHandle(threads);
    CloseHandle(process);
    return walked;
}
