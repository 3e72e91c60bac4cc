/* cg_resilience.c — code generators for the resilience combinators: retry,
 * timeout, circuit_breaker, rate_limit, dlq (SPEC §2.4, §5.4;
 * docs/RESILIENCE.md).
 *
 * Each row of the table at the end is one op (cgen.h). The stateful ones
 * (retry's backoff and jitter generator, breakers, limiters) keep a runtime
 * object (fluxus/resilience.h) in the instance: made in M_P_new, freed in
 * M_P_free, reachable through M_P_NAME for `... as NAME`. Options not
 * written take the runtime's FX_*_DEFAULT_* values, spelled by name in the
 * generated code so a reader sees where they come from.
 *
 * All five are observed (go-fluxus gives every wrapper a span): each has a
 * span and stage metrics of its own, with the attributes of
 * docs/OBSERVABILITY.md §2 set in the observed variant (cgen.h; the plain
 * one reports nothing); retry adds a child span per try. The events: retry and dlq report theirs here,
 * breakers and limiters from the runtime (they hold the runtime and the
 * component, set in M_P_new).
 *
 * The plain variants of circuit_breaker and rate_limit keep only the
 * common case in their caller, tested inline on the object's state word
 * (a closed breaker without rules, a limiter at rate inf); every other
 * case is a function of its own written by the op's prelude (nK_guarded,
 * nK_limited), so the caller's frame does not carry the slow path's
 * registers (docs/GENERATED_CODE.md).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cgen.h"

/* ------------------------------------------------------------ helpers */

/* "30ms", "1.5s", "250us", "2m": a duration as a person writes it. */
static const char *duration_text(Compiler *c, int64_t ns)
{
    static const struct { const char *unit; int64_t ns; } units[] = {
        {"h", INT64_C(3600000000000)}, {"m", INT64_C(60000000000)}, {"s", INT64_C(1000000000)},
        {"ms", INT64_C(1000000)}, {"us", INT64_C(1000)},
    };
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        int64_t u = units[i].ns;
        if (ns < u)
            continue;
        if (ns % u == 0)
            return sprintf_intern(c, "%lld%s", (long long)(ns / u), units[i].unit);
        if ((ns * 10) % u == 0 && ns < INT64_MAX / 10)
            return sprintf_intern(c, "%lld.%lld%s", (long long)(ns / u), (long long)(ns % u * 10 / u),
                                  units[i].unit);
        if (u > INT64_C(1000000000))
            continue;   /* 90.25s rather than 1.504m */
        return sprintf_intern(c, "%.3g%s", (double)ns / (double)u, units[i].unit);
    }
    return sprintf_intern(c, "%lldns", (long long)ns);
}

/* A nanosecond count as a C constant. */
static const char *ns_const(Compiler *c, int64_t ns)
{
    return sprintf_intern(c, "INT64_C(%lld)", (long long)ns);
}

