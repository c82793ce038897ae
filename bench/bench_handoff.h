/* Section 6's baselines: handing a record to background work without
 * twinshim (bench_handoff.c). */
#ifndef TWINSHIM_BENCH_HANDOFF_H
#define TWINSHIM_BENCH_HANDOFF_H

#include "bench_record.h"

typedef enum bench_handoff_kind {
    BENCH_HANDOFF_RAW_SUBMIT,  /* SubmitThreadpoolWork per record (the record is not carried) */
    BENCH_HANDOFF_TRY_SUBMIT,  /* TrySubmitThreadpoolCallback per record, with a heap copy */
    BENCH_HANDOFF_MUTEX_QUEUE, /* a locked queue and a condition variable, one draining thread */
} bench_handoff_kind;

typedef struct bench_handoff bench_handoff;

/* pool_threads: the pool's maximum (the queue drains on one thread). */
bench_handoff *bench_handoff_open(bench_handoff_kind kind, unsigned pool_threads);
/* Any thread, concurrently. */
void bench_handoff_post(bench_handoff *handoff, const bench_record *record);
bench_record_counter *bench_handoff_counter(bench_handoff *handoff);
/* After every posted record has been counted. */
void bench_handoff_close(bench_handoff *handoff);

#endif
