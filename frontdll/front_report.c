#include "../common/report.h"
#include "front_state.h"

/* Called from DllMain: built on the stack, sent without waiting. */
void shim__front_report(const char *what, int status, DWORD system_error, const wchar_t *path,
                        shim_report_severity severity)
{
    shim_report report = { .length = 0 };

    shim__report_ascii(&report, "twinshim front: ");
    shim__report_ascii(&report, what);
    shim__report_ascii(&report, ": ");
    shim__report_ascii(&report, shim_status_text(status));
    if (path != NULL) {
        shim__report_ascii(&report, " (");
        shim__report_wide(&report, path);
        shim__report_ascii(&report, ")");
    }
    if (system_error != 0) {
        shim__report_ascii(&report, ", Windows error ");
        shim__report_number(&report, system_error);
    }
    shim__report_ascii(&report, "\n");
    shim__report_send(&report, SHIM_REPORT_NO_WAIT, severity);
}
