#include <stddef.h>

#include "com_server.h"

com_server_exports com_server_examine(const pe_export_table *table)
{
    com_server_exports server = {
        .gets_class_objects = pe_find_export_by_name(table, "DllGetClassObject") != NULL,
        .registers_itself = pe_find_export_by_name(table, "DllRegisterServer") != NULL,
    };

    return server;
}

bool com_server_is_one(com_server_exports server)
{
    return server.gets_class_objects || server.registers_itself;
}

const char *com_server_export_list(com_server_exports server)
{
    if (server.gets_class_objects && server.registers_itself)
        return "DllGetClassObject, DllRegisterServer";
    if (server.gets_class_objects)
        return "DllGetClassObject";
    return server.registers_itself ? "DllRegisterServer" : "";
}
