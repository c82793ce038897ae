/* bench_consumer_front.dll, for twinshim_bench_consumer.exe: posts the
 * 64-byte record section 6's fronts post, to bench_consumer_worker.dll. */
#include <windows.h>

#include "twinshim/front.h"

#include "bench_record.h"

const shim_front_config shim_front_configuration = {
    .worker_file_name = L"bench_consumer_worker.dll",
};

__declspec(dllexport) int bench_consumer_post(int call);

int bench_consumer_post(int call)
{
    bench_record record;

    bench_fill_record(&record, call, 0, call);
    return shim_front_post(&record, sizeof record);
}
