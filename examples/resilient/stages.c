/* The simulated payment service and the dead-letter writer of
 * examples/resilient. */
#include <inttypes.h>
#include <stdio.h>

#include "resilient.h"

/* ---------------------------------------------------------------- the service */

double service_draw(Service *s)
{
    uint64_t x = (s->rng += 0x9E3779B97F4A7C15u);   /* splitmix64 */
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9u;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBu;
    x ^= x >> 31;
    return (double)(x >> 11) * 0x1.0p-53;
}

/* One call: the latency first (on the service's clock, ending early when
 * ctx is done), then the outcome. */
int call_service(fx_ctx *ctx, Service *s, const Charge *in, const char **out)
{
    s->calls++;
    double span = (double)(s->max_latency_ns - s->min_latency_ns);
    int64_t latency = s->min_latency_ns + (int64_t)(service_draw(s) * span);
    double luck = service_draw(s);
    int rc = fx_clock_sleep(s->clock, ctx, latency);
    if (rc != 0) return rc;
    int64_t now = fx_clock_now(s->clock);
    if ((now >= s->outage_from_ns && now < s->outage_to_ns) || luck < s->failure_rate) {
        s->unavailable++;
        return fx_fail(ctx, SERVICE_UNAVAILABLE, "payments: 503 service unavailable");
    }
    if (luck > 0.99) {
        s->declined++;
        return fx_fail(ctx, SERVICE_DECLINED, "payments: 402 card of %s declined", in->customer);
    }
    *out = fx_sprintf(ctx, "ch_%04" PRId64 " %s %" PRId64 ".%02" PRId64, in->id, in->customer,
                      in->cents / 100, in->cents % 100);
    return *out != NULL ? 0 : FX_ENOMEM;
}

/* retry_if: only an unavailable service is worth another try. */
bool is_transient(const fx_error *err)
{
    return err->code == SERVICE_UNAVAILABLE;
}

/* ---------------------------------------------------------------- dead letters */

static FILE *dead_file;
static const fx_clock *dead_clock;

void dead_letters_open(FILE *f, const fx_clock *clock)
{
    dead_file = f;
    dead_clock = clock;
}

/* dlq's when: keep every failed charge for a later replay, also those the
 * open breaker turned away (the default would drop them); not a charge
 * whose caller gave up. */
bool keep_dead_letter(const fx_error *err)
{
    return err->code != FX_ECANCELED && err->code != FX_EDEADLINE;
}

/* s as a JSON string, quotes included. */
static void put_json_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c < 0x20)
            fprintf(f, "\\u%04x", c);
        else
            fputc(c, f);
    }
    fputc('"', f);
}

/* dlq's handler: one line per dead letter. Non-zero (the write failed)
 * makes dlq report the lost letter on stderr. */
int write_dead_letter(fx_ctx *ctx, const Charge *item, const fx_error *err)
{
    (void)ctx;
    if (dead_file == NULL) return 1;
    char why[256];
    fx_error_format(err, why, sizeof why);
    fprintf(dead_file, "{\"at_ms\":%" PRId64 ",\"id\":%" PRId64 ",\"customer\":", fx_clock_now(dead_clock) / 1000000,
            item->id);
    put_json_string(dead_file, item->customer);
    fprintf(dead_file, ",\"cents\":%" PRId64 ",\"code\":%d,\"error\":", item->cents, err->code);
    put_json_string(dead_file, why);
    fputs("}\n", dead_file);
    return ferror(dead_file) ? 1 : 0;
}
