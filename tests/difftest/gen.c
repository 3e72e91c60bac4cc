/*
 * gen.c — the differential tester's program generator and reference model.
 *
 * `gen SEED DIR` writes DIR/dt_SEED.fx, a module of random well-typed
 * pipelines over i64 and [i64], and DIR/dt_SEED_main.c: the seeded stage
 * functions (they fail deterministically, some after scribbling on their
 * output), the on_error handlers, and a driver that runs every pipeline on
 * its inputs and compares each result with what this file's reference
 * interpreter expects. The expectations are computed here, by a small
 * single-threaded evaluator written from SPEC §5.4, never from the
 * generated code; the driver exits 1 on the first disagreement and prints
 * the pipeline, the input and both results.
 *
 * Compared for every (pipeline, input): the return code (0, the failing
 * stage's code, FX_EMAP_ITEM, FX_EMULTI, FX_EFANOUT, FX_EBUFFER,
 * FX_ERETRY_EXHAUSTED, FX_EFILTERED, an on_error replacement), the output
 * when the code is 0, that an error leaves the pipeline's output untouched
 * (except FX_EFILTERED and FX_EMULTI, whose partial outputs docs/PATTERNS.md
 * defines), and that a failure has an error record with the same code.
 *
 * Combinators: |>, chain, nested pipelines, `as`, on_error, metrics, trace,
 * retry, filter, map (fail-fast and collect_errors, with concurrency),
 * fanout, router, parallel, fanin, buffer, pooled_buffer, mapreduce,
 * join_by_key (followed by a map of a reducer), timeout, circuit_breaker,
 * rate_limit. Time is the runtime's fake clock in auto mode (a sleep jumps
 * it), so time-driven combinators are deterministic: a timeout either has
 * `after: 1h` (never fires) or wraps a stage that sleeps a known time on its
 * context; a breaker has `reset: 1h` (never half-opens within a program) or
 * a reset of 20-80 ms that the sleeps make pass (the model keeps the clock:
 * model_now_ms); a limiter has `rate: inf`, `rate: 1/h, burst: b, wait: 1ms`
 * (exactly b calls pass per instance) or `rate: 100/s, burst: b, wait: 0s`
 * (refilled by the sleeps, never waits). Breakers, bounded limiters and firing timeouts
 * are generated only where calls are sequential (see seq_ok), and the model
 * keeps their state across the inputs of a pipeline in the driver's order.
 * Add one: a case in gen_expr, a case in eval, a case in print_expr.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ random */

static uint64_t rng_state;
static uint64_t rnd(void)
{
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}
static int pick(int n) { return (int)(rnd() % (uint64_t)n); }
static bool chance(int percent) { return pick(100) < percent; }

/* ------------------------------------------------------------ the runtime's codes */
/* The FX_E… values are part of the contract (SPEC §5.2); handlers see them. */
#include <fluxus/error.h>
enum { C_MAP_ITEM = FX_EMAP_ITEM, C_MULTI = FX_EMULTI, C_FANOUT = FX_EFANOUT, C_BUFFER = FX_EBUFFER,
       C_RETRY_EXHAUSTED = FX_ERETRY_EXHAUSTED, C_FILTERED = FX_EFILTERED, C_NOROUTE = FX_ENOROUTE,
       C_INVAL = FX_EINVAL, C_TIMEOUT = FX_ETIMEOUT, C_OPEN = FX_ECIRCUIT_OPEN, C_LIMITED = FX_ERATE_LIMITED };
static const char *code_macro(int c)
{
    switch (c) {
    case FX_EMAP_ITEM: return "FX_EMAP_ITEM";
    case FX_EMULTI: return "FX_EMULTI";
    case FX_EFANOUT: return "FX_EFANOUT";
    case FX_EBUFFER: return "FX_EBUFFER";
    case FX_ERETRY_EXHAUSTED: return "FX_ERETRY_EXHAUSTED";
    case FX_EFILTERED: return "FX_EFILTERED";
    case FX_ENOROUTE: return "FX_ENOROUTE";
    case FX_EINVAL: return "FX_EINVAL";
    case FX_ETIMEOUT: return "FX_ETIMEOUT";
    case FX_ECIRCUIT_OPEN: return "FX_ECIRCUIT_OPEN";
    case FX_ERATE_LIMITED: return "FX_ERATE_LIMITED";
    }
    return NULL;
}

/* ------------------------------------------------------------ values */

#define MOD 1000003
enum { T_I64, T_VEC, T_KV, T_GROUP };   /* T_KV: key i, value v[0]; T_GROUP: key i, values v[0..n) */
typedef struct Value {
    int type;
    int64_t i;
    int64_t v[64];
    int n;
} Value;

/* ------------------------------------------------------------ stages (shared by model and C) */

/* S_SEL: a router's selector (i64) -> [u32]; S_KV: a mapreduce mapper
 * (i64) -> KeyValue<i64, i64>; S_RED: a reducer (Group<i64, i64>) -> i64;
 * S_KEY: a join_by_key key (i64) -> i64; S_SLEEP: (i64) -> i64 that sleeps
 * on its context (the runtime's fake clock, auto mode), only ever directly
 * inside a timeout. */
enum { S_AFFINE, S_SPLIT, S_SUM, S_VEC, S_PRED, S_SEL, S_KV, S_RED, S_KEY, S_SLEEP, S_KINDS };
typedef struct Stage {
    int kind;
    int id;
    int64_t a, b, c, m;   /* parameters */
    bool scribble;        /* writes its output before failing */
} Stage;

#define MAX_STAGES 24
static Stage stages[MAX_STAGES];
static int nstages;

static int stage_code(const Stage *s) { return 10 + s->id; }

