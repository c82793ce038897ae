/* shimgen: reads a DLL's export table, and writes a twinshim project that
 * wraps the DLL without changing the program that loads it. */
#include <stdio.h>
#include <string.h>

#include "command_line.h"
#include "exit_codes.h"
#include "check_command.h"
#include "exports_command.h"
#include "report_command.h"
#include "wrap_command.h"

static const char usage_text[] = "usage: shimgen exports [--json] FILE\n"
                                 "       shimgen wrap FILE -o DIR [options]\n"
                                 "       shimgen check DIR [--front FILE]\n"
                                 "       shimgen report TRACE [-o report.html]\n"
                                 "       shimgen [COMMAND] --help\n";

int main(int argc, char **argv)
{
    if (argc < 2)
        return command_usage_error(usage_text, "no command given");
    if (command_asks_for_help(argv[1]) || strcmp(argv[1], "help") == 0) {
        printf("%s\nexports: %s%s\nwrap: %s", usage_text, exports_usage, exports_help, wrap_usage);
        wrap_print_help(stdout);
        printf("\ncheck: %s%s", check_usage, check_help);
        printf("\nreport: %s%s", report_usage, report_help);
        printf("\n%s", command_exit_codes_help);
        return SHIMGEN_EXIT_OK;
    }
    if (strcmp(argv[1], "exports") == 0)
        return exports_main(argc - 1, argv + 1);
    if (strcmp(argv[1], "check") == 0)
        return check_main(argc - 1, argv + 1);
    if (strcmp(argv[1], "wrap") == 0)
        return wrap_main(argc - 1, argv + 1);
    if (strcmp(argv[1], "report") == 0)
        return report_main(argc - 1, argv + 1);
    return command_usage_error(usage_text, "unknown command %s", argv[1]);
}
