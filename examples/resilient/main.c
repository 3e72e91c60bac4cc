/* examples/resilient: charges through rate_limit |> retry |> circuit_breaker
 * |> dlq to a simulated flaky service, on a fake clock in auto mode (every
 * sleep jumps the clock: the run takes no real time and is the same for
 * the same seed). The summary is counted by an fx_metrics table: the
 * events the combinators report (retry attempts, breaker transitions,
 * limiter waits, dead letters).
 *
 *   resilient [--seed N] [--charges N] DEAD_LETTERS.jsonl */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "resilient.h"

#define MS INT64_C(1000000)

typedef struct summary {
    const fx_clock *clock;
    long retries, transitions, waits, dead_letters;
    int64_t waited_ns;
} summary;

static double seconds(int64_t ns) { return (double)ns / 1e9; }

static void on_retry(void *user, const fx_component *c, int attempt, int previous_code)
{
    (void)c;
    (void)attempt;
    (void)previous_code;
    ((summary *)user)->retries++;
}

static void on_breaker(void *user, const fx_component *c, int from, int to)
{
    summary *s = user;
    s->transitions++;
    printf("  t=%6.3fs  %s: %s -> %s\n", seconds(fx_clock_now(s->clock)), c->name,
           fx_circuit_state_name((fx_circuit_state)from), fx_circuit_state_name((fx_circuit_state)to));
}

static void on_wait(void *user, const fx_component *c, int64_t waited_ns)
{
    (void)c;
    summary *s = user;
    s->waits++;
    s->waited_ns += waited_ns;
}

static void on_dlq(void *user, const fx_component *c, int code)
{
    (void)c;
    (void)code;
    ((summary *)user)->dead_letters++;
}

static int usage(void)
{
    fprintf(stderr, "usage: resilient [--seed N] [--charges N] DEAD_LETTERS.jsonl\n");
    return 2;
}

int main(int argc, char **argv)
{
    uint64_t seed = 42;
    long charges = 300;
    const char *path = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc)
            seed = strtoull(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--charges") == 0 && i + 1 < argc)
            charges = strtol(argv[++i], NULL, 10);
        else if (argv[i][0] != '-' && path == NULL)
            path = argv[i];
        else
            return usage();
    }
    if (path == NULL || charges < 0) return usage();
    FILE *dead = fopen(path, "w");
    if (dead == NULL) {
        perror(path);
        return 1;
    }

    fx_clock *clock = fx_clock_fake_new(0);
    fx_clock_fake_set_auto(clock, true);
    summary sum = { .clock = clock };
    fx_metrics metrics = { .user = &sum, .retry_attempt = on_retry, .breaker_state = on_breaker,
                           .limiter_wait = on_wait, .dlq = on_dlq };
    fx_runtime *rt = fx_runtime_new(&(fx_runtime_config){ .threads = 1, .clock = clock, .metrics = &metrics });
    Service svc = { .clock = clock, .rng = seed, .failure_rate = 0.25,
                    .min_latency_ns = 5 * MS, .max_latency_ns = 40 * MS,
                    .outage_from_ns = 2000 * MS, .outage_to_ns = 3000 * MS };
    resilient_charge *p = resilient_charge_new(rt, &(resilient_charge_state){ .call = &svc });
    fx_ctx *ctx = fx_ctx_new();
    if (rt == NULL || p == NULL || ctx == NULL) {
        fprintf(stderr, "resilient: out of memory\n");
        return 1;
    }
    fx_retry_set_seed(resilient_charge_retries(p), seed);   /* reproducible jitter */
    dead_letters_open(dead, clock);

    static const char *const customers[] = {"ada", "brian", "grace", "ken", "linus", "margaret"};
    printf("resilient: %ld charges, seed %" PRIu64 ", service failing %.0f%% of calls, down %.1fs-%.1fs\n",
           charges, seed, svc.failure_rate * 100, seconds(svc.outage_from_ns), seconds(svc.outage_to_ns));
    long ok = 0, failed = 0;
    for (long i = 1; i <= charges; i++) {
        Charge c = { .id = i, .customer = customers[i % 6], .cents = 100 + (int64_t)(service_draw(&svc) * 9900) };
        const char *receipt = NULL;
        if (resilient_charge_process(p, ctx, &c, &receipt) == 0)
            ok++;
        else
            failed++;
        fx_ctx_reset(ctx);
        /* the next charge arrives 0-20ms later */
        fx_clock_sleep(clock, NULL, (int64_t)(service_draw(&svc) * 20.0) * MS);
    }

    printf("summary (%.3fs simulated)\n", seconds(fx_clock_now(clock)));
    printf("  charges             %ld (%ld ok, %ld failed)\n", charges, ok, failed);
    printf("  service calls       %ld (%ld unavailable, %ld declined)\n", svc.calls, svc.unavailable,
           svc.declined);
    printf("  retries             %ld\n", sum.retries);
    printf("  limiter waits       %ld (%.3fs in all)\n", sum.waits, seconds(sum.waited_ns));
    printf("  breaker transitions %ld (now %s)\n", sum.transitions,
           fx_circuit_state_name(fx_circuit_breaker_state(resilient_charge_breaker(p))));
    printf("  dead letters        %ld -> %s\n", sum.dead_letters, path);

    fx_ctx_free(ctx);
    resilient_charge_free(p);
    fx_runtime_free(rt);
    fx_clock_free(clock);
    int rc = fclose(dead) == 0 && sum.dead_letters == failed ? 0 : 1;
    if (rc != 0) fprintf(stderr, "resilient: dead letters lost\n");
    return rc;
}