/* Model of one call. Returns 0 or the stage's code. */
static int stage_eval(const Stage *s, const Value *in, Value *out)
{
    memset(out, 0, sizeof *out);
    switch (s->kind) {
    case S_AFFINE:
        out->type = T_I64;
        if ((in->i + s->c) % s->m == 0) return stage_code(s);
        out->i = (in->i * s->a + s->b) % MOD;
        return 0;
    case S_SPLIT:
        out->type = T_VEC;
        if ((in->i + s->c) % s->m == 0) return stage_code(s);
        out->n = (int)(in->i % 4);
        for (int j = 0; j < out->n; j++) out->v[j] = (in->i + j * s->b) % MOD;
        return 0;
    case S_SUM: {
        out->type = T_I64;
        if (in->n == (int)s->m) return stage_code(s);
        int64_t sum = s->b;
        for (int j = 0; j < in->n; j++) sum = (sum + in->v[j]) % MOD;
        out->i = sum;
        return 0;
    }
    case S_VEC:
        out->type = T_VEC;
        for (int j = 0; j < in->n; j++)
            if ((in->v[j] + s->c) % s->m == 0) return stage_code(s);
        out->n = in->n;
        for (int j = 0; j < in->n; j++) out->v[j] = (in->v[j] + s->b) % MOD;
        return 0;
    case S_PRED:
        out->type = T_I64;
        out->i = (in->i + s->c) % s->m != 0;   /* 1 = passes */
        return 0;
    case S_SEL:                                 /* 0 to 3 indices in 0..4; distinct when m is odd */
        out->type = T_VEC;
        out->n = (int)((in->i + s->c) % 4);
        for (int j = 0; j < out->n; j++) out->v[j] = (in->i * s->a + s->b + j * (s->m % 2)) % 5;
        return 0;
    case S_KV:
        out->type = T_KV;
        if ((in->i + s->c) % s->m == 0) return stage_code(s);
        out->i = (in->i + s->b) % (2 + s->a % 3);
        out->v[0] = in->i;
        return 0;
    case S_RED: {                               /* order-sensitive: values in input order */
        out->type = T_I64;
        if (in->n == (int)s->m) return stage_code(s);
        int64_t sum = in->i * 1000 + s->b;
        for (int j = 0; j < in->n; j++) sum = (sum * 3 + in->v[j]) % MOD;
        out->i = sum;
        return 0;
    }
    case S_KEY:
        out->type = T_I64;
        if ((in->i + s->c) % s->m == 0) return stage_code(s);
        out->i = (in->i + s->b) % (2 + s->a % 3);
        return 0;
    case S_SLEEP:                               /* the sleep itself is modelled by E_TIMEOUT */
        out->type = T_I64;
        out->i = (in->i + s->b) % MOD;
        return 0;
    }
    abort();
}

static void emit_stage_c(FILE *f, const Stage *s)
{
    const int code = stage_code(s);
    switch (s->kind) {
    case S_AFFINE:
        fprintf(f, "int dt_f%d(fx_ctx *ctx, const int64_t *in, int64_t *out)\n{\n", s->id);
        fprintf(f, "    if ((*in + %" PRId64 ") %% %" PRId64 " == 0) {\n", s->c, s->m);
        if (s->scribble) fprintf(f, "        *out = -77;\n");
        fprintf(f, "        return fx_fail(ctx, %d, \"f%d failed on %%lld\", (long long)*in);\n    }\n", code, s->id);
        fprintf(f, "    *out = (*in * %" PRId64 " + %" PRId64 ") %% %d;\n    return 0;\n}\n\n", s->a, s->b, MOD);
        break;
    case S_SPLIT:
        fprintf(f, "int dt_f%d(fx_ctx *ctx, const int64_t *in, fx_slice_i64 *out)\n{\n", s->id);
        fprintf(f, "    if ((*in + %" PRId64 ") %% %" PRId64 " == 0) {\n", s->c, s->m);
        if (s->scribble) fprintf(f, "        out->len = 99;\n");
        fprintf(f, "        return %d;\n    }\n", code);
        fprintf(f, "    size_t n = (size_t)(*in %% 4);\n");
        fprintf(f, "    int64_t *v = fx_alloc(ctx, (n + 1) * sizeof *v);\n    if (!v) return FX_ENOMEM;\n");
        fprintf(f, "    for (size_t j = 0; j < n; j++) v[j] = (*in + (int64_t)j * %" PRId64 ") %% %d;\n", s->b, MOD);
        fprintf(f, "    out->ptr = v;\n    out->len = n;\n    return 0;\n}\n\n");
        break;
    case S_SUM:
        fprintf(f, "int dt_f%d(fx_ctx *ctx, const fx_slice_i64 *in, int64_t *out)\n{\n", s->id);
        fprintf(f, "    if (in->len == %" PRId64 ") return fx_fail(ctx, %d, NULL);\n", s->m, code);
        fprintf(f, "    int64_t sum = %" PRId64 ";\n", s->b);
        fprintf(f, "    for (size_t j = 0; j < in->len; j++) sum = (sum + in->ptr[j]) %% %d;\n", MOD);
        fprintf(f, "    *out = sum;\n    return 0;\n}\n\n");
        break;
    case S_VEC:
        fprintf(f, "int dt_f%d(fx_ctx *ctx, const fx_slice_i64 *in, fx_slice_i64 *out)\n{\n", s->id);
        fprintf(f, "    for (size_t j = 0; j < in->len; j++)\n");
        fprintf(f, "        if ((in->ptr[j] + %" PRId64 ") %% %" PRId64 " == 0) return fx_fail(ctx, %d, \"item %%zu\", j);\n",
                s->c, s->m, code);
        fprintf(f, "    int64_t *v = fx_alloc(ctx, (in->len + 1) * sizeof *v);\n    if (!v) return FX_ENOMEM;\n");
        fprintf(f, "    for (size_t j = 0; j < in->len; j++) v[j] = (in->ptr[j] + %" PRId64 ") %% %d;\n", s->b, MOD);
        fprintf(f, "    out->ptr = v;\n    out->len = in->len;\n    return 0;\n}\n\n");
        break;
    case S_PRED:
        fprintf(f, "int dt_f%d(fx_ctx *ctx, const int64_t *in, bool *out)\n{\n    (void)ctx;\n", s->id);
        fprintf(f, "    *out = (*in + %" PRId64 ") %% %" PRId64 " != 0;\n    return 0;\n}\n\n", s->c, s->m);
        break;
    case S_SEL:
        fprintf(f, "int dt_f%d(fx_ctx *ctx, const int64_t *in, fx_slice_u32 *out)\n{\n", s->id);
        fprintf(f, "    size_t n = (size_t)((*in + %" PRId64 ") %% 4);\n", s->c);
        fprintf(f, "    uint32_t *v = fx_alloc(ctx, (n + 1) * sizeof *v);\n    if (!v) return FX_ENOMEM;\n");
        fprintf(f, "    for (size_t j = 0; j < n; j++) v[j] = (uint32_t)((*in * %" PRId64 " + %" PRId64 " + (int64_t)j * %" PRId64 ") %% 5);\n",
                s->a, s->b, s->m % 2);
        fprintf(f, "    out->ptr = v;\n    out->len = n;\n    return 0;\n}\n\n");
        break;
    case S_KV:
        fprintf(f, "int dt_f%d(fx_ctx *ctx, const int64_t *in, fx_kv_i64_i64 *out)\n{\n", s->id);
        fprintf(f, "    if ((*in + %" PRId64 ") %% %" PRId64 " == 0) return fx_fail(ctx, %d, \"mapper on %%lld\", (long long)*in);\n",
                s->c, s->m, code);
        fprintf(f, "    out->key = (*in + %" PRId64 ") %% %" PRId64 ";\n    out->value = *in;\n    return 0;\n}\n\n",
                s->b, 2 + s->a % 3);
        break;
    case S_RED:
        fprintf(f, "int dt_f%d(fx_ctx *ctx, const fx_group_i64_i64 *in, int64_t *out)\n{\n", s->id);
        fprintf(f, "    if (in->values.len == %" PRId64 ") return fx_fail(ctx, %d, \"group of %%zu\", in->values.len);\n",
                s->m, code);
        fprintf(f, "    int64_t sum = in->key * 1000 + %" PRId64 ";\n", s->b);
        fprintf(f, "    for (size_t j = 0; j < in->values.len; j++) sum = (sum * 3 + in->values.ptr[j]) %% %d;\n", MOD);
        fprintf(f, "    *out = sum;\n    return 0;\n}\n\n");
        break;
    case S_KEY:
        fprintf(f, "int dt_f%d(fx_ctx *ctx, const int64_t *in, int64_t *out)\n{\n    (void)ctx;\n", s->id);
        fprintf(f, "    if ((*in + %" PRId64 ") %% %" PRId64 " == 0) return %d;\n", s->c, s->m, code);
        fprintf(f, "    *out = (*in + %" PRId64 ") %% %" PRId64 ";\n    return 0;\n}\n\n", s->b, 2 + s->a % 3);
        break;
    case S_SLEEP:   /* sleeps (in % 5) * 10 + 5 ms on the fake clock (auto mode: no real wait) */
        fprintf(f, "int dt_f%d(fx_ctx *ctx, const int64_t *in, int64_t *out)\n{\n", s->id);
        fprintf(f, "    int rc = fx_clock_sleep(dt_clock, ctx, (int64_t)((*in %% 5) * 10 + 5) * 1000000);\n");
        fprintf(f, "    if (rc != 0) return rc;\n");
        fprintf(f, "    *out = (*in + %" PRId64 ") %% %d;\n    return 0;\n}\n\n", s->b, MOD);
        break;
    }
}

