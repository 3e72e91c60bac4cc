/* examples/aggregate: look products up at three backends at once.
 *
 *     make run      (from the top level: make examples)
 *
 * Each lookup fans out to the warehouse (30 ms), the supplier (10 ms) and a
 * partner (20 ms) concurrently and combines their quotes: about 30 ms per
 * lookup instead of 60. An unknown product makes one backend fail: the
 * error names the stage that failed and keeps the backend's own code. */
#include <stdio.h>

#include "aggregate.h"

int main(void)
{
    aggregate_lookup *lookup = aggregate_lookup_new(NULL);   /* the default runtime */
    fx_ctx *ctx = fx_ctx_new();
    if (lookup == NULL || ctx == NULL) return 1;
    const char *products[] = { "widget", "gadget", "sprocket", "unobtainium" };
    int failures = 0;
    for (size_t i = 0; i < sizeof products / sizeof products[0]; i++) {
        const char *report = NULL;
        int64_t t0 = fx_clock_now(NULL);
        int rc = aggregate_lookup_process(lookup, ctx, &products[i], &report);
        int64_t ms = (fx_clock_now(NULL) - t0) / 1000000;
        if (rc == 0) {
            printf("%-12s %s  [%lld ms]\n", products[i], report, (long long)ms);
        } else {
            char err[256];
            fx_error_format(fx_ctx_error(ctx), err, sizeof err);
            printf("%-12s error: %s (app code 404: %s)\n", products[i], err,
                   fx_error_is(fx_ctx_error(ctx), 404) ? "yes" : "no");
            failures++;
        }
        fx_ctx_reset(ctx);
    }
    fx_ctx_free(ctx);
    aggregate_lookup_free(lookup);
    return failures == 1 ? 0 : 1;   /* exactly the unknown product fails */
}
