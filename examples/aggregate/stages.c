/* The simulated backends and the aggregator of examples/aggregate. */
#include <stdio.h>
#include <string.h>

#include "aggregate.h"

/* A backend call: waits for its latency (returns early, with the context's
 * error, when the lookup is cancelled) and quotes a price. */
static int ask(fx_ctx *ctx, const char *backend, int64_t latency_ms, double markup, const char *product,
               Quote *out)
{
    int rc = fx_clock_sleep(NULL, ctx, latency_ms * 1000000);
    if (rc != 0) return rc;
    if (strcmp(product, "unobtainium") == 0)
        return fx_fail(ctx, 404, "%s has never heard of %s", backend, product);
    double base = 0;
    for (const char *p = product; *p; p++) base += (unsigned char)*p;
    *out = (Quote){ .backend = backend, .price = base / 100.0 * markup, .in_stock = strlen(product) % 2 == 0 };
    return 0;
}

int ask_warehouse(fx_ctx *ctx, const char *const *in, Quote *out)
{
    return ask(ctx, "warehouse", 30, 1.00, *in, out);
}

int ask_supplier(fx_ctx *ctx, const char *const *in, Quote *out)
{
    return ask(ctx, "supplier", 10, 1.10, *in, out);
}

int ask_partner(fx_ctx *ctx, const char *const *in, Quote *out)
{
    return ask(ctx, "partner", 20, 0.95, *in, out);
}

/* "best: partner 6.31 (3 answers, 2 in stock)" */
int combine_quotes(fx_ctx *ctx, const fx_slice_Quote *in, const char **out)
{
    if (in->len == 0) return fx_fail(ctx, 1, "no answers");
    const Quote *best = &in->ptr[0];
    int stocked = 0;
    for (size_t i = 0; i < in->len; i++) {
        if (in->ptr[i].price < best->price) best = &in->ptr[i];
        stocked += in->ptr[i].in_stock;
    }
    *out = fx_sprintf(ctx, "best: %s %.2f (%zu answers, %d in stock)", best->backend, best->price, in->len,
                      stocked);
    return *out != NULL ? 0 : FX_ENOMEM;
}