/* A double as a C constant that reads back exactly ("2.0", "0.2"). */
static const char *double_const(Compiler *c, double v)
{
    if (v > -1e15 && v < 1e15 && v == (double)(long long)v)   /* in range before the cast */
        return sprintf_intern(c, "%lld.0", (long long)v);
    char buf[40];
    for (int prec = 1; prec <= 17; prec++) {   /* the shortest text that reads back exactly */
        snprintf(buf, sizeof buf, "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            break;
    }
    return intern_cstr(c, buf);
}

static const Expr *opt(const Comp *k, const char *name) { return expr_opt(k->e, name); }

/* A C function option (`retry_if: f`), or NULL. */
static const char *func_opt(const Comp *k, const char *name)
{
    const Expr *v = opt(k, name);
    return v != NULL && v->kind == EX_REF ? v->name : NULL;
}

/* The instance member of k: "breaker_n3". */
static const char *member(Gen *g, const char *what, const Comp *k)
{
    return sprintf_intern(g->c, "%s_n%d", what, k->id);
}

static void put_label(Gen *g, const Comp *k)
{
    put_c_string(g->out, k->label);
}

/* `&M__P_components[K]` */
static const char *component_ref(Gen *g, const Comp *k)
{
    return sprintf_intern(g->c, "&%s_components[%d]", g->pfx, k->id);
}

/* Every op here has variants (cgen.h): true while the observed one is
 * written, which reports unconditionally; the plain one reports nothing. */
static bool observing(const Gen *g)
{
    return g->variant == VARIANT_OBSERVED;
}

/* `fx_span_attr_KIND(ctx, "KEY", VALUE);` at `ind`, on the combinator's own
 * span (docs/OBSERVABILITY.md §2); nothing in the plain variant. */
static void put_attr(Gen *g, int ind, const char *kind, const char *key, const char *value)
{
    if (observing(g))
        put(g, "%*sfx_span_attr_%s(ctx, \"%s\", %s);\n", ind, "", kind, key, value);
}

/* A call of a user C function, with #line back to the option naming it. */
static void put_user_call(Gen *g, const Comp *k, const char *option, const char *text)
{
    const Expr *v = opt(k, option);
    if (v != NULL)
        line_fx(g, v->loc);
    put(g, "%s", text);
    if (v != NULL)
        line_back(g);
}

/* ---- accessors (`... as NAME`)
 *
 * A name written in the pipeline's own body always gets M_P_NAME. The
 * components of a nested pipeline belong to the outer instance too (its
 * body is generated again inside); their names get an accessor on the
 * outer instance only when no other component of the whole tree has that
 * name, so M_P_NAME is never ambiguous. */

/* 1 when a nested pipeline lies between node and k, 0 when none, -1 when
 * k is not under node. */
static int nesting(const Comp *node, const Comp *k, bool nested)
{
    if (node == k)
        return nested;
    for (size_t i = 0; i < node->nkids; i++) {
        int r = nesting(node->kids[i], k, nested || node->kids[i]->op == OP_PIPELINE);
        if (r >= 0)
            return r;
    }
    return -1;
}

static bool has_accessor(Gen *g, const Comp *k)
{
    if (k->as_name == NULL || g->comps.len == 0)
        return false;
    if (nesting(g->comps.items[0], k, false) <= 0)
        return true;
    for (size_t i = 0; i < g->comps.len; i++) {
        const Comp *o = g->comps.items[i];
        if (o != k && o->as_name != NULL && strcmp(o->as_name, k->as_name) == 0)
            return false;
    }
    return true;
}

static void accessor_decl(Gen *g, const Comp *k, const char *ctype, const char *what)
{
    if (!has_accessor(g, k))
        return;
    put(g, "\n/* The %s `%s` of %s (%s:%d): owned by p, valid until %s_free(p).\n"
           " * Control it at run time with the functions of <fluxus/resilience.h>. */\n",
        what, k->as_name, g->pipe->name, g->fx_base, k->loc.line, g->api);
    put(g, "%s *%s_%s(%s *p);\n", ctype, g->api, k->as_name, g->api);
}

static void accessor_impl(Gen *g, const Comp *k, const char *ctype, const char *what)
{
    if (!has_accessor(g, k))
        return;
    put(g, "\n%s *%s_%s(%s *p)\n{\n    return p->%s;\n}\n", ctype, g->api, k->as_name, g->api,
        member(g, what, k));
}

static void put_free(Gen *g, const char *fn, const char *m)
{
    put(g, "    %s(p->%s);\n", fn, m);
}

static void put_init_check(Gen *g, const char *m)
{
    put(g, "    if (p->%s == NULL)\n        goto fail;\n", m);
}

/* ------------------------------------------------------------ retry */

static int retry_attempts(const Comp *k)
{
    const Expr *a = opt(k, "attempts");
    return a != NULL ? (int)a->ival : -1;
}

static const char *attempts_text(Gen *g, const Comp *k)
{
    int n = retry_attempts(k);
    return n > 0 ? sprintf_intern(g->c, "%d", n) : "FX_RETRY_DEFAULT_ATTEMPTS";
}

static void retry_members(Gen *g, const Comp *k)
{
    put(g, "    fx_retry *%s;   /* n%d: backoff and jitter of %s */\n", member(g, "retry", k), k->id, cg_comment(g->c, k->label));
}

static void retry_init(Gen *g, const Comp *k)
{
    Compiler *c = g->c;
    const Expr *b = opt(k, "backoff");
    const char *m = member(g, "retry", k);
    put(g, "    /* n%d: retry backoff; the jitter seed differs per instance and run\n"
           "     * (fx_retry_set_seed on the `as` accessor makes it reproducible) */\n", k->id);
    put(g, "    p->%s = fx_retry_new(&(fx_backoff){", m);
    if (b == NULL) {
        put(g, ".kind = FX_BACKOFF_NONE");
    } else if (b->kind == EX_REF) {
        put(g, ".kind = FX_BACKOFF_FUNCTION, .fn = %s", cg_call(g, b->name));
    } else if (strcmp(b->name, "constant") == 0) {
        put(g, ".kind = FX_BACKOFF_CONSTANT, .base_ns = %s", ns_const(c, b->args[0].value->ival));
    } else {
        const Expr *base = NULL, *factor = NULL, *max = NULL, *jitter = NULL;
        for (size_t i = 0; i < b->nargs; i++) {
            const Arg *a = &b->args[i];
            if (a->name == NULL)
                base = a->value;
            else if (strcmp(a->name, "factor") == 0)
                factor = a->value;
            else if (strcmp(a->name, "max") == 0)
                max = a->value;
            else if (strcmp(a->name, "jitter") == 0)
                jitter = a->value;
        }
        put(g, "\n        .kind = FX_BACKOFF_EXPONENTIAL, .base_ns = %s,\n", ns_const(c, base != NULL ? base->ival : 0));
        put(g, "        .factor = %s, .max_ns = %s, .jitter = %s,\n    ",
            factor != NULL ? double_const(c, factor->fval) : "FX_RETRY_DEFAULT_FACTOR",
            max != NULL ? ns_const(c, max->ival) : "0",
            jitter != NULL ? double_const(c, jitter->fval) : "0.0");
    }
    put(g, "}, (uint64_t)fx_clock_now(NULL) ^ (uint64_t)(uintptr_t)p ^ %du);\n", k->id);
    put_init_check(g, m);
}

static void retry_fini(Gen *g, const Comp *k) { put_free(g, "fx_retry_free", member(g, "retry", k)); }

static void retry_accessor_decl(Gen *g, const Comp *k) { accessor_decl(g, k, "fx_retry", "retry"); }
static void retry_accessor_impl(Gen *g, const Comp *k) { accessor_impl(g, k, "fx_retry", "retry"); }

/* Up to `attempts` tries of the part, each into a fresh temporary; the wait
 * after failed try k is fx_retry_backoff(k), on the runtime's clock.
 * Observed: the retry's own span carries fluxus.stage.max_attempts and, at
 * the end, fluxus.stage.attempts; each try is a child span
 * (FX_CHILD_ATTEMPT, "NAME.attempt.N") and each try after the first is
 * announced by FX_EVENT_RETRY_ATTEMPT on the retry's span.
 *
 * The plain variant of a retry of one stage without retry_if calls the
 * stage itself and records its failure only where the retry stops (the
 * last try, a done context): a failed try that another follows would have
 * its record cleared unseen, so it makes none (docs/PERFORMANCE.md D6).
 * Everything visible is as when the part records every failure: the
 * error of the last try (FX_ERETRY_EXHAUSTED's cause, or the result when
 * the context is done), and a context check before every try. */
static void body_retry(Gen *g, const Comp *k)
{
    const Comp *part = k->kids[0];
    const char *kid = comp_fn(g, part);
    const char *retry_if = func_opt(k, "retry_if");
    const char *attempts = attempts_text(g, k);
    bool defer = g->variant == VARIANT_PLAIN && retry_if == NULL && part->op == OP_STAGE;
    const Expr *b = opt(k, "backoff");
    bool no_wait = b == NULL || (b->kind != EX_REF && strcmp(b->name, "constant") == 0 && b->args[0].value->ival <= 0);
    /* Without a wait nothing runs between the check after a failed try and
     * the next try: that check is the next try's too, and the loop checks
     * only before the first. */
    bool check_once = defer && no_wait;
    put(g, "    int rc = 0;\n"
           "    int attempt = 0;   /* tries made so far */\n");
    put_attr(g, 4, "int", "fluxus.stage.max_attempts", sprintf_intern(g->c, "(int64_t)%s", attempts));
    if (check_once) {
        put(g, "    if (FX_UNLIKELY(fx__ctx_done(ctx)))   /* before the first try; each later one follows the check below */\n"
               "        rc = fx__ctx_fail(ctx, ");
        put_label(g, part);
        put(g, ");\n    else for (;;) {\n");
    } else {
        put(g, "    for (;;) {\n");
    }
    put_zero_var(g, 8, k->out, "result", NULL);
    if (observing(g))
        put(g, "        fx_observation ao;\n"
               "        fx_observe_child_begin(p->rt, ctx, %s, FX_CHILD_ATTEMPT, attempt + 1, &ao);\n",
            component_ref(g, k));
    if (check_once) {
        put(g, "        /* the stage %s, its failure recorded below only where we stop */\n",
            cg_comment(g->c, part->label));
        cg_stage_call(g, part, 8, "rc = ", "&result");
    } else if (defer) {
        put(g, "        /* the stage %s, its failure recorded below only where we stop */\n"
               "        if (FX_UNLIKELY(fx__ctx_done(ctx)))\n"
               "            rc = fx__ctx_fail(ctx, ", cg_comment(g->c, part->label));
        put_label(g, part);
        put(g, ");\n        else\n");
        cg_stage_call(g, part, 12, "rc = ", "&result");
    } else {
        put(g, "        rc = %s(p, ctx, in, &result);\n", kid);
    }
    put(g, "        attempt++;\n");
    if (observing(g))
        put(g, "        fx_observe_child_end(p->rt, ctx, &ao, rc);\n");
    put(g, "        if (rc == 0) {\n            *out = result;\n            break;\n        }\n");
    put(g, "        if (fx_ctx_done(ctx)) {   /* no further try could run */\n");
    if (defer) {
        put(g, "            rc = fx__stage_fail(ctx, rc, ");
        put_label(g, part);
        put(g, ");\n");
    }
    put(g, "            if (rc != fx_ctx_err(ctx))\n                rc = fx__ctx_fail(ctx, ");
    put_label(g, k);
    put(g, ");\n            break;\n        }\n");
    if (defer) {
        put(g, "        if (attempt >= %s) {\n            rc = fx__stage_fail(ctx, rc, ", attempts);
        put_label(g, part);
        put(g, ");   /* the last try's error */\n"
               "            fx_error scratch;\n"
               "            const fx_error *err = fx__error_current(ctx, rc, ");
        put_label(g, k);
        put(g, ", &scratch);\n            rc = fx__error_record(ctx, FX_ERETRY_EXHAUSTED, ");
        put_label(g, k);
        put(g, ", attempt, err, NULL);\n            break;\n        }\n");
    } else {
        put(g, "        fx_error scratch;\n        const fx_error *err = fx__error_current(ctx, rc, ");
        put_label(g, k);
        put(g, ", &scratch);\n");
        if (retry_if != NULL) {
            put_user_call(g, k, "retry_if", sprintf_intern(g->c, "        if (!%s(err)) {\n", cg_call(g, retry_if)));
            put(g, "            rc = fx__error_record(ctx, rc, ");
            put_label(g, k);
            put(g, ", attempt, err, \"retry giving up after %%d attempt%%s\",\n"
                   "                                  attempt, attempt == 1 ? \"\" : \"s\");\n"
                   "            break;\n        }\n");
        }
        put(g, "        if (attempt >= %s) {\n            rc = fx__error_record(ctx, FX_ERETRY_EXHAUSTED, ", attempts);
        put_label(g, k);
        put(g, ", attempt, err, NULL);\n            break;\n        }\n");
    }
    if (no_wait)
        put(g, "        const int64_t wait = 0;   /* %s: no clock, no sleep */\n",
            b == NULL ? "no backoff" : "constant(0)");
    else
        put(g, "        int64_t wait = fx_retry_backoff(p->%s, attempt - 1);\n", member(g, "retry", k));
    if (observing(g))
        put(g, "        /* the try about to run, the last one's error, the wait */\n"
               "        fx_observe_event(p->rt, ctx, &(fx_event){ .kind = FX_EVENT_RETRY_ATTEMPT,\n"
               "                         .component = %s, .value = wait, .index = attempt + 1, .code = rc });\n",
            component_ref(g, k));
    put(g, "        if (wait > 0 && fx_clock_sleep(fx_runtime_clock(p->rt), ctx, wait) != 0) {\n"
           "            rc = fx__ctx_fail(ctx, ");
    put_label(g, k);
    put(g, ");   /* cancelled or past its deadline while waiting */\n"
           "            break;\n        }\n"
           "        fx__ctx_clear_error(ctx);   /* the next try's failure is its own */\n"
           "    }\n");
    put_attr(g, 4, "int", "fluxus.stage.attempts", "(int64_t)attempt");
}

/* ------------------------------------------------------------ timeout */

/* The part runs under a child context whose deadline is `after` away on the
 * runtime's clock. Its own expiry is FX_ETIMEOUT; the caller's cancellation
 * or deadline passes through as itself. */
static void body_timeout(Gen *g, const Comp *k)
{
    const Expr *after = opt(k, "after");
    int64_t ns = after != NULL ? after->ival : 0;
    put(g, "    const fx_clock *clock = fx_runtime_clock(p->rt);\n"
           "    int64_t now = fx_clock_now(clock);\n"
           "    int64_t after = %s;   /* %s */\n", ns_const(g->c, ns), duration_text(g->c, ns));
    put_attr(g, 4, "int", "fluxus.timeout.duration_ms", "after / 1000000");
    put(g, "    fx_ctx *child = fx_ctx_with_deadline(ctx, clock, now > INT64_MAX - after ? INT64_MAX : now + after);\n"
           "    int rc;\n"
           "    if (FX_UNLIKELY(child == NULL)) {\n"
           "        rc = fx__error_record(ctx, FX_ENOMEM, ");
    put_label(g, k);
    put(g, ", 0, NULL, NULL);\n    } else {\n");
    put_zero_var(g, 8, k->out, "result", NULL);
    put(g, "        rc = %s(p, child, in, &result);\n", comp_fn(g, k->kids[0]));
    put(g, "        fx_error scratch;\n"
           "        if (fx_ctx_err(ctx) == 0 && fx_ctx_err(child) != 0) {   /* our deadline, not the caller's */\n"
           "            const fx_error *cause = rc != 0 ? fx__error_current(child, rc, ");
    put_label(g, k);
    put(g, ", &scratch) : NULL;\n            rc = fx__error_record(ctx, FX_ETIMEOUT, ");
    put_label(g, k);
    put(g, ", 0, cause, \"stage timed out after %s\");\n", duration_text(g->c, ns));
    put_attr(g, 12, "bool", "fluxus.timeout.occurred", "true");
    put(g, "        } else if (rc != 0) {\n"
           "            fx__error_adopt(ctx, fx__error_current(child, rc, ");
    put_label(g, k);
    put(g, ", &scratch));   /* the part's error, as itself */\n"
           "        } else {\n"
           "            *out = result;\n"
           "        }\n"
           "        fx_ctx_free(child);\n"
           "    }\n");
}

/* ------------------------------------------------------------ circuit_breaker */

static void breaker_members(Gen *g, const Comp *k)
{
    put(g, "    fx_circuit_breaker *%s;   /* n%d: %s */\n", member(g, "breaker", k), k->id, cg_comment(g->c, k->label));
}

static const char *int_opt_or(Gen *g, const Comp *k, const char *name, const char *dflt)
{
    const Expr *v = opt(k, name);
    return v != NULL ? sprintf_intern(g->c, "%lld", (long long)v->ival) : dflt;
}

static void breaker_init(Gen *g, const Comp *k)
{
    Compiler *c = g->c;
    const Expr *window = opt(k, "window"), *reset = opt(k, "reset"), *rate = opt(k, "failure_rate");
    const Expr *slow = opt(k, "slow_call"), *slow_rate = opt(k, "slow_rate");
    const char *m = member(g, "breaker", k);
    put(g, "    p->%s = fx_circuit_breaker_new(&(fx_circuit_breaker_config){\n", m);
    /* with a window the failure-rate rule decides; the consecutive rule too
     * only when `failures:` is written */
    put(g, "        .failures = %s,\n", int_opt_or(g, k, "failures", window != NULL ? "0" : "FX_CIRCUIT_DEFAULT_FAILURES"));
    put(g, "        .reset_ns = %s,\n", reset != NULL ? ns_const(c, reset->ival) : "FX_CIRCUIT_DEFAULT_RESET_NS");
    put(g, "        .successes = %s,\n", int_opt_or(g, k, "successes", "FX_CIRCUIT_DEFAULT_SUCCESSES"));
    put(g, "        .half_open = %s,\n", int_opt_or(g, k, "half_open", "FX_CIRCUIT_DEFAULT_HALF_OPEN"));
    put(g, "        .window_ns = %s,\n", window != NULL ? ns_const(c, window->ival) : "0");
    put(g, "        .failure_rate = %s,\n",
        rate != NULL ? double_const(c, rate->fval / 100.0)
        : window != NULL ? "FX_CIRCUIT_DEFAULT_FAILURE_RATE" : "-1.0");
    put(g, "        .min_calls = %s,\n", int_opt_or(g, k, "min_calls", "FX_CIRCUIT_DEFAULT_MIN_CALLS"));
    put(g, "        .slow_call_ns = %s,\n", slow != NULL ? ns_const(c, slow->ival) : "0");
    put(g, "        .slow_rate = %s,\n", slow_rate != NULL ? double_const(c, slow_rate->fval / 100.0) : "-1.0");
    put(g, "        .clock = fx_runtime_clock(rt), .rt = rt, .component = %s});\n", component_ref(g, k));
    put_init_check(g, m);
}

static void breaker_fini(Gen *g, const Comp *k) { put_free(g, "fx_circuit_breaker_free", member(g, "breaker", k)); }

static void breaker_accessor_decl(Gen *g, const Comp *k)
{
    accessor_decl(g, k, "fx_circuit_breaker", "circuit breaker");
}

static void breaker_accessor_impl(Gen *g, const Comp *k) { accessor_impl(g, k, "fx_circuit_breaker", "breaker"); }

static void put_breaker_call(Gen *g, const Comp *k);
static void put_limited_call(Gen *g, const Comp *k);

/* `static FX__NOINLINE int M__P_nK_SUFFIX(M_P *p, fx_ctx *ctx, const In *in, Out *out)\n{\n` */
static void put_rest_signature(Gen *g, const Comp *k, const char *suffix)
{
    put(g, "static FX__NOINLINE int %s_n%d_%s(%s *p, fx_ctx *ctx, %s, %s)\n{\n", g->pfx, k->id, suffix, g->api,
        in_param(g->c, k->in, "in"), out_param(g->c, k->out, "out"));
}

/* The plain variant tests the breaker's word inline (closed, no rule) and
 * leaves every other case, admission to exit, to an out-of-line function:
 * with no call before the part's, process keeps no register for `in`. */
static void prelude_circuit_breaker(Gen *g, const Comp *k)
{
    Variant v = g->variant;
    g->variant = VARIANT_PLAIN;
    put(g, "\n/* n%d when the breaker does not admit inline (open, half-open, a rule to\n"
           " * keep): the whole call, out of line. */\n", k->id);
    put_rest_signature(g, k, "guarded");
    put_breaker_call(g, k);
    put(g, "    return rc;\n}\n");
    g->variant = v;
}

static void body_circuit_breaker(Gen *g, const Comp *k)
{
    if (g->variant == VARIANT_PLAIN) {
        put(g, "    fx_circuit_breaker *cb = p->%s;   /* read once: the part cannot change it */\n"
               "    fx_circuit_call call;\n"
               "    int rc;\n"
               "    if (FX_LIKELY(fx__circuit_breaker_admit(cb, &call))) {   /* closed, no rule */\n"
               "        rc = %s(p, ctx, in, out);\n"
               "        fx_circuit_breaker_exit(cb, ctx, &call, rc);\n"
               "    } else {\n"
               "        rc = %s_n%d_guarded(p, ctx, in, out);\n"
               "    }\n", member(g, "breaker", k), comp_fn(g, k->kids[0]), g->pfx, k->id);
        return;
    }
    put_breaker_call(g, k);
}

/* enter; rejected -> FX_ECIRCUIT_OPEN without the part; else the part, exit. */
static void put_breaker_call(Gen *g, const Comp *k)
{
    const char *m = member(g, "breaker", k);
    put(g, "    fx_circuit_call call;\n"
           "    int rc = fx_circuit_breaker_enter(p->%s, ctx, &call);\n"
           "    if (FX_UNLIKELY(rc != 0)) {   /* open: the part is not called */\n"
           "        rc = fx__error_record(ctx, FX_ECIRCUIT_OPEN, ", m);
    put_label(g, k);
    put(g, ", 0, NULL, NULL);\n");
    put_attr(g, 8, "bool", "fluxus.circuit_breaker.rejected", "true");
    put(g, "    } else {\n"
           "        rc = %s(p, ctx, in, out);\n"
           "        fx_circuit_breaker_exit(p->%s, ctx, &call, rc);\n    }\n", comp_fn(g, k->kids[0]), m);
    put_attr(g, 4, "str", "fluxus.circuit_breaker.state",
             sprintf_intern(g->c, "\n        fx_circuit_state_name(fx_circuit_breaker_state(p->%s))", m));
}

/* ------------------------------------------------------------ rate_limit */

static void limiter_members(Gen *g, const Comp *k)
{
    put(g, "    fx_rate_limiter *%s;   /* n%d: %s */\n", member(g, "limiter", k), k->id, cg_comment(g->c, k->label));
}

static void limiter_init(Gen *g, const Comp *k)
{
    const Expr *rate = opt(k, "rate");
    const char *m = member(g, "limiter", k);
    bool inf = rate != NULL && rate->kind == EX_REF;
    put(g, "    p->%s = fx_rate_limiter_new(&(fx_rate_limiter_config){\n", m);
    put(g, "        .rate = %s, .burst = %s,\n", inf ? "FX_RATE_INF" : double_const(g->c, rate != NULL ? rate->fval : 0),
        int_opt_or(g, k, "burst", "FX_RATE_DEFAULT_BURST"));
    put(g, "        .clock = fx_runtime_clock(rt), .rt = rt, .component = %s});\n", component_ref(g, k));
    put_init_check(g, m);
}

static void limiter_fini(Gen *g, const Comp *k) { put_free(g, "fx_rate_limiter_free", member(g, "limiter", k)); }

static void limiter_accessor_decl(Gen *g, const Comp *k) { accessor_decl(g, k, "fx_rate_limiter", "rate limiter"); }
static void limiter_accessor_impl(Gen *g, const Comp *k) { accessor_impl(g, k, "fx_rate_limiter", "limiter"); }

/* The plain variant tests the limiter's "rate inf" flag inline and leaves
 * a finite rate (a token to take, perhaps a wait) to an out-of-line
 * function, as the breaker does. */
static void prelude_rate_limit(Gen *g, const Comp *k)
{
    Variant v = g->variant;
    g->variant = VARIANT_PLAIN;
    put(g, "\n/* n%d when the limiter's rate is finite: the token, then the part, out of line. */\n", k->id);
    put_rest_signature(g, k, "limited");
    put_limited_call(g, k);
    put(g, "    return rc;\n}\n");
    g->variant = v;
}

static void body_rate_limit(Gen *g, const Comp *k)
{
    if (g->variant == VARIANT_PLAIN) {
        put(g, "    int rc;\n"
               "    if (FX_LIKELY(fx__rate_limiter_unlimited(p->%s)))   /* rate inf: no token to take */\n"
               "        rc = %s(p, ctx, in, out);\n"
               "    else\n"
               "        rc = %s_n%d_limited(p, ctx, in, out);\n",
            member(g, "limiter", k), comp_fn(g, k->kids[0]), g->pfx, k->id);
        return;
    }
    put_limited_call(g, k);
}

/* Take a token (waiting up to `wait`), then the part; no token -> the error. */
static void put_limited_call(Gen *g, const Comp *k)
{
    const Expr *wait = opt(k, "wait");
    const char *wait_ns = wait != NULL ? ns_const(g->c, wait->ival) : "FX_RATE_WAIT_FOREVER";
    if (!observing(g))   /* nobody reports the wait */
        put(g, "    int rc = fx_rate_limiter_acquire(p->%s, ctx, %s, NULL);\n", member(g, "limiter", k), wait_ns);
    else
        put(g, "    int64_t waited = 0;\n"
               "    int rc = fx_rate_limiter_acquire(p->%s, ctx, %s, &waited);\n", member(g, "limiter", k), wait_ns);
    if (observing(g))
        put(g, "    if (waited > 0)   /* whole milliseconds, rounded up */\n"
               "        fx_span_attr_int(ctx, \"fluxus.rate_limit.waited_ms\", (waited + 999999) / 1000000);\n");
    put(g, "    if (FX_LIKELY(rc == 0)) {\n        rc = %s(p, ctx, in, out);\n    } else {\n", comp_fn(g, k->kids[0]));
    put(g, "        /* FX_ERATE_LIMITED, the context's error while waiting, or FX_ENOMEM */\n"
           "        rc = fx__error_record(ctx, rc, ");
    put_label(g, k);
    if (wait != NULL)
        put(g, ", 0, NULL, rc == FX_ERATE_LIMITED ? \"no token within %s\" : NULL);\n", duration_text(g->c, wait->ival));
    else
        put(g, ", 0, NULL, rc == FX_ERATE_LIMITED ? \"no token will come at this rate\" : NULL);\n");
    put(g, "    }\n");
}

/* ------------------------------------------------------------ dlq */

/* On failure, the item and its error go to the handler when `when` says so
 * (default fx_dlq_default_when); a failing handler goes to on_handler_error
 * (default one line on stderr). The result is always the part's own. */
static void body_dlq(Gen *g, const Comp *k)
{
    const char *handler = func_opt(k, "handler");
    const char *when = func_opt(k, "when");
    const char *on_handler_error = func_opt(k, "on_handler_error");
    put(g, "    int rc = %s(p, ctx, in, out);\n", comp_fn(g, k->kids[0]));
    put(g, "    if (FX_UNLIKELY(rc != 0)) {\n"
           "        fx_error scratch;\n"
           "        const fx_error *err = fx__error_current(ctx, rc, ");
    put_label(g, k);
    put(g, ", &scratch);\n");
    if (when != NULL)
        put_user_call(g, k, "when", sprintf_intern(g->c, "        if (%s(err)) {\n", cg_call(g, when)));
    else
        put(g, "        if (fx_dlq_default_when(err)) {\n");
    if (observing(g))
        put(g, "            fx_observe_event(p->rt, ctx, &(fx_event){ .kind = FX_EVENT_DLQ,\n"
               "                             .component = %s, .index = -1, .code = rc });\n"
               "            fx_span_attr_bool(ctx, \"fluxus.dlq.item_sent\", true);\n", component_ref(g, k));
    put(g, "            const fx_error *before = fx_ctx_error(ctx);\n");
    put_user_call(g, k, "handler",
                  sprintf_intern(g->c, "            int h = %s(ctx, in, err);\n", cg_call(g, handler != NULL ? handler : "?")));
    put(g, "            if (h != 0)\n");
    if (on_handler_error != NULL)
        put_user_call(g, k, "on_handler_error",
                      sprintf_intern(g->c, "                %s(ctx, in, err, h);\n", cg_call(g, on_handler_error)));
    else {
        put(g, "                fx__dlq_report(");
        put_label(g, k);
        put(g, ", err, h);\n");
    }
    put(g, "            if (fx_ctx_error(ctx) != before)\n"
           "                fx__error_adopt(ctx, err);   /* the item's error stands, not the handler's */\n"
           "        }\n"
           "    }\n");
}

/* ------------------------------------------------------------ the table */

const OpGenEntry cg_resilience_ops[] = {
    {OP_RETRY, {.kind = "FX_COMPONENT_COMBINATOR", .checks_ctx = false, .observed = true, .variants = true,
                .body = body_retry,
                .members = retry_members, .init = retry_init, .fini = retry_fini,
                .accessor_decl = retry_accessor_decl, .accessor_impl = retry_accessor_impl}},
    {OP_TIMEOUT, {.kind = "FX_COMPONENT_COMBINATOR", .checks_ctx = false, .observed = true, .variants = true,
                  .body = body_timeout}},
    {OP_CIRCUIT_BREAKER, {.kind = "FX_COMPONENT_COMBINATOR", .checks_ctx = false, .observed = true, .variants = true,
                          .body = body_circuit_breaker, .prelude = prelude_circuit_breaker,
                          .members = breaker_members, .init = breaker_init,
                          .fini = breaker_fini, .accessor_decl = breaker_accessor_decl,
                          .accessor_impl = breaker_accessor_impl}},
    {OP_RATE_LIMIT, {.kind = "FX_COMPONENT_COMBINATOR", .checks_ctx = false, .observed = true, .variants = true,
                     .body = body_rate_limit, .prelude = prelude_rate_limit,
                     .members = limiter_members, .init = limiter_init,
                     .fini = limiter_fini, .accessor_decl = limiter_accessor_decl,
                     .accessor_impl = limiter_accessor_impl}},
    {OP_DLQ, {.kind = "FX_COMPONENT_COMBINATOR", .checks_ctx = false, .observed = true, .variants = true,
              .body = body_dlq}},
    {OP_NONE, {.kind = NULL}},
};