static const char *stage_sig(int kind)
{
    switch (kind) {
    case S_AFFINE: return "(i64) -> i64";
    case S_SPLIT: return "(i64) -> [i64]";
    case S_SUM: return "([i64]) -> i64";
    case S_VEC: return "([i64]) -> [i64]";
    case S_PRED: return "(i64) -> bool";
    case S_SEL: return "(i64) -> [u32]";
    case S_KV: return "(i64) -> KeyValue<i64, i64>";
    case S_RED: return "(Group<i64, i64>) -> i64";
    case S_KEY: return "(i64) -> i64";
    case S_SLEEP: return "(i64) -> i64";
    }
    return "?";
}

static int stage_of_kind(int kind)
{
    int cand[MAX_STAGES], n = 0;
    for (int i = 0; i < nstages; i++)
        if (stages[i].kind == kind) cand[n++] = i;
    return cand[pick(n)];
}

/* ------------------------------------------------------------ on_error handlers */
/* Handler k: swallows codes whose |code| % 3 == k % 3, replaces those with
 * |code| % 3 == (k+1) % 3 by 500 + k, passes the others through. */
#define NHANDLERS 4
static int handler_eval(int k, int code)
{
    int a = code < 0 ? -code : code;
    if (a % 3 == k % 3) return 0;
    if (a % 3 == (k + 1) % 3) return 500 + k;
    return code;
}

/* ------------------------------------------------------------ expressions */

enum { E_STAGE, E_PIPE, E_CHAIN, E_NESTED, E_AS, E_ON_ERROR, E_METRICS, E_TRACE, E_RETRY, E_FILTER,
       E_MAP, E_FANOUT, E_BUFFER, E_ROUTER, E_PARALLEL, E_FANIN, E_MAPREDUCE, E_JOIN, E_TIMEOUT,
       E_TIMEOUT_SLEEP, E_BREAKER, E_LIMIT };
typedef struct Expr {
    int kind;
    int in, out;              /* T_I64 / T_VEC */
    int stage;                /* E_STAGE, E_FILTER (the predicate) */
    int pipeline;             /* E_NESTED */
    int handler;              /* E_ON_ERROR */
    int attempts;             /* E_RETRY */
    int concurrency;          /* E_MAP (0 = not given) */
    bool collect;             /* E_MAP */
    int size;                 /* E_BUFFER */
    bool pooled;              /* E_BUFFER: pooled_buffer */
    int stage2;               /* E_ROUTER selector, E_PARALLEL/E_FANIN reduce, E_MAPREDUCE/E_JOIN reducer */
    int after_ms;             /* E_TIMEOUT_SLEEP (E_TIMEOUT: 1h, never fires) */
    int failures;             /* E_BREAKER */
    int reset_ms;             /* E_BREAKER: 0 = reset: 1h (never half-opens within a program) */
    int successes;            /* E_BREAKER */
    int burst;                /* E_LIMIT: 0 = rate: inf, else rate: 1/h (or 100/s) with that burst */
    bool refill;              /* E_LIMIT: rate: 100/s, wait: 0s (else rate: 1/h, wait: 1ms) */
    /* model state of a stateful component (one instance per top-level pipeline) */
    int consec;
    int state;                /* E_BREAKER: B_CLOSED, B_OPEN, B_HALF */
    int64_t opened_at;        /* E_BREAKER: model clock (ms) when it last opened */
    int succ;                 /* E_BREAKER: consecutive half-open successes */
    int tokens;               /* E_LIMIT 1/h: tokens taken; 100/s: tenths of a token held */
    bool started;             /* E_LIMIT 100/s */
    int64_t last_ms;          /* E_LIMIT 100/s: model clock of the last refill */
    int nparts;
    struct Expr *parts[4];
} Expr;

typedef struct Pipeline {
    int in, out;
    Expr *body;
    bool helper;              /* only used nested */
    bool seq_only;            /* holds a stateful or clock-moving component: never nested */
} Pipeline;

#define MAX_PIPES 64
static Pipeline pipes[MAX_PIPES];
static int npipes;
static int as_counter;
/* Stateful components (breaker, limiter with a burst) and timeouts that fire
 * (a sleeping stage on the fake clock in auto mode) must see their calls in
 * the model's order: they are generated only where calls are sequential (not
 * under map, fanout, router, parallel, not in helpers), and a pipeline that
 * holds one is never nested in another (its instance would be another). */
