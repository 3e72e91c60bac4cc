/*
 * stress.c — fault-injection stress of the generated combinators.
 *
 * THREADS threads run RUNS runs each against shared pipeline instances on
 * one runtime. Stages fail at random (seeded per thread), take random time
 * (yield loops; the timeout's stage polls fx_ctx_done), and a canceller
 * thread cancels random runs or gives them short deadlines. Each run checks
 * the accounting invariant of SPEC §5.4: every input item ends as exactly one
 * output, one reported error, or one DLQ hand-off (plus its error: dlq
 * returns the original error) — nothing lost, nothing twice. A watchdog
 * (alarm) turns a deadlock into a failure; the runtime is freed at the end
 * (its workers joined), so ASan/valgrind see every leak and TSan every race.
 *
 * Usage: stress [RUNS]   (default 60 per thread: the `make check` short mode;
 *                         STRESS_RUNS=2000 make check-stress for a long run)
 */
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "stress.h"

#define THREADS 4
#define ITEMS 24
#define BOUND_SECONDS 300

static _Thread_local unsigned rng;
static unsigned rnd(void)
{
    rng = rng * 1103515245u + 12345u;
    return (rng >> 16) & 0x7fff;
}
static void jitter(void)
{
    int n = (int)(rnd() % 8);
    for (int i = 0; i < n; i++) sched_yield();
}

