#include "relp_retry.h"

static unsigned next_random(relp_retry *retry)
{
    unsigned x = retry->random_state;

    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    retry->random_state = x;
    return x;
}

void shim__relp_retry_init(relp_retry *retry, unsigned first_ms, unsigned most_ms, unsigned seed)
{
    retry->first_ms = first_ms > 0 ? first_ms : 1;
    retry->most_ms = most_ms >= retry->first_ms ? most_ms : retry->first_ms;
    retry->base_ms = retry->first_ms;
    retry->failures = 0;
    retry->random_state = seed != 0 ? seed : 0x9e3779b9u;
}

unsigned shim__relp_retry_failed(relp_retry *retry)
{
    unsigned base = retry->base_ms;
    unsigned half = base / 2;
    unsigned delay = half + next_random(retry) % (base - half + 1);

    retry->failures++;
    retry->base_ms = base > retry->most_ms / 2 ? retry->most_ms : base * 2;
    return delay > 0 ? delay : 1;
}

void shim__relp_retry_succeeded(relp_retry *retry)
{
    retry->base_ms = retry->first_ms;
    retry->failures = 0;
}
