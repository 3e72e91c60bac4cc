/* examples/resilient: the simulated payment service and the dead-letter
 * file, shared by resilient.fx's stage functions and main.c. */
#ifndef RESILIENT_APP_H
#define RESILIENT_APP_H

#include <stdint.h>
#include <stdio.h>

#include <fluxus/fluxus.h>

/* Codes of the simulated service (positive: application errors). */
enum {
    SERVICE_UNAVAILABLE = 503,   /* transient: worth another try */
    SERVICE_DECLINED = 402       /* permanent: the card was declined */
};

/* The flaky service: every call sleeps a latency drawn from `rng` on
 * `clock` (so it ends early when the call's context is cancelled), then
 * fails with SERVICE_UNAVAILABLE with probability `failure_rate` (always
 * between outage_from_ns and outage_to_ns) or, rarely, declines. Used by
 * one thread at a time (main processes the charges one by one). */
typedef struct Service {
    const fx_clock *clock;
    uint64_t rng;                /* splitmix64 state, from the seed */
    double failure_rate;
    int64_t min_latency_ns, max_latency_ns;
    int64_t outage_from_ns, outage_to_ns;
    long calls, unavailable, declined;
} Service;

/* A uniform draw in [0, 1) from s->rng. */
double service_draw(Service *s);

/* Where write_dead_letter appends: one JSON object per line. Set by main
 * before the first charge; the clock stamps each line. */
void dead_letters_open(FILE *f, const fx_clock *clock);

#endif /* RESILIENT_APP_H */