static bool seq_ok;
static bool made_seq;
/* The model's clock, in ms since the driver's runtime started: only the
 * sleeping stages of firing timeouts move the fake clock (auto mode), each by
 * min(its sleep, the timeout's `after`) (the sleep ends at the earlier of its
 * own deadline and its context's). The driver runs the pipelines and inputs
 * in the order the model evaluates them, so both clocks agree. */
static int64_t model_now_ms;
enum { B_CLOSED, B_OPEN, B_HALF };

static Expr *new_expr(int kind, int in, int out)
{
    Expr *e = calloc(1, sizeof *e);
    if (!e) abort();
    e->kind = kind;
    e->in = in;
    e->out = out;
    return e;
}

static Expr *gen_expr(int in, int out, int depth);

static Expr *gen_stage(int in, int out)
{
    int kind = in == T_I64 ? (out == T_I64 ? S_AFFINE : S_SPLIT) : (out == T_I64 ? S_SUM : S_VEC);
    Expr *e = new_expr(E_STAGE, in, out);
    e->stage = stage_of_kind(kind);
    return e;
}

static Expr *gen_sleep_timeout(void)
{
    Expr *e = new_expr(E_TIMEOUT_SLEEP, T_I64, T_I64);
    e->stage = stage_of_kind(S_SLEEP);
    e->after_ms = 10 * (1 + pick(5));
    made_seq = true;
    return e;
}

/* The part of a breaker with a short reset or of a refilling limiter: most
 * often it starts with a firing timeout's sleep, so the clock moves between
 * calls (and the timeouts make failures). */
static Expr *gen_timed(int in, int out, int depth)
{
    if (in != T_I64 || !chance(70)) return gen_expr(in, out, depth);
    Expr *e = new_expr(E_PIPE, in, out);
    e->nparts = 2;
    e->parts[0] = gen_sleep_timeout();
    e->parts[1] = gen_expr(T_I64, out, depth);
    return e;
}

/* (timeout(sleep, after: 50ms) |> e): the sleep (5-45 ms) never fires, it
 * only moves the clock, also while e is an open breaker that calls nothing */
static Expr *with_tick(Expr *e)
{
    if (e->in != T_I64 || !chance(70)) return e;
    Expr *p = new_expr(E_PIPE, T_I64, e->out);
    p->nparts = 2;
    p->parts[0] = gen_sleep_timeout();
    p->parts[0]->after_ms = 50;
    p->parts[1] = e;
    return p;
}

static Expr *gen_expr(int in, int out, int depth)
{
    if (depth <= 0 || chance(25))
        return gen_stage(in, out);
    for (;;) {
        switch (pick(20)) {
        case 0: case 1: {       /* a |> b through a random middle type */
            int mid = pick(2);
            Expr *e = new_expr(E_PIPE, in, out);
            e->nparts = 2;
            e->parts[0] = gen_expr(in, mid, depth - 1);
            e->parts[1] = gen_expr(mid, out, depth - 1);
            return e;
        }
        case 2: {               /* chain(a, b, c) */
            Expr *e = new_expr(E_CHAIN, in, out);
            e->nparts = 2 + pick(2);
            int t = in;
            for (int i = 0; i < e->nparts; i++) {
                int next = i == e->nparts - 1 ? out : pick(2);
                e->parts[i] = gen_expr(t, next, depth - 1);
                t = next;
            }
            return e;
        }
        case 3: {               /* a helper pipeline of the same type */
            int cand[MAX_PIPES], n = 0;
            for (int i = 0; i < npipes; i++)
                if (pipes[i].in == in && pipes[i].out == out && !pipes[i].seq_only) cand[n++] = i;
            if (n == 0) continue;
            Expr *e = new_expr(E_NESTED, in, out);
            e->pipeline = cand[pick(n)];
            return e;
        }
        case 4: {
            Expr *e = new_expr(E_AS, in, out);
            e->nparts = 1;
            e->parts[0] = gen_expr(in, out, depth - 1);
            return e;
        }
        case 5: {
            Expr *e = new_expr(E_ON_ERROR, in, out);
            e->handler = pick(NHANDLERS);
            e->nparts = 1;
            e->parts[0] = gen_expr(in, out, depth - 1);
            return e;
        }
        case 6: {
            Expr *e = new_expr(pick(2) ? E_METRICS : E_TRACE, in, out);
            e->nparts = 1;
            e->parts[0] = gen_expr(in, out, depth - 1);
            return e;
        }
        case 7: {
            Expr *e = new_expr(E_RETRY, in, out);
            e->attempts = 1 + pick(3);
            e->nparts = 1;
            e->parts[0] = gen_expr(in, out, depth - 1);
            return e;
        }
        case 8: {               /* filter(pred): i64 -> i64 */
            if (in != T_I64 || out != T_I64) continue;
            Expr *e = new_expr(E_FILTER, in, out);
            e->stage = stage_of_kind(S_PRED);
            return e;
        }
        case 9: {               /* map(s): [i64] -> [i64], s: i64 -> i64 */
            if (in != T_VEC || out != T_VEC) continue;
            Expr *e = new_expr(E_MAP, in, out);
            e->collect = chance(50);
            e->concurrency = chance(50) ? 1 + pick(4) : 0;
            e->nparts = 1;
            bool save = seq_ok;
            seq_ok = false;
            e->parts[0] = gen_expr(T_I64, T_I64, depth - 1);
            seq_ok = save;
            return e;
        }
        case 10: case 13: {     /* fanout(s1..sk) / router(sel, s1..sk): i64 -> [i64] */
            if (in != T_I64 || out != T_VEC) continue;
            bool router = chance(50);
            Expr *e = new_expr(router ? E_ROUTER : E_FANOUT, in, out);
            e->nparts = 1 + pick(router ? 4 : 3);
            if (router) {
                e->stage2 = stage_of_kind(S_SEL);
                e->concurrency = chance(50) ? 1 + pick(3) : 0;
            }
            bool save = seq_ok;
            seq_ok = false;
            for (int i = 0; i < e->nparts; i++) e->parts[i] = gen_expr(T_I64, T_I64, depth - 1);
            seq_ok = save;
            return e;
        }
        case 11: {              /* buffer / pooled_buffer(batch, size: n): [i64] -> [i64] */
            if (in != T_VEC || out != T_VEC) continue;
            Expr *e = new_expr(E_BUFFER, in, out);
            e->size = 1 + pick(3);
            e->pooled = chance(50);
            e->nparts = 1;
            e->parts[0] = gen_expr(T_VEC, T_VEC, depth - 1);
            return e;
        }
        case 12: {              /* parallel(s1..sk, reduce: sum): i64 -> i64 */
            if (in != T_I64 || out != T_I64) continue;
            Expr *e = new_expr(E_PARALLEL, in, out);
            e->nparts = 1 + pick(3);
            e->stage2 = stage_of_kind(S_SUM);
            e->concurrency = chance(50) ? 1 + pick(3) : 0;
            bool save = seq_ok;
            seq_ok = false;
            for (int i = 0; i < e->nparts; i++) e->parts[i] = gen_expr(T_I64, T_I64, depth - 1);
            seq_ok = save;
            return e;
        }
        case 14: {              /* fanin(sum): [i64] -> i64 */
            if (in != T_VEC || out != T_I64) continue;
            Expr *e = new_expr(E_FANIN, in, out);
            e->stage2 = stage_of_kind(S_SUM);
            return e;
        }
        case 15: case 16: {     /* mapreduce(kv, red, parallelism: n) / join_by_key(key) |> map(red): [i64] -> [i64] */
            if (in != T_VEC || out != T_VEC) continue;
            Expr *e = new_expr(chance(50) ? E_MAPREDUCE : E_JOIN, in, out);
            e->stage = stage_of_kind(e->kind == E_MAPREDUCE ? S_KV : S_KEY);
            e->stage2 = stage_of_kind(S_RED);
            e->concurrency = chance(50) ? 1 + pick(4) : 0;
            e->collect = e->kind == E_JOIN && chance(50);
            return e;
        }
        case 17: {              /* timeout: never fires (1h), or a sleeping stage on the fake clock */
            if (seq_ok && in == T_I64 && out == T_I64 && chance(60)) return gen_sleep_timeout();
            Expr *e = new_expr(E_TIMEOUT, in, out);
            e->nparts = 1;
            e->parts[0] = gen_expr(in, out, depth - 1);
            return e;
        }
        case 18: {              /* circuit_breaker(s, failures: n, reset: 1h) */
            if (!seq_ok) continue;
            Expr *e = new_expr(E_BREAKER, in, out);
            e->failures = 1 + pick(3);
            e->reset_ms = chance(50) ? 0 : 20 * (1 + pick(4));
            e->successes = 1 + pick(2);
            e->nparts = 1;
            e->parts[0] = e->reset_ms ? gen_timed(in, out, depth - 1) : gen_expr(in, out, depth - 1);
            made_seq = true;
            return e->reset_ms ? with_tick(e) : e;
        }
        case 19: {              /* rate_limit(s, rate: inf) or (rate: 1/h, burst: b, wait: 1ms) */
            Expr *e = new_expr(E_LIMIT, in, out);
            e->burst = seq_ok && chance(60) ? 1 + pick(12) : 0;
            e->refill = e->burst && chance(50);
            if (e->burst) made_seq = true;
            e->nparts = 1;
            e->parts[0] = e->refill ? gen_timed(in, out, depth - 1) : gen_expr(in, out, depth - 1);
            return e->refill ? with_tick(e) : e;
        }
        default:
            return gen_stage(in, out);
        }
    }
}

