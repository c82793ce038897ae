/* The sink tests' front: no original, and an export that posts one record. */
#include <windows.h>

#include "twinshim/front.h"

#include "sink_test_record.h"

const shim_front_config shim_front_configuration = {
    .worker_file_name = L"sink_test_worker.dll",
    .original_file_name = NULL,
};

int sink_test_front_post(unsigned long long number);
int sink_test_front_post(unsigned long long number)
{
    sink_test_record record = { .number = number, .time = shim_front_utc_now() };

    return shim_front_post(&record, sizeof record);
}

int sink_test_front_status(unsigned long *system_error);
int sink_test_front_status(unsigned long *system_error)
{
    return shim_front_status(system_error);
}
