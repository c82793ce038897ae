#include "twinshim/status.h"

const char *shim_status_text(int status)
{
    switch ((shim_status)status) {
    case SHIM_OK:
        return "ok";
    case SHIM_E_INVALID_ARGUMENT:
        return "invalid argument";
    case SHIM_E_OUT_OF_MEMORY:
        return "out of memory";
    case SHIM_E_STOPPING:
        return "session is stopping, work refused";
    case SHIM_E_START_FAILED:
        return "worker start hook failed";
    case SHIM_E_WORKER_MISSING:
        return "worker DLL missing from the front's folder";
    case SHIM_E_WORKER_LOAD_FAILED:
        return "worker DLL failed to load";
    case SHIM_E_WORKER_INVALID:
        return "worker DLL has no twinshim entry point";
    case SHIM_E_VERSION_MISMATCH:
        return "worker DLL speaks another protocol version";
    case SHIM_E_SYSTEM:
        return "a Windows call failed";
    case SHIM_E_PASS_THROUGH:
        return "front is in pass-through mode, work not sent";
    case SHIM_E_ORIGINAL_MISSING:
        return "original DLL missing from the front's folder";
    case SHIM_E_PATH_TOO_LONG:
        return "front's folder path is too long";
    case SHIM_E_NOT_FOUND:
        return "the original DLL has no such export";
    case SHIM_E_CLOSED:
        return "the handle was closed";
    case SHIM_E_TOO_LARGE:
        return "larger than the session's message limit";
    case SHIM_E_PROCESS_EXITING:
        return "the process is exiting, message not handed over";
    case SHIM_E_FULL:
        return "the journal is full, message dropped";
    }
    return "unknown twinshim status";
}