#define CHECK(cond)                                                                          \
    do {                                                                                     \
        if (!(cond)) {                                                                       \
            fprintf(stderr, "stress: %s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
            abort();                                                                         \
        }                                                                                    \
    } while (0)

/* Per item of the current run: how it was accounted for. Items are tagged
 * thread * 1e6 + run * 100 + index, so a hand-off names its slot. */
static atomic_int dead_letters[THREADS][ITEMS];
static atomic_long stage_calls;

static int slot_thread(int64_t v) { return (int)(v / 1000000); }
static int slot_index(int64_t v) { return (int)(v % 100); }

int st_flaky(fx_ctx *ctx, const int64_t *in, int64_t *out)
{
    atomic_fetch_add(&stage_calls, 1);
    jitter();
    if (rnd() % 5 == 0) return fx_fail(ctx, 7, "flaky %lld", (long long)*in);
    *out = *in;
    return 0;
}

int st_slow(fx_ctx *ctx, const int64_t *in, int64_t *out)
{
    atomic_fetch_add(&stage_calls, 1);
    for (int i = (int)(rnd() % 50); i > 0; i--) {
        if (fx_ctx_done(ctx)) return fx_ctx_err(ctx);
        sched_yield();
    }
    *out = *in;
    return 0;
}

int st_keep(fx_ctx *ctx, const int64_t *in, bool *out)
{
    (void)ctx;
    *out = (*in % 3) != 0;
    return 0;
}

int st_total(fx_ctx *ctx, const fx_slice_i64 *in, int64_t *out)
{
    (void)ctx;
    int64_t s = 0;
    for (size_t i = 0; i < in->len; i++) s += in->ptr[i];
    *out = s;
    return 0;
}

int st_twice(fx_ctx *ctx, const fx_slice_i64 *in, fx_slice_i64 *out)
{
    jitter();
    if (rnd() % 7 == 0) return fx_fail(ctx, 9, "batch of %zu", in->len);
    int64_t *v = fx_alloc(ctx, (in->len + 1) * sizeof *v);
    if (!v) return FX_ENOMEM;
    for (size_t i = 0; i < in->len; i++) v[i] = in->ptr[i] * 2;
    out->ptr = v;
    out->len = in->len;
    return 0;
}

int st_on_error(fx_ctx *ctx, int code)
{
    (void)ctx;
    /* replace half of them (no swallowing here: a swallowed item would go on
       as the zero value, and the DLQ's tag would be lost; difftest covers it) */
    return (rnd() % 2) ? 8 : code;
}

int st_dead(fx_ctx *ctx, const int64_t *item, const fx_error *err)
{
    (void)ctx;
    CHECK(err != NULL && err->code != 0);
    atomic_fetch_add(&dead_letters[slot_thread(*item)][slot_index(*item)], 1);
    return 0;
}

/* ------------------------------------------------------------ router, parallel, mapreduce, join */

/* n = v % 4 routes (0 = no route), distinct indices (v + j) % 3 */
int st_pick(fx_ctx *ctx, const int64_t *in, fx_slice_u32 *out)
{
    size_t n = (size_t)(*in % 4);
    uint32_t *v = fx_alloc(ctx, (n + 1) * sizeof *v);
    if (!v) return FX_ENOMEM;
    for (size_t j = 0; j < n; j++) v[j] = (uint32_t)((*in + (int64_t)j) % 3);
    out->ptr = v;
    out->len = n;
    return 0;
}

int st_kv(fx_ctx *ctx, const int64_t *in, fx_kv_i64_i64 *out)
{
    atomic_fetch_add(&stage_calls, 1);
    jitter();
    if (rnd() % 40 == 0) return fx_fail(ctx, 12, "mapper on %lld", (long long)*in);
    out->key = *in % 3;
    out->value = *in;
    return 0;
}

int st_keyof(fx_ctx *ctx, const int64_t *in, int64_t *out)
{
    atomic_fetch_add(&stage_calls, 1);
    if (rnd() % 40 == 0) return fx_fail(ctx, 11, "no key for %lld", (long long)*in);
    *out = *in % 4;
    return 0;
}

int st_group_total(fx_ctx *ctx, const fx_group_i64_i64 *in, int64_t *out)
{
    atomic_fetch_add(&stage_calls, 1);
    jitter();
    if (rnd() % 10 == 0) return fx_fail(ctx, 13, "group %lld", (long long)in->key);
    int64_t s = 0;
    for (size_t i = 0; i < in->values.len; i++) s += in->values.ptr[i];
    *out = s;
    return 0;
}

/* ------------------------------------------------------------ timeout, breaker, limiter, swallowing */

static atomic_int dead_letters2[THREADS][ITEMS];
static atomic_long seen_timeout, seen_open, seen_limited, seen_swallowed;   /* reported at the end */
static atomic_int swallowed[THREADS][ITEMS];   /* st_flaky2 failures per slot (each swallowed) */

/* sleeps 0-3 ms on its context (the real clock): the 2 ms timeout fires on
   about a third of the calls; fails with 7 on a tenth */
int st_nap(fx_ctx *ctx, const int64_t *in, int64_t *out)
{
    atomic_fetch_add(&stage_calls, 1);
    int rc = fx_clock_sleep(NULL, ctx, (int64_t)(rnd() % 3000) * 1000);
    if (rc != 0) return rc;
    if (rnd() % 10 == 0) return fx_fail(ctx, 7, "nap %lld", (long long)*in);
    *out = *in;
    return 0;
}

int st_dead2(fx_ctx *ctx, const int64_t *item, const fx_error *err)
{
    (void)ctx;
    CHECK(err != NULL && err->code != 0);
    atomic_fetch_add(&dead_letters2[slot_thread(*item)][slot_index(*item)], 1);
    return 0;
}

int st_flaky2(fx_ctx *ctx, const int64_t *in, int64_t *out)
{
    atomic_fetch_add(&stage_calls, 1);
    jitter();
    if (rnd() % 5 == 0) {
        atomic_fetch_add(&swallowed[slot_thread(*in)][slot_index(*in)], 1);
        return fx_fail(ctx, 7, "flaky2 %lld", (long long)*in);
    }
    *out = *in;
    return 0;
}

/* swallows the stage's own failure (the item goes on as 0), passes the
   context's errors through */
int st_swallow(fx_ctx *ctx, int code)
{
    (void)ctx;
    return code == 7 ? 0 : code;
}

/* ------------------------------------------------------------ canceller */

typedef struct Pending {
    pthread_mutex_t mu;
    fx_ctx *ctx[THREADS];         /* the run in flight per thread, or NULL */
    atomic_bool stop;
    fx_circuit_breaker *cb;       /* the shared resilience pipeline's breaker and limiter, */
    fx_rate_limiter *rl;          /* driven at run time while calls go through them */
} Pending;
static Pending pending = { .mu = PTHREAD_MUTEX_INITIALIZER };

static void *canceller(void *arg)
{
    (void)arg;
    rng = 99;
    while (!atomic_load(&pending.stop)) {
        pthread_mutex_lock(&pending.mu);
        int t = (int)(rnd() % THREADS);
        if (pending.ctx[t] && rnd() % 4 == 0) fx_ctx_cancel(pending.ctx[t]);
        pthread_mutex_unlock(&pending.mu);
        switch (rnd() % 256) {  /* run-time control (SPEC §5.3) under load */
        case 0: fx_circuit_breaker_force_open(pending.cb); break;
        case 1: case 2: fx_circuit_breaker_reset(pending.cb); break;
        case 3: fx_rate_limiter_set_rate(pending.rl, INFINITY); break;
        case 4: fx_rate_limiter_set_rate(pending.rl, 4000.0); break;
        case 5: fx_rate_limiter_set_burst(pending.rl, 1 + (int)(rnd() % 8)); break;
        case 6: (void)fx_rate_limiter_allow(pending.rl); break;
        }
        for (int i = 0; i < 20; i++) sched_yield();
    }
    return NULL;
}

static fx_ctx *begin_run(int t, fx_ctx *root)
{
    fx_ctx *ctx;
    switch (rnd() % 4) {
    case 0: ctx = fx_ctx_with_timeout(root, (int64_t)(rnd() % 3000) * 1000); break;  /* short deadline */
    default: ctx = fx_ctx_with_cancel(root); break;
    }
    CHECK(ctx != NULL);
    pthread_mutex_lock(&pending.mu);
    pending.ctx[t] = ctx;
    pthread_mutex_unlock(&pending.mu);
    return ctx;
}

static fx_ctx *quiet_run(int t, fx_ctx *root)
{
    (void)t;
    fx_ctx *ctx = fx_ctx_with_cancel(root);
    CHECK(ctx != NULL);
    return ctx;
}

static void end_run(int t, fx_ctx *ctx)
{
    pthread_mutex_lock(&pending.mu);
    pending.ctx[t] = NULL;
    pthread_mutex_unlock(&pending.mu);
    fx_ctx_free(ctx);
}

/* ------------------------------------------------------------ the workers */

typedef struct Shared {
    stress_collect *collect;
    stress_failfast *failfast;
    stress_fanned *fanned;
    stress_batched *batched;
    stress_filtered *filtered;
    stress_routed *routed;
    stress_par *par;
    stress_summed *summed;
    stress_reduced *reduced;
    stress_joined *joined;
    stress_pooled *pooled;
    stress_shielded_all *shielded;
    stress_swallowing *swallowing;
    int runs;
} Shared;

static bool is_ctx_code(int rc) { return rc == FX_ECANCELED || rc == FX_EDEADLINE; }

static void run_collect(const Shared *s, int t, int run, fx_ctx *ctx)
{
    int64_t items[ITEMS];
    for (int i = 0; i < ITEMS; i++) {
        items[i] = (int64_t)t * 1000000 + (int64_t)(run % 10000) * 100 + i;
        atomic_store(&dead_letters[t][i], 0);
    }
    fx_slice_i64 in = { items, ITEMS }, out = { 0 };
    int rc = stress_collect_process(s->collect, ctx, &in, &out);
    if (rc == 0) {                      /* every item an output */
        CHECK(out.len == ITEMS);
        for (int i = 0; i < ITEMS; i++) {
            CHECK(out.ptr[i] == items[i]);
            CHECK(atomic_load(&dead_letters[t][i]) == 0);
        }
        return;
    }
    if (rc != FX_EMULTI) {              /* a done context before the map started */
        CHECK(is_ctx_code(rc));
        return;
    }
    /* each item exactly once: an output or one error, dead-lettered at most once */
    const fx_error *err = fx_ctx_error(ctx);
    CHECK(err && err->code == FX_EMULTI && out.len == ITEMS);
    int failed[ITEMS] = { 0 };
    for (size_t k = 0; k < err->count; k++) {
        int idx = err->errors[k].index;
        CHECK(idx >= 0 && idx < ITEMS);
        CHECK(failed[idx] == 0);
        failed[idx] = 1;
        if (k > 0) CHECK(err->errors[k - 1].index < idx);    /* index order */
    }
    for (int i = 0; i < ITEMS; i++) {
        int dl = atomic_load(&dead_letters[t][i]);
        CHECK(dl <= 1);
        if (failed[i]) CHECK(out.ptr[i] == 0);
        else CHECK(out.ptr[i] == items[i] && dl == 0);
    }
}

static void run_failfast(const Shared *s, fx_ctx *ctx)
{
    int64_t items[ITEMS];
    for (int i = 0; i < ITEMS; i++) items[i] = i;
    fx_slice_i64 in = { items, ITEMS }, out = { NULL, 12345 };
    int rc = stress_failfast_process(s->failfast, ctx, &in, &out);
    if (rc == 0) {
        CHECK(out.len == ITEMS);
        for (int i = 0; i < ITEMS; i++) CHECK(out.ptr[i] == i);
        return;
    }
    CHECK(out.ptr == NULL && out.len == 12345);               /* untouched */
    CHECK(rc == FX_EMAP_ITEM || is_ctx_code(rc));
    const fx_error *err = fx_ctx_error(ctx);
    CHECK(err && err->code == rc);
    if (rc == FX_EMAP_ITEM) CHECK(err->index >= 0 && err->index < ITEMS && err->cause);
}

static void run_fanned(const Shared *s, fx_ctx *ctx)
{
    int64_t in = 5;
    fx_slice_i64 out = { NULL, 12345 };
    int rc = stress_fanned_process(s->fanned, ctx, &in, &out);
    if (rc == 0) {
        CHECK(out.len == 3 && out.ptr[0] == 5 && out.ptr[1] == 5 && out.ptr[2] == 5);
        return;
    }
    CHECK(out.ptr == NULL && out.len == 12345);
    CHECK(rc == FX_EFANOUT || is_ctx_code(rc));
    const fx_error *err = fx_ctx_error(ctx);
    CHECK(err && err->code == rc);
    if (rc == FX_EFANOUT) CHECK(err->index >= 0 && err->index < 3);
}

static void run_batched(const Shared *s, fx_ctx *ctx)
{
    int64_t items[10];
    int64_t want = 0;
    for (int i = 0; i < 10; i++) want += 2 * (items[i] = i + 1);
    fx_slice_i64 in = { items, 10 };
    int64_t out = -1;
    int rc = stress_batched_process(s->batched, ctx, &in, &out);
    if (rc == 0) {
        CHECK(out == want);
        return;
    }
    CHECK(out == -1);
    CHECK(rc == FX_EBUFFER || is_ctx_code(rc));
    if (rc == FX_EBUFFER) CHECK(fx_ctx_error(ctx)->index % 3 == 0);   /* a batch offset */
}

static void run_filtered(const Shared *s, fx_ctx *ctx, int64_t v)
{
    int64_t out = -1;
    int rc = stress_filtered_process(s->filtered, ctx, &v, &out);
    if (rc == 0) CHECK(out == v && v % 3 != 0);
    else CHECK(rc == FX_EFILTERED ? v % 3 == 0 : (rc == 7 || is_ctx_code(rc)));
}

static void run_routed(const Shared *s, fx_ctx *ctx, int64_t v)
{
    fx_slice_i64 out = { NULL, 12345 };
    int rc = stress_routed_process(s->routed, ctx, &v, &out);
    size_t n = (size_t)(v % 4);
    if (rc == 0) {
        CHECK(n > 0 && out.len == n);
        for (size_t j = 0; j < n; j++) CHECK(out.ptr[j] == v);
        return;
    }
    CHECK(out.ptr == NULL && out.len == 12345);
    const fx_error *err = fx_ctx_error(ctx);
    CHECK(err && err->code == rc);
    if (rc == FX_ENOROUTE) CHECK(n == 0);
    else if (rc == FX_EFANOUT) CHECK(n > 0 && err->index >= 0 && (size_t)err->index < n && err->cause);
    else CHECK(is_ctx_code(rc));
}

static void run_par(const Shared *s, fx_ctx *ctx, int64_t v)
{
    int64_t out = -1;
    int rc = stress_par_process(s->par, ctx, &v, &out);
    if (rc == 0) {
        CHECK(out == 3 * v);
        return;
    }
    CHECK(out == -1);
    CHECK(rc == FX_EFANOUT || is_ctx_code(rc));
    const fx_error *err = fx_ctx_error(ctx);
    CHECK(err && err->code == rc);
    if (rc == FX_EFANOUT) CHECK(err->index >= 0 && err->index < 3);
}

static void run_summed(const Shared *s, fx_ctx *ctx)
{
    int64_t items[ITEMS], want = 0;
    for (int i = 0; i < ITEMS; i++) want += items[i] = i + 1;
    fx_slice_i64 in = { items, ITEMS };
    int64_t out = -1;
    int rc = stress_summed_process(s->summed, ctx, &in, &out);
    if (rc == 0) CHECK(out == want);
    else CHECK(out == -1 && (rc == FX_EMAP_ITEM || is_ctx_code(rc)) && fx_ctx_error(ctx)->code == rc);
}

/* mapreduce and join_by_key |> map: one sum per key, keys in order of first appearance */
static void run_keyed(const Shared *s, fx_ctx *ctx, int run, bool mapreduce)
{
    int64_t items[ITEMS];
    for (int i = 0; i < ITEMS; i++) items[i] = i * 7 + run % 5;
    const int64_t nkeys = mapreduce ? 3 : 4;
    int64_t keys[4], sums[4];
    int ng = 0;
    for (int i = 0; i < ITEMS; i++) {
        int g = 0;
        while (g < ng && keys[g] != items[i] % nkeys) g++;
        if (g == ng) keys[ng] = items[i] % nkeys, sums[ng++] = 0;
        sums[g] += items[i];
    }
    fx_slice_i64 in = { items, ITEMS }, out = { NULL, 12345 };
    int rc = mapreduce ? stress_reduced_process(s->reduced, ctx, &in, &out)
                       : stress_joined_process(s->joined, ctx, &in, &out);
    if (rc == 0) {
        CHECK(out.len == (size_t)ng);
        for (int g = 0; g < ng; g++) CHECK(out.ptr[g] == sums[g]);
        return;
    }
    CHECK(out.ptr == NULL && out.len == 12345);
    if (mapreduce) CHECK(rc == 12 || rc == 13 || is_ctx_code(rc));   /* the failing stage's own code */
    else CHECK(rc == 11 || rc == FX_EMAP_ITEM || is_ctx_code(rc));
    const fx_error *err = fx_ctx_error(ctx);
    CHECK(err && err->code == rc);
}

static void run_pooled(const Shared *s, fx_ctx *ctx)
{
    int64_t items[10], want = 0;
    for (int i = 0; i < 10; i++) want += 2 * (items[i] = i + 1);
    fx_slice_i64 in = { items, 10 };
    int64_t out = -1;
    int rc = stress_pooled_process(s->pooled, ctx, &in, &out);
    if (rc == 0) {
        CHECK(out == want);
        return;
    }
    CHECK(out == -1);
    CHECK(rc == FX_EBUFFER || is_ctx_code(rc));
    if (rc == FX_EBUFFER) CHECK(fx_ctx_error(ctx)->index % 4 == 0);
}

static void tag_items(int64_t *items, int t, int run, atomic_int (*counters)[ITEMS])
{
    for (int i = 0; i < ITEMS; i++) {
        items[i] = (int64_t)t * 1000000 + (int64_t)(run % 10000) * 100 + i;
        atomic_store(&counters[t][i], 0);
    }
}

/* dlq(rate_limit(circuit_breaker(timeout(nap)))) per item, errors collected:
   every item is its output, or one listed error with a documented code,
   dead-lettered exactly when dlq's default `when` says so */
static void run_shielded(const Shared *s, int t, int run, fx_ctx *ctx)
{
    int64_t items[ITEMS];
    tag_items(items, t, run, dead_letters2);
    fx_slice_i64 in = { items, ITEMS }, out = { 0 };
    int rc = stress_shielded_all_process(s->shielded, ctx, &in, &out);
    if (rc != 0 && rc != FX_EMULTI) {
        CHECK(is_ctx_code(rc));
        for (int i = 0; i < ITEMS; i++) CHECK(atomic_load(&dead_letters2[t][i]) == 0);
        return;
    }
    CHECK(out.len == ITEMS);
    int code[ITEMS] = { 0 };
    if (rc == FX_EMULTI) {
        const fx_error *err = fx_ctx_error(ctx);
        CHECK(err && err->code == FX_EMULTI && err->count > 0);
        for (size_t k = 0; k < err->count; k++) {
            int idx = err->errors[k].index;
            CHECK(idx >= 0 && idx < ITEMS && code[idx] == 0);
            if (k > 0) CHECK(err->errors[k - 1].index < idx);
            code[idx] = err->errors[k].code;
        }
    }
    for (int i = 0; i < ITEMS; i++) {
        int dl = atomic_load(&dead_letters2[t][i]);
        int c = code[i];
        if (c == 0) {
            CHECK(out.ptr[i] == items[i] && dl == 0);
            continue;
        }
        CHECK(out.ptr[i] == 0);
        CHECK(c == 7 || c == FX_ETIMEOUT || c == FX_ERATE_LIMITED || c == FX_ECIRCUIT_OPEN || is_ctx_code(c));
        CHECK(dl == ((c == 7 || c == FX_ETIMEOUT || c == FX_ERATE_LIMITED) ? 1 : 0));
        if (c == FX_ETIMEOUT) atomic_fetch_add(&seen_timeout, 1);
        if (c == FX_ECIRCUIT_OPEN) atomic_fetch_add(&seen_open, 1);
        if (c == FX_ERATE_LIMITED) atomic_fetch_add(&seen_limited, 1);
    }
}

/* map(on_error(flaky2, swallow)): a swallowed failure is the zero value, not
   an error; only the context's errors are listed */
static void run_swallowing(const Shared *s, int t, int run, fx_ctx *ctx)
{
    int64_t items[ITEMS];
    tag_items(items, t, run, swallowed);
    fx_slice_i64 in = { items, ITEMS }, out = { 0 };
    int rc = stress_swallowing_process(s->swallowing, ctx, &in, &out);
    if (rc != 0 && rc != FX_EMULTI) {
        CHECK(is_ctx_code(rc));
        return;
    }
    CHECK(out.len == ITEMS);
    bool listed[ITEMS] = { false };
    if (rc == FX_EMULTI) {
        const fx_error *err = fx_ctx_error(ctx);
        CHECK(err && err->code == FX_EMULTI);
        for (size_t k = 0; k < err->count; k++) {
            int idx = err->errors[k].index;
            CHECK(idx >= 0 && idx < ITEMS && !listed[idx]);
            CHECK(is_ctx_code(err->errors[k].code));
            listed[idx] = true;
        }
    }
    for (int i = 0; i < ITEMS; i++) {
        int sw = atomic_load(&swallowed[t][i]);
        CHECK(sw <= 1);
        if (listed[i]) CHECK(out.ptr[i] == 0);
        else CHECK(out.ptr[i] == (sw ? 0 : items[i]));
        if (!listed[i] && sw) atomic_fetch_add(&seen_swallowed, 1);
    }
}

typedef struct Worker {
    const Shared *s;
    int t;
    long runs;
} Worker;

static void *worker(void *arg)
{
    Worker *w = arg;
    rng = 1234u + (unsigned)w->t * 7919u;
    fx_ctx *root = fx_ctx_new();
    for (int run = 0; run < w->s->runs; run++) {
        /* every other resilience run is left alone by the canceller and has no
           deadline: it takes ~10 ms, and would otherwise almost always end
           cancelled before its timeouts, breaker and limiter have a say */
        fx_ctx *ctx = run % 13 == 11 && (run / 13) % 2 ? quiet_run(w->t, root) : begin_run(w->t, root);
        switch (run % 13) {
        case 0: run_collect(w->s, w->t, run, ctx); break;
        case 1: run_failfast(w->s, ctx); break;
        case 2: run_fanned(w->s, ctx); break;
        case 3: run_batched(w->s, ctx); break;
        case 4: run_filtered(w->s, ctx, run); break;
        case 5: run_routed(w->s, ctx, run / 13 + w->t); break;
        case 6: run_par(w->s, ctx, run); break;
        case 7: run_summed(w->s, ctx); break;
        case 8: run_keyed(w->s, ctx, run, true); break;
        case 9: run_keyed(w->s, ctx, run, false); break;
        case 10: run_pooled(w->s, ctx); break;
        case 11: run_shielded(w->s, w->t, run, ctx); break;
        case 12: run_swallowing(w->s, w->t, run, ctx); break;
        }
        end_run(w->t, ctx);
        fx_ctx_reset(root);
        w->runs++;
    }
    fx_ctx_free(root);
    return NULL;
}

int main(int argc, char **argv)
{
    int runs = argc > 1 ? atoi(argv[1]) : 60;
    if (getenv("STRESS_RUNS")) runs = atoi(getenv("STRESS_RUNS"));
    alarm(BOUND_SECONDS);   /* no deadlock: a hung run is killed and fails the test */

    fx_runtime *rt = fx_runtime_new(&(fx_runtime_config){ .threads = 3 });
    CHECK(rt != NULL);
    Shared s = {
        .collect = stress_collect_new(rt),
        .failfast = stress_failfast_new(rt),
        .fanned = stress_fanned_new(rt),
        .batched = stress_batched_new(rt),
        .filtered = stress_filtered_new(rt),
        .routed = stress_routed_new(rt),
        .par = stress_par_new(rt),
        .summed = stress_summed_new(rt),
        .reduced = stress_reduced_new(rt),
        .joined = stress_joined_new(rt),
        .pooled = stress_pooled_new(rt),
        .shielded = stress_shielded_all_new(rt),
        .swallowing = stress_swallowing_new(rt),
        .runs = runs,
    };
    CHECK(s.collect && s.failfast && s.fanned && s.batched && s.filtered && s.routed && s.par && s.summed &&
          s.reduced && s.joined && s.pooled && s.shielded && s.swallowing);

    pending.cb = stress_shielded_all_cb(s.shielded);
    pending.rl = stress_shielded_all_rl(s.shielded);
    CHECK(pending.cb && pending.rl);
    pthread_t cancel_thread, threads[THREADS];
    Worker w[THREADS];
    pthread_create(&cancel_thread, NULL, canceller, NULL);
    for (int t = 0; t < THREADS; t++) {
        w[t] = (Worker){ .s = &s, .t = t };
        pthread_create(&threads[t], NULL, worker, &w[t]);
    }
    long total = 0;
    for (int t = 0; t < THREADS; t++) {
        pthread_join(threads[t], NULL);
        total += w[t].runs;
    }
    atomic_store(&pending.stop, true);
    pthread_join(cancel_thread, NULL);

    stress_collect_free(s.collect);
    stress_failfast_free(s.failfast);
    stress_fanned_free(s.fanned);
    stress_batched_free(s.batched);
    stress_filtered_free(s.filtered);
    stress_routed_free(s.routed);
    stress_par_free(s.par);
    stress_summed_free(s.summed);
    stress_reduced_free(s.reduced);
    stress_joined_free(s.joined);
    stress_pooled_free(s.pooled);
    stress_shielded_all_free(s.shielded);
    stress_swallowing_free(s.swallowing);
    fx_runtime_free(rt);
    printf("stress: %ld runs on %d threads, %ld stage calls, every item accounted for "
           "(%ld timeouts, %ld open-breaker rejections, %ld rate-limited, %ld swallowed)\n",
           total, THREADS, atomic_load(&stage_calls), atomic_load(&seen_timeout), atomic_load(&seen_open),
           atomic_load(&seen_limited), atomic_load(&seen_swallowed));
    return total == (long)runs * THREADS ? 0 : 1;
}