/* ------------------------------------------------------------ printing .fx */

static void print_expr(FILE *f, const Expr *e)
{
    switch (e->kind) {
    case E_STAGE: fprintf(f, "s%d", stages[e->stage].id); return;
    case E_PIPE:
        fprintf(f, "(");
        print_expr(f, e->parts[0]);
        fprintf(f, " |> ");
        print_expr(f, e->parts[1]);
        fprintf(f, ")");
        return;
    case E_CHAIN:
        fprintf(f, "chain(");
        for (int i = 0; i < e->nparts; i++) {
            if (i) fprintf(f, ", ");
            print_expr(f, e->parts[i]);
        }
        fprintf(f, ")");
        return;
    case E_NESTED: fprintf(f, "p%d", e->pipeline); return;
    case E_AS:
        fprintf(f, "(");
        print_expr(f, e->parts[0]);
        fprintf(f, " as n%d)", as_counter++);
        return;
    case E_ON_ERROR:
        fprintf(f, "on_error(");
        print_expr(f, e->parts[0]);
        fprintf(f, ", dt_h%d)", e->handler);
        return;
    case E_METRICS:
    case E_TRACE:
        fprintf(f, "%s(", e->kind == E_METRICS ? "metrics" : "trace");
        print_expr(f, e->parts[0]);
        fprintf(f, ", name: \"%c%d\")", e->kind == E_METRICS ? 'm' : 't', as_counter++);
        return;
    case E_RETRY:
        fprintf(f, "retry(");
        print_expr(f, e->parts[0]);
        fprintf(f, ", attempts: %d)", e->attempts);
        return;
    case E_FILTER: fprintf(f, "filter(s%d)", stages[e->stage].id); return;
    case E_MAP:
        fprintf(f, "map(");
        print_expr(f, e->parts[0]);
        if (e->concurrency) fprintf(f, ", concurrency: %d", e->concurrency);
        if (e->collect) fprintf(f, ", collect_errors: true");
        fprintf(f, ")");
        return;
    case E_FANOUT:
        fprintf(f, "fanout(");
        for (int i = 0; i < e->nparts; i++) {
            if (i) fprintf(f, ", ");
            print_expr(f, e->parts[i]);
        }
        fprintf(f, ")");
        return;
    case E_BUFFER:
        fprintf(f, "%s(", e->pooled ? "pooled_buffer" : "buffer");
        print_expr(f, e->parts[0]);
        fprintf(f, ", size: %d)", e->size);
        return;
    case E_ROUTER:
    case E_PARALLEL:
        fprintf(f, e->kind == E_ROUTER ? "router(s%d, " : "parallel(", stages[e->stage2].id);
        for (int i = 0; i < e->nparts; i++) {
            if (i) fprintf(f, ", ");
            print_expr(f, e->parts[i]);
        }
        if (e->kind == E_PARALLEL) fprintf(f, ", reduce: s%d", stages[e->stage2].id);
        if (e->concurrency) fprintf(f, ", concurrency: %d", e->concurrency);
        fprintf(f, ")");
        return;
    case E_FANIN: fprintf(f, "fanin(s%d)", stages[e->stage2].id); return;
    case E_MAPREDUCE:
        fprintf(f, "mapreduce(s%d, s%d", stages[e->stage].id, stages[e->stage2].id);
        if (e->concurrency) fprintf(f, ", parallelism: %d", e->concurrency);
        fprintf(f, ")");
        return;
    case E_JOIN:
        fprintf(f, "(join_by_key(s%d) |> map(s%d", stages[e->stage].id, stages[e->stage2].id);
        if (e->concurrency) fprintf(f, ", concurrency: %d", e->concurrency);
        if (e->collect) fprintf(f, ", collect_errors: true");
        fprintf(f, "))");
        return;
    case E_TIMEOUT:
        fprintf(f, "timeout(");
        print_expr(f, e->parts[0]);
        fprintf(f, ", after: 1h)");
        return;
    case E_TIMEOUT_SLEEP: fprintf(f, "timeout(s%d, after: %dms)", stages[e->stage].id, e->after_ms); return;
    case E_BREAKER:
        fprintf(f, "circuit_breaker(");
        print_expr(f, e->parts[0]);
        if (e->reset_ms) fprintf(f, ", failures: %d, reset: %dms, successes: %d)", e->failures, e->reset_ms, e->successes);
        else fprintf(f, ", failures: %d, reset: 1h)", e->failures);
        return;
    case E_LIMIT:
        fprintf(f, "rate_limit(");
        print_expr(f, e->parts[0]);
        if (e->refill) fprintf(f, ", rate: 100/s, burst: %d, wait: 0s)", e->burst);
        else if (e->burst) fprintf(f, ", rate: 1/h, burst: %d, wait: 1ms)", e->burst);
        else fprintf(f, ", rate: inf)");
        return;
    }
}

