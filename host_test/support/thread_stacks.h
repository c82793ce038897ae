/* The stacks of another process's threads, walked from the calling process
 * with dbghelp: the evidence a test keeps of a child that hangs. */
#ifndef TWINSHIM_THREAD_STACKS_H
#define TWINSHIM_THREAD_STACKS_H

#include <windows.h>

/* Prints to standard error, for each thread of process_id, one line per
 * frame: module!function+offset (file:line) where the module's debug
 * information says. Each thread is suspended while it is walked. Works on
 * a process that is exiting, which a debugger cannot attach to under Wine
 * (winedbg: "Can't attach process: error 5"). Returns the number of
 * threads walked, or -1 if the process could not be read. */
int print_thread_stacks(DWORD process_id);

#endif
