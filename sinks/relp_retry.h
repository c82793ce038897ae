/* When to try the collector again after a failure: exponential backoff
 * with jitter. Each failure in a row doubles the base delay, from `first_ms`
 * up to `most_ms`; the delay is drawn between half the base and the base,
 * so that many hosts cut off together do not come back in step. Progress
 * (an acknowledged record) starts again from first_ms. Nothing here waits:
 * the sink arms a timer with the delay. */
#ifndef TWINSHIM_SINKS_RELP_RETRY_H
#define TWINSHIM_SINKS_RELP_RETRY_H

typedef struct relp_retry {
    unsigned first_ms;
    unsigned most_ms;
    unsigned base_ms;      /* of the next delay */
    unsigned failures;     /* in a row */
    unsigned random_state; /* xorshift32, never 0 */
} relp_retry;

void shim__relp_retry_init(relp_retry *retry, unsigned first_ms, unsigned most_ms, unsigned seed);

/* A failure: returns the delay before the next attempt, in milliseconds
 * (at least 1), and grows the base for the one after. */
unsigned shim__relp_retry_failed(relp_retry *retry);

/* Progress: the next failure waits about first_ms again. */
void shim__relp_retry_succeeded(relp_retry *retry);

#endif