/* ------------------------------------------------------------ the reference model (SPEC §5.4) */

static void zero_value(int type, Value *v)
{
    memset(v, 0, sizeof *v);
    v->type = type;
}

/* Evaluates e on `in`. Returns 0 or an error code; *out is meaningful on 0
 * (and, for FX_EFILTERED, holds the input). */
static int eval(const Expr *e, const Value *in, Value *out)
{
    switch (e->kind) {
    case E_STAGE:
        return stage_eval(&stages[e->stage], in, out);
    case E_PIPE:
    case E_CHAIN: {             /* stops at the first error */
        Value cur = *in, next;
        for (int i = 0; i < e->nparts; i++) {
            int rc = eval(e->parts[i], &cur, &next);
            if (rc != 0) {
                *out = next;
                return rc;
            }
            cur = next;
        }
        *out = cur;
        return 0;
    }
    case E_NESTED:
        return eval(pipes[e->pipeline].body, in, out);
    case E_AS:
    case E_METRICS:
    case E_TRACE:
        return eval(e->parts[0], in, out);
    case E_ON_ERROR: {          /* sees every error; may swallow or replace it */
        int rc = eval(e->parts[0], in, out);
        if (rc == 0) return 0;
        int h = handler_eval(e->handler, rc);
        if (h == 0) {
            zero_value(e->out, out);
            return 0;
        }
        return h;
    }
    case E_RETRY: {             /* `attempts` tries, then FX_ERETRY_EXHAUSTED */
        int rc = 0;
        for (int k = 0; k < e->attempts; k++) {
            rc = eval(e->parts[0], in, out);
            if (rc == 0) return 0;
        }
        return C_RETRY_EXHAUSTED;
    }
    case E_FILTER: {            /* true passes the item, false is FX_EFILTERED with out = in */
        Value ok;
        stage_eval(&stages[e->stage], in, &ok);
        *out = *in;
        return ok.i ? 0 : C_FILTERED;
    }
    case E_MAP: {               /* order kept; fail-fast FX_EMAP_ITEM; collect: FX_EMULTI */
        zero_value(T_VEC, out);
        out->n = in->n;
        bool failed = false;
        for (int j = 0; j < in->n; j++) {
            Value x, y;
            zero_value(T_I64, &x);
            x.i = in->v[j];
            int rc = eval(e->parts[0], &x, &y);
            if (rc != 0) {
                if (!e->collect) return C_MAP_ITEM;
                failed = true;
                out->v[j] = 0;
            } else {
                out->v[j] = y.i;
            }
        }
        return failed ? C_MULTI : 0;
    }
    case E_FANOUT: {            /* result i from stage i; an error is FX_EFANOUT */
        zero_value(T_VEC, out);
        out->n = e->nparts;
        for (int i = 0; i < e->nparts; i++) {
            Value y;
            if (eval(e->parts[i], in, &y) != 0) return C_FANOUT;
            out->v[i] = y.i;
        }
        return 0;
    }
    case E_BUFFER: {            /* batches of `size`, outputs concatenated; FX_EBUFFER */
        zero_value(T_VEC, out);
        for (int off = 0; off < in->n; off += e->size) {
            Value batch, res;
            zero_value(T_VEC, &batch);
            for (int j = off; j < in->n && j < off + e->size; j++) batch.v[batch.n++] = in->v[j];
            if (eval(e->parts[0], &batch, &res) != 0) return C_BUFFER;
            for (int j = 0; j < res.n && out->n < 64; j++) out->v[out->n++] = res.v[j];
        }
        return 0;
    }
    case E_ROUTER: {            /* selection order; empty: FX_ENOROUTE; index >= routes: FX_EINVAL, nothing runs;
                                   a route error: FX_EFANOUT (docs/PATTERNS.md) */
        Value sel;
        stage_eval(&stages[e->stage2], in, &sel);
        if (sel.n == 0) return C_NOROUTE;
        for (int j = 0; j < sel.n; j++)
            if (sel.v[j] >= e->nparts) return C_INVAL;
        zero_value(T_VEC, out);
        out->n = sel.n;
        for (int j = 0; j < sel.n; j++) {
            Value y;
            if (eval(e->parts[sel.v[j]], in, &y) != 0) return C_FANOUT;
            out->v[j] = y.i;
        }
        return 0;
    }
    case E_PARALLEL: {          /* fanout, then the reduce stage's own result or error */
        Value mid;
        zero_value(T_VEC, &mid);
        mid.n = e->nparts;
        for (int i = 0; i < e->nparts; i++) {
            Value y;
            if (eval(e->parts[i], in, &y) != 0) return C_FANOUT;
            mid.v[i] = y.i;
        }
        return stage_eval(&stages[e->stage2], &mid, out);
    }
    case E_FANIN:               /* the aggregate on the slice, its error unchanged */
        return stage_eval(&stages[e->stage2], in, out);
    case E_MAPREDUCE:           /* keep the failing stage's code; groups by first appearance, values in input order */
    case E_JOIN: {              /* join: the key stage's code; then map(red) fail-fast: FX_EMAP_ITEM */
        int64_t keys[64];
        Value groups[64];
        int ng = 0;
        for (int j = 0; j < in->n; j++) {
            Value x, kv;
            zero_value(T_I64, &x);
            x.i = in->v[j];
            int rc = stage_eval(&stages[e->stage], &x, &kv);
            if (rc != 0) return rc;
            int64_t value = e->kind == E_MAPREDUCE ? kv.v[0] : in->v[j];
            int g = 0;
            while (g < ng && keys[g] != kv.i) g++;
            if (g == ng) {
                keys[ng] = kv.i;
                zero_value(T_GROUP, &groups[ng]);
                groups[ng].i = kv.i;
                ng++;
            }
            groups[g].v[groups[g].n++] = value;
        }
        zero_value(T_VEC, out);
        bool failed = false;
        for (int g = 0; g < ng; g++) {
            Value r;
            int rc = stage_eval(&stages[e->stage2], &groups[g], &r);
            if (rc != 0 && !e->collect) return e->kind == E_MAPREDUCE ? rc : C_MAP_ITEM;
            failed |= rc != 0;
            out->v[out->n++] = rc ? 0 : r.i;
        }
        return failed ? C_MULTI : 0;
    }
    case E_TIMEOUT:             /* after: 1h never passes on the fake clock */
        return eval(e->parts[0], in, out);
    case E_TIMEOUT_SLEEP: {     /* the stage sleeps (in % 5) * 10 + 5 ms: past `after`, FX_ETIMEOUT */
        int64_t d = (in->i % 5) * 10 + 5;
        model_now_ms += d < e->after_ms ? d : e->after_ms;
        if (d >= e->after_ms) return C_TIMEOUT;
        return stage_eval(&stages[e->stage], in, out);
    }
    case E_BREAKER: {           /* closed -> open after `failures` consecutive failures; open rejects; the first
                                   call at least `reset` after opening is half-open; `successes` consecutive
                                   successes close it, a failure re-opens it; FX_EFILTERED counts as neither */
        Expr *m = (Expr *)e;
        if (m->state == B_OPEN) {
            if (e->reset_ms == 0 || model_now_ms - m->opened_at < e->reset_ms) return C_OPEN;
            m->state = B_HALF;
            m->succ = 0;
        }
        int rc = eval(e->parts[0], in, out);
        bool neither = rc == C_FILTERED || rc == FX_ECANCELED;
        if (m->state == B_HALF) {
            if (rc == 0) {
                if (++m->succ >= e->successes) {
                    m->state = B_CLOSED;
                    m->consec = 0;
                }
            } else if (!neither) {
                m->state = B_OPEN;
                m->opened_at = model_now_ms;
            }
        } else if (rc == 0) {
            m->consec = 0;
        } else if (!neither && ++m->consec >= e->failures) {
            m->state = B_OPEN;
            m->opened_at = model_now_ms;
        }
        return rc;
    }
    case E_LIMIT: {             /* inf: never waits; 1/h: the bucket (full at burst) never refills within a program;
                                   100/s: a token per 10 ms of the clock, up to burst; wait 0s: no token, rejected */
        Expr *m = (Expr *)e;
        if (e->refill) {
            if (!m->started) {
                m->started = true;
                m->tokens = 10 * e->burst;
                m->last_ms = model_now_ms;
            }
            m->tokens += (int)(model_now_ms - m->last_ms);
            if (m->tokens > 10 * e->burst) m->tokens = 10 * e->burst;
            m->last_ms = model_now_ms;
            if (m->tokens < 10) return C_LIMITED;
            m->tokens -= 10;
        } else if (e->burst) {
            if (m->tokens >= e->burst) return C_LIMITED;
            m->tokens++;
        }
        return eval(e->parts[0], in, out);
    }
    }
    abort();
}

