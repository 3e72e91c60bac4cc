/* bench/observe_stages.c — the stage of observe.fx and the same work, bare
 * and measured by hand, for the limit. */
#include <string.h>
#include <time.h>

#include "bobserve.h"
#include "work.h"

static inline void upper_into(char *d, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        d[i] = (c >= 'a' && c <= 'z') ? (char)(c - 'a' + 'A') : c;
    }
    d[n] = '\0';
}

static inline int64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

char *work_upper9(bench_bump *b, const char *s)
{
    size_t n = strlen(s);
    char *d = bench_bump_alloc(b, n + 1);
    if (d != NULL)
        upper_into(d, s, n);
    return d;
}

char *work_upper_metered(work_counters *c, bench_bump *b, const char *s)
{
    int64_t t0 = mono_ns();
    c->started++;
    size_t n = strlen(s);
    char *d = bench_bump_alloc(b, n + 1);
    if (d != NULL)
        upper_into(d, s, n);
    int64_t t1 = mono_ns();
    if (d != NULL) {
        c->completed++;
        c->total_ns += t1 - t0;
    } else {
        c->errors++;
    }
    return d;
}

int bobserve_upper(fx_ctx *ctx, const char *const *in, const char **out)
{
    size_t n = strlen(*in);
    char *d = fx_alloc(ctx, n + 1);
    if (d == NULL)
        return FX_ENOMEM;
    upper_into(d, *in, n);
    *out = d;
    return 0;
}

/* ---------------------------------------------------------------- ObserveCost */

int64_t work_step(int64_t x) { return x + 1; }

int bobserve_step(fx_ctx *ctx, const int64_t *in, int64_t *out)
{
    (void)ctx;
    *out = work_step(*in);
    return 0;
}
