/* In-process COM servers. COM loads one from the path its registration
 * names, and a server's own DllRegisterServer, reached through the front,
 * registers the original's file: `wrap` warns and writes it into the
 * README, `check` reminds. */
#ifndef SHIMGEN_COM_SERVER_H
#define SHIMGEN_COM_SERVER_H

#include <stdbool.h>

#include "pe_exports.h"

typedef struct com_server_exports {
    bool gets_class_objects; /* DllGetClassObject: COM's entry into the server */
    bool registers_itself;   /* DllRegisterServer: regsvr32 can register it */
} com_server_exports;

/* Which of the two entry points `table` exports by name. */
com_server_exports com_server_examine(const pe_export_table *table);

/* Either entry point makes the DLL a COM server. */
bool com_server_is_one(com_server_exports server);

/* The entry points it has, for a message: "DllGetClassObject, DllRegisterServer". */
const char *com_server_export_list(com_server_exports server);

#endif