/* ------------------------------------------------------------ the driver */

static int max_len(const Expr *e)   /* a bound on slice sizes: keep within Value */
{
    (void)e;
    return 64;
}

static void emit_value(FILE *f, const Value *v)
{
    if (v->type == T_I64) {
        fprintf(f, "{ .i = %" PRId64 " }", v->i);
        return;
    }
    if (v->n == 0) {
        fprintf(f, "{ .n = 0 }");
        return;
    }
    fprintf(f, "{ .n = %d, .v = {", v->n);
    for (int j = 0; j < v->n; j++) fprintf(f, "%s%" PRId64, j ? ", " : "", v->v[j]);
    fprintf(f, "} }");
}

static const char *type_fx(int t) { return t == T_I64 ? "i64" : "[i64]"; }

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: gen SEED DIR\n");
        return 2;
    }
    unsigned long seed = strtoul(argv[1], NULL, 10);
    rng_state = seed * 0x2545F4914F6CDD1Dull + 1;
    const int programs = 24;

    /* stages: at least one of each kind */
    nstages = S_KINDS + 4 + pick(8);
    for (int i = 0; i < nstages; i++) {
        Stage *s = &stages[i];
        s->id = i;
        s->kind = i < S_KINDS ? i : pick(S_KINDS);
        s->a = 1 + pick(7);
        s->b = pick(100);
        s->c = pick(50);
        s->m = s->kind == S_SUM || s->kind == S_RED ? 1 + pick(6) : 3 + pick(20);
        s->scribble = chance(50);
    }

    /* helper pipelines first (used nested), then the programs */
    int helpers = 3 + pick(4);
    for (int i = 0; i < helpers + programs; i++) {
        Pipeline *p = &pipes[npipes];
        p->in = pick(2);
        p->out = pick(2);
        p->helper = i < helpers;
        seq_ok = !p->helper;
        made_seq = false;
        p->body = gen_expr(p->in, p->out, p->helper ? 2 : 4);
        p->seq_only = made_seq;
        npipes++;
    }
    (void)max_len;

    char path[4096];
    snprintf(path, sizeof path, "%s/dt_%lu.fx", argv[2], seed);
    FILE *fx = fopen(path, "w");
    if (!fx) { perror(path); return 2; }
    fprintf(fx, "// Generated by tests/difftest/gen %lu. Random pipelines for the differential test.\n", seed);
    fprintf(fx, "module dt_%lu;\n\n", seed);
    for (int i = 0; i < nstages; i++)
        fprintf(fx, "stage s%d%s = dt_f%d;\n", i, stage_sig(stages[i].kind), i);
    fprintf(fx, "\n");
    for (int i = 0; i < npipes; i++) {
        fprintf(fx, "pipeline p%d(%s) -> %s = ", i, type_fx(pipes[i].in), type_fx(pipes[i].out));
        print_expr(fx, pipes[i].body);
        fprintf(fx, ";\n");
    }
    fclose(fx);

    snprintf(path, sizeof path, "%s/dt_%lu_main.c", argv[2], seed);
    FILE *c = fopen(path, "w");
    if (!c) { perror(path); return 2; }
    fprintf(c, "/* Generated by tests/difftest/gen %lu: stages, handlers, expectations, driver. */\n", seed);
    fprintf(c, "#include <stdio.h>\n#include <stdlib.h>\n#include <string.h>\n#include \"dt_%lu.h\"\n\n", seed);
    fprintf(c, "static fx_clock *dt_clock;   /* the runtime's fake clock, auto mode: sleeps jump it */\n\n");
    for (int i = 0; i < nstages; i++) emit_stage_c(c, &stages[i]);
    for (int k = 0; k < NHANDLERS; k++) {
        fprintf(c, "int dt_h%d(fx_ctx *ctx, int code)\n{\n    (void)ctx;\n", k);
        fprintf(c, "    int a = code < 0 ? -code : code;\n");
        fprintf(c, "    if (a %% 3 == %d) return 0;\n    if (a %% 3 == %d) return %d;\n    return code;\n}\n\n",
                k % 3, (k + 1) % 3, 500 + k);
    }
    fprintf(c, "typedef struct value { int64_t i; int n; int64_t v[64]; } value;\n");
    fprintf(c, "typedef struct expect { value in; int rc; value out; } expect;\n\n");
    fprintf(c, "static int failures;\n\n");
    fprintf(c, "static void show(const char *what, int t, const value *v)\n{\n"
               "    fprintf(stderr, \"    %%s: \", what);\n"
               "    if (t == 0) { fprintf(stderr, \"%%lld\\n\", (long long)v->i); return; }\n"
               "    fprintf(stderr, \"[\");\n"
               "    for (int j = 0; j < v->n; j++) fprintf(stderr, \"%%s%%lld\", j ? \", \" : \"\", (long long)v->v[j]);\n"
               "    fprintf(stderr, \"]\\n\");\n}\n\n");
    fprintf(c, "static void mismatch(const char *pipe, int in_t, int out_t, const expect *x, int rc, const value *got)\n{\n"
               "    failures++;\n"
               "    fprintf(stderr, \"difftest dt_%lu: DISAGREE on %%s\\n\", pipe);\n"
               "    show(\"input\", in_t, &x->in);\n"
               "    fprintf(stderr, \"    expected rc %%d, got rc %%d\\n\", x->rc, rc);\n"
               "    if (x->rc == 0) show(\"expected\", out_t, &x->out);\n"
               "    if (rc == 0) show(\"got\", out_t, got);\n}\n\n", seed);

    const int ninputs = 12;
    for (int p = helpers; p < npipes; p++) {
        const Pipeline *pl = &pipes[p];
        fprintf(c, "static const expect x%d[] = {\n", p);
        for (int k = 0; k < ninputs; k++) {
            Value in, out;
            zero_value(pl->in, &in);
            if (pl->in == T_I64) {
                in.i = pick(200);
            } else {
                in.n = pick(7);
                for (int j = 0; j < in.n; j++) in.v[j] = pick(200);
            }
            int rc = eval(pl->body, &in, &out);
            const char *macro = code_macro(rc);
            fprintf(c, "    { ");
            emit_value(c, &in);
            if (macro) fprintf(c, ", %s, ", macro);
            else fprintf(c, ", %d, ", rc);
            if (rc == 0) emit_value(c, &out);
            else fprintf(c, "{ .i = 0 }");
            fprintf(c, " },\n");
        }
        fprintf(c, "};\n\n");
    }

    fprintf(c, "#define SENTINEL 987654321\n");
    fprintf(c, "int main(void)\n{\n    fx_ctx *ctx = fx_ctx_new();\n    int checked = 0;\n");
    fprintf(c, "    dt_clock = fx_clock_fake_new(1000000000);\n    if (!dt_clock) abort();\n"
               "    fx_clock_fake_set_auto(dt_clock, true);\n"
               "    fx_runtime *rt = fx_runtime_new(&(fx_runtime_config){ .threads = 3, .clock = dt_clock });\n"
               "    if (!rt) abort();\n");
    for (int p = helpers; p < npipes; p++) {
        const Pipeline *pl = &pipes[p];
        fprintf(c, "    {\n        dt_%lu_p%d *p = dt_%lu_p%d_new(rt);\n        if (!p) abort();\n", seed, p, seed, p);
        fprintf(c, "        for (size_t k = 0; k < sizeof x%d / sizeof *x%d; k++) {\n", p, p);
        fprintf(c, "            const expect *x = &x%d[k];\n", p);
        if (pl->in == T_I64)
            fprintf(c, "            int64_t in = x->in.i;\n");
        else
            fprintf(c, "            fx_slice_i64 in = { (int64_t *)x->in.v, (size_t)x->in.n };\n");
        if (pl->out == T_I64)
            fprintf(c, "            int64_t out = SENTINEL;\n");
        else
            fprintf(c, "            fx_slice_i64 out = { NULL, SENTINEL };\n");
        fprintf(c, "            int rc = dt_%lu_p%d_process(p, ctx, &in, &out);\n", seed, p);
        fprintf(c, "            value got = { 0 };\n");
        if (pl->out == T_I64)
            fprintf(c, "            got.i = out;\n            bool same = rc == 0 ? out == x->out.i : out == SENTINEL;\n");
        else
            fprintf(c, "            got.n = (int)out.len;\n"
                       "            for (size_t j = 0; j < out.len && j < 64 && rc == 0; j++) got.v[j] = out.ptr[j];\n"
                       "            bool same = rc == 0 ? (out.len == (size_t)x->out.n &&\n"
                       "                (out.len == 0 || memcmp(out.ptr, x->out.v, out.len * sizeof *out.ptr) == 0))\n"
                       "                : (out.ptr == NULL && out.len == SENTINEL);\n");
        fprintf(c, "            /* partial outputs (docs/PATTERNS.md): a trailing filter hands the input back,\n"
                   "               a trailing collect_errors map its results */\n"
                   "            if (rc == FX_EFILTERED || rc == FX_EMULTI) same = true;\n");
        fprintf(c, "            if (rc != 0 && (fx_ctx_error(ctx) == NULL || fx_ctx_error(ctx)->code != rc)) same = false;\n");
        fprintf(c, "            if (rc != x->rc || !same) mismatch(\"p%d\", %d, %d, x, rc, &got);\n", p, pl->in, pl->out);
        fprintf(c, "            checked++;\n            fx_ctx_reset(ctx);\n        }\n");
        fprintf(c, "        dt_%lu_p%d_free(p);\n    }\n", seed, p);
    }
    fprintf(c, "    fx_ctx_free(ctx);\n    fx_runtime_free(rt);\n    fx_clock_free(dt_clock);\n");
    fprintf(c, "    printf(\"difftest dt_%lu: %d programs, %%d runs, %%d disagreements\\n\", checked, failures);\n",
            seed, programs);
    fprintf(c, "    return failures ? 1 : 0;\n}\n");
    fclose(c);
    return 0;
}
