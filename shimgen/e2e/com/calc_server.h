/* Resource ids shared by the COM fixture's server (calc_server.rc) and its
 * client, which reads them through the server's module handle. */
#ifndef SHIMGEN_E2E_CALC_SERVER_H
#define SHIMGEN_E2E_CALC_SERVER_H

#define CALC_STRING_GREETING 101
#define CALC_STRING_FAREWELL 102

#endif
