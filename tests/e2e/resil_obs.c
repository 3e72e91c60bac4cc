/* End to end: spans and events of retry, circuit_breaker, rate_limit, dlq
 * and timeout, on a fake-clock runtime (auto mode: every wait is exact and
 * instant) observed by a recording tracer and a metrics table written here
 * as plain C callbacks. Checks the span tree (a retry span with one
 * `retry.attempt.N` child per try and the stage under each), the
 * attributes of docs/OBSERVABILITY.md §2, the events on the combinator's
 * own span, and the metrics callbacks with the right component. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "resil_obs.h"

#define MS INT64_C(1000000)

enum { FLAKY = 21, BAD_INPUT = 22, MAX_SPANS = 64, MAX_ATTRS = 12, MAX_EVENTS = 8, MAX_CALLS = 32 };

static fx_clock *clock_;

/* ---------------------------------------------------------------- stages */

static int flaky_failures, flaky_calls, dlq_calls;

int flaky_call(fx_ctx *ctx, const int64_t *in, int64_t *out)
{
    flaky_calls++;
    if (flaky_failures > 0) {
        flaky_failures--;
        return fx_fail(ctx, FLAKY, "try %d failed", flaky_calls);
    }
    *out = *in + 1;
    return 0;
}

int service(fx_ctx *ctx, const int64_t *in, int64_t *out)
{
    if (*in < 0)
        return fx_fail(ctx, BAD_INPUT, "%lld is negative", (long long)*in);
    *out = *in * 2;
    return 0;
}

int nap_ms(fx_ctx *ctx, const int64_t *in, int64_t *out)
{
    int rc = fx_clock_sleep(clock_, ctx, *in * MS);
    if (rc != 0)
        return rc;
    *out = *in;
    return 0;
}

int to_dlq(fx_ctx *ctx, const int64_t *item, const fx_error *err)
{
    (void)ctx;
    (void)item;
    (void)err;
    dlq_calls++;
    return 0;
}

/* ---------------------------------------------------------------- recording tracer */

typedef struct rec_attr {
    char key[48];
    char kind;                  /* 's', 'i', 'd', 'b' */
    char str[32];
    int64_t i;
    double d;
} rec_attr;

typedef struct rec_span {
    char name[64];
    struct rec_span *parent;
    rec_attr attrs[MAX_ATTRS];
    int nattrs;
    fx_event events[MAX_EVENTS];
    int nevents;
    int error;                  /* record_error's code, 0 = none */
    bool ended;
} rec_span;

static rec_span spans[MAX_SPANS];
static int nspans;

static void *start_span(void *user, void *parent, const fx_component *c)
{
    (void)user;
    assert_true(nspans < MAX_SPANS);
    rec_span *s = &spans[nspans++];
    memset(s, 0, sizeof *s);
    snprintf(s->name, sizeof s->name, "%s", c->name);
    s->parent = parent;
    return s;
}

static rec_attr *new_attr(void *span, const char *key, char kind)
{
    rec_span *s = span;
    assert_true(s->nattrs < MAX_ATTRS);
    rec_attr *a = &s->attrs[s->nattrs++];
    snprintf(a->key, sizeof a->key, "%s", key);
    a->kind = kind;
    return a;
}

static void set_attribute(void *user, void *span, const char *key, const char *value)
{
    (void)user;
    snprintf(new_attr(span, key, 's')->str, sizeof ((rec_attr *)0)->str, "%s", value);
}

static void set_attribute_int(void *user, void *span, const char *key, int64_t value)
{
    (void)user;
    new_attr(span, key, 'i')->i = value;
}

static void set_attribute_double(void *user, void *span, const char *key, double value)
{
    (void)user;
    new_attr(span, key, 'd')->d = value;
}

static void set_attribute_bool(void *user, void *span, const char *key, bool value)
{
    (void)user;
    new_attr(span, key, 'b')->i = value;
}

static void record_error(void *user, void *span, int code, const char *message)
{
    (void)user;
    (void)message;
    ((rec_span *)span)->error = code;
}

static void add_event(void *user, void *span, const fx_event *ev)
{
    (void)user;
    rec_span *s = span;
    assert_true(s->nevents < MAX_EVENTS);
    s->events[s->nevents++] = *ev;
}

static void end_span(void *user, void *span)
{
    (void)user;
    rec_span *s = span;
    assert_false(s->ended);
    s->ended = true;
}

static const fx_tracer tracer = {
    .start_span = start_span, .set_attribute = set_attribute, .record_error = record_error,
    .end_span = end_span, .add_event = add_event, .set_attribute_int = set_attribute_int,
    .set_attribute_double = set_attribute_double, .set_attribute_bool = set_attribute_bool,
};

/* The only span named `name` whose parent is named `parent` ("" = root). */
static rec_span *span_named(const char *name, const char *parent)
{
    rec_span *found = NULL;
    for (int i = 0; i < nspans; i++) {
        rec_span *s = &spans[i];
        const char *pn = s->parent != NULL ? s->parent->name : "";
        if (strcmp(s->name, name) == 0 && strcmp(pn, parent) == 0) {
            assert_null(found);
            found = s;
        }
    }
    if (found == NULL)
        fail_msg("no span %s under '%s'", name, parent);
    assert_true(found->ended);
    return found;
}

static const rec_attr *attr(const rec_span *s, const char *key)
{
    for (int i = 0; i < s->nattrs; i++)
        if (strcmp(s->attrs[i].key, key) == 0)
            return &s->attrs[i];
    return NULL;
}

static int64_t attr_int(const rec_span *s, const char *key)
{
    const rec_attr *a = attr(s, key);
    if (a == NULL)
        fail_msg("span %s has no %s", s->name, key);
    assert_true(a->kind == 'i' || a->kind == 'b');
    return a->i;
}

static const char *attr_str(const rec_span *s, const char *key)
{
    const rec_attr *a = attr(s, key);
    if (a == NULL)
        fail_msg("span %s has no %s", s->name, key);
    assert_int_equal(a->kind, 's');
    return a->str;
}

static double attr_double(const rec_span *s, const char *key)
{
    const rec_attr *a = attr(s, key);
    if (a == NULL)
        fail_msg("span %s has no %s", s->name, key);
    assert_int_equal(a->kind, 'd');
    return a->d;
}

/* ---------------------------------------------------------------- recording metrics */

typedef struct rec_call {
    char what[24];              /* "retry_attempt", "stage_completed", ... */
    const char *component;      /* the component's name (static in the generated table) */
    int a, b;
    int64_t v;
} rec_call;

static rec_call calls[MAX_CALLS];
static int ncalls, generic_events;

static void record(const char *what, const fx_component *c, int a, int b, int64_t v)
{
    assert_true(ncalls < MAX_CALLS);
    rec_call *r = &calls[ncalls++];
    snprintf(r->what, sizeof r->what, "%s", what);
    r->component = c->name;
    r->a = a;
    r->b = b;
    r->v = v;
}

static void m_stage_completed(void *u, const fx_component *c, int64_t d) { (void)u; record("stage_completed", c, 0, 0, d); }
static void m_stage_error(void *u, const fx_component *c, int64_t d, int code) { (void)u; record("stage_error", c, code, 0, d); }
static void m_retry_attempt(void *u, const fx_component *c, int attempt, int prev) { (void)u; record("retry_attempt", c, attempt, prev, 0); }
static void m_breaker_state(void *u, const fx_component *c, int from, int to) { (void)u; record("breaker_state", c, from, to, 0); }
static void m_limiter_wait(void *u, const fx_component *c, int64_t ns) { (void)u; record("limiter_wait", c, 0, 0, ns); }
static void m_limiter_reject(void *u, const fx_component *c) { (void)u; record("limiter_reject", c, 0, 0, 0); }
static void m_dlq(void *u, const fx_component *c, int code) { (void)u; record("dlq", c, code, 0, 0); }
static void m_event(void *u, const fx_event *ev) { (void)u; (void)ev; generic_events++; }

static const fx_metrics metrics = {
    .stage_completed = m_stage_completed, .stage_error = m_stage_error, .event = m_event,
    .retry_attempt = m_retry_attempt, .breaker_state = m_breaker_state,
    .limiter_wait = m_limiter_wait, .limiter_reject = m_limiter_reject, .dlq = m_dlq,
};

/* The number of calls of callback `what` for component `component`. */
static int count_calls(const char *what, const char *component)
{
    int n = 0;
    for (int i = 0; i < ncalls; i++)
        if (strcmp(calls[i].what, what) == 0 && strcmp(calls[i].component, component) == 0)
            n++;
    return n;
}

/* The k-th (0-based) call of `what`. */
static const rec_call *nth_call(const char *what, int k)
{
    for (int i = 0; i < ncalls; i++)
        if (strcmp(calls[i].what, what) == 0 && k-- == 0)
            return &calls[i];
    fail_msg("no call %s", what);
    return NULL;
}

/* ---------------------------------------------------------------- fixture */

typedef struct env {
    fx_runtime *rt;
    fx_ctx *ctx;
} env;

static int setup(void **state)
{
    static env e;
    clock_ = fx_clock_fake_new(0);
    fx_clock_fake_set_auto(clock_, true);
    e.rt = fx_runtime_new(&(fx_runtime_config){ .clock = clock_, .threads = 1, .metrics = &metrics,
                                                .tracer = &tracer });
    e.ctx = fx_ctx_new();
    nspans = ncalls = generic_events = 0;
    flaky_failures = flaky_calls = dlq_calls = 0;
    *state = &e;
    return e.rt != NULL && e.ctx != NULL ? 0 : -1;
}

static int teardown(void **state)
{
    env *e = *state;
    fx_ctx_free(e->ctx);
    fx_runtime_free(e->rt);
    fx_clock_free(clock_);
    return 0;
}

/* ---------------------------------------------------------------- tests */

static void test_resil_obs_retry_span_with_attempts(void **state)
{
    env *e = *state;
    resil_obs_retried *p = resil_obs_retried_new(e->rt);
    assert_non_null(p);
    flaky_failures = 2;
    int64_t in = 1, out = 0;
    assert_int_equal(resil_obs_retried_process(p, e->ctx, &in, &out), 0);
    assert_int_equal(out, 2);

    /* retried > retry > retry.attempt.{1,2,3} > flaky: 8 spans */
    assert_int_equal(nspans, 8);
    span_named("retried", "");
    rec_span *r = span_named("retry", "retried");
    assert_int_equal(attr_int(r, "fluxus.stage.max_attempts"), 5);
    assert_int_equal(attr_int(r, "fluxus.stage.attempts"), 3);
    assert_true(attr_double(r, "fluxus.stage.duration_ms") == 20.0);   /* two 10ms waits */
    assert_int_equal(r->error, 0);
    assert_int_equal(r->nevents, 2);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(r->events[i].kind, FX_EVENT_RETRY_ATTEMPT);
        assert_string_equal(r->events[i].component->name, "retry");
        assert_int_equal(r->events[i].index, i + 2);   /* the try about to run */
        assert_int_equal(r->events[i].code, FLAKY);
        assert_int_equal(r->events[i].value, 10 * MS);
    }
    static const char *const names[] = {"retry.attempt.1", "retry.attempt.2", "retry.attempt.3"};
    for (int i = 0; i < 3; i++) {
        rec_span *a = span_named(names[i], "retry");
        assert_int_equal(attr_int(a, "attempt"), i + 1);
        assert_int_equal(attr_int(a, "fluxus.stage.success"), i == 2);
        assert_int_equal(a->error, i < 2 ? FLAKY : 0);
        rec_span *f = span_named("flaky", names[i]);
        assert_int_equal(f->error, i < 2 ? FLAKY : 0);
    }
    /* metrics: two retry_attempt calls naming the retry, and the retry is a stage of its own */
    assert_int_equal(count_calls("retry_attempt", "retry"), 2);
    assert_int_equal(nth_call("retry_attempt", 0)->a, 2);
    assert_int_equal(nth_call("retry_attempt", 1)->a, 3);
    assert_int_equal(nth_call("retry_attempt", 1)->b, FLAKY);
    assert_int_equal(count_calls("stage_completed", "retry"), 1);
    assert_int_equal(count_calls("stage_error", "flaky"), 2);
    assert_int_equal(count_calls("stage_completed", "flaky"), 1);
    assert_int_equal(generic_events, 2);
    resil_obs_retried_free(p);
}

static void test_resil_obs_retry_exhausted(void **state)
{
    env *e = *state;
    resil_obs_retried *p = resil_obs_retried_new(e->rt);
    flaky_failures = 100;
    int64_t in = 1, out = 0;
    assert_int_equal(resil_obs_retried_process(p, e->ctx, &in, &out), FX_ERETRY_EXHAUSTED);
    rec_span *r = span_named("retry", "retried");
    assert_int_equal(attr_int(r, "fluxus.stage.attempts"), 5);
    assert_int_equal(r->error, FX_ERETRY_EXHAUSTED);
    assert_int_equal(r->nevents, 4);
    span_named("retry.attempt.5", "retry");
    assert_int_equal(count_calls("stage_error", "retry"), 1);
    resil_obs_retried_free(p);
}

static void test_resil_obs_breaker_state_events(void **state)
{
    env *e = *state;
    resil_obs_guarded *p = resil_obs_guarded_new(e->rt);
    int64_t bad = -1, good = 1, out = 0;
    assert_int_equal(resil_obs_guarded_process(p, e->ctx, &bad, &out), BAD_INPUT);
    assert_int_equal(count_calls("breaker_state", "cb"), 0);
    assert_int_equal(resil_obs_guarded_process(p, e->ctx, &bad, &out), BAD_INPUT);   /* opens */
    assert_int_equal(count_calls("breaker_state", "cb"), 1);
    assert_int_equal(nth_call("breaker_state", 0)->a, FX_CIRCUIT_CLOSED);
    assert_int_equal(nth_call("breaker_state", 0)->b, FX_CIRCUIT_OPEN);

    /* the second call's breaker span: the event, the state after it */
    assert_int_equal(nspans, 6);   /* per call: guarded > cb > svc */
    rec_span *cb = &spans[4];
    assert_string_equal(cb->name, "cb");
    assert_int_equal(cb->nevents, 1);
    assert_int_equal(cb->events[0].kind, FX_EVENT_BREAKER_STATE);
    assert_string_equal(cb->events[0].component->name, "cb");
    assert_int_equal(cb->events[0].index, FX_CIRCUIT_CLOSED);
    assert_int_equal(cb->events[0].value, FX_CIRCUIT_OPEN);
    assert_string_equal(attr_str(cb, "fluxus.circuit_breaker.state"), "open");
    assert_null(attr(cb, "fluxus.circuit_breaker.rejected"));

    /* open: rejected without calling svc */
    assert_int_equal(resil_obs_guarded_process(p, e->ctx, &good, &out), FX_ECIRCUIT_OPEN);
    assert_int_equal(nspans, 8);
    cb = &spans[7];
    assert_string_equal(cb->name, "cb");
    assert_int_equal(attr_int(cb, "fluxus.circuit_breaker.rejected"), 1);
    assert_string_equal(attr_str(cb, "fluxus.circuit_breaker.state"), "open");
    assert_int_equal(cb->error, FX_ECIRCUIT_OPEN);
    assert_int_equal(count_calls("stage_error", "cb"), 3);

    /* after the reset time: half-open, then closed by one success */
    fx_clock_fake_advance(clock_, 1000 * MS);
    assert_int_equal(resil_obs_guarded_process(p, e->ctx, &good, &out), 0);
    assert_int_equal(count_calls("breaker_state", "cb"), 3);
    assert_int_equal(nth_call("breaker_state", 1)->b, FX_CIRCUIT_HALF_OPEN);
    assert_int_equal(nth_call("breaker_state", 2)->a, FX_CIRCUIT_HALF_OPEN);
    assert_int_equal(nth_call("breaker_state", 2)->b, FX_CIRCUIT_CLOSED);
    cb = &spans[9];
    assert_string_equal(cb->name, "cb");
    assert_int_equal(cb->nevents, 2);
    assert_string_equal(attr_str(cb, "fluxus.circuit_breaker.state"), "closed");

    /* run-time control (ctx NULL in the runtime): the metrics still hear it */
    fx_circuit_breaker_force_open(resil_obs_guarded_cb(p));
    assert_int_equal(count_calls("breaker_state", "cb"), 4);
    fx_circuit_breaker_reset(resil_obs_guarded_cb(p));
    assert_int_equal(count_calls("breaker_state", "cb"), 5);
    resil_obs_guarded_free(p);
}

static void test_resil_obs_limiter_reject(void **state)
{
    env *e = *state;
    resil_obs_limited *p = resil_obs_limited_new(e->rt);
    int64_t in = 1, out = 0;
    assert_int_equal(resil_obs_limited_process(p, e->ctx, &in, &out), 0);
    assert_int_equal(resil_obs_limited_process(p, e->ctx, &in, &out), FX_ERATE_LIMITED);
    assert_int_equal(count_calls("limiter_reject", "rl"), 1);
    assert_int_equal(count_calls("limiter_wait", "rl"), 0);
    assert_int_equal(nspans, 5);   /* limited > rl > svc, then limited > rl */
    rec_span *rl = &spans[4];
    assert_string_equal(rl->name, "rl");
    assert_ptr_equal(rl->parent, &spans[3]);
    assert_int_equal(rl->nevents, 1);
    assert_int_equal(rl->events[0].kind, FX_EVENT_LIMITER_REJECT);
    assert_string_equal(rl->events[0].component->name, "rl");
    assert_int_equal(rl->error, FX_ERATE_LIMITED);
    assert_null(attr(rl, "fluxus.rate_limit.waited_ms"));
    assert_int_equal(count_calls("stage_error", "rl"), 1);
    resil_obs_limited_free(p);
}

static void test_resil_obs_limiter_wait(void **state)
{
    env *e = *state;
    resil_obs_paced *p = resil_obs_paced_new(e->rt);
    int64_t in = 1, out = 0;
    assert_int_equal(resil_obs_paced_process(p, e->ctx, &in, &out), 0);
    assert_null(attr(&spans[1], "fluxus.rate_limit.waited_ms"));   /* the bucket's token */
    assert_int_equal(resil_obs_paced_process(p, e->ctx, &in, &out), 0);   /* waits 10ms */
    assert_int_equal(count_calls("limiter_wait", "rate_limit"), 1);
    assert_int_equal(nth_call("limiter_wait", 0)->v, 10 * MS);
    rec_span *rl = &spans[4];
    assert_string_equal(rl->name, "rate_limit");
    assert_int_equal(attr_int(rl, "fluxus.rate_limit.waited_ms"), 10);
    assert_int_equal(rl->nevents, 1);
    assert_int_equal(rl->events[0].kind, FX_EVENT_LIMITER_WAIT);
    assert_int_equal(rl->events[0].value, 10 * MS);
    resil_obs_paced_free(p);
}

static void test_resil_obs_dlq_handoff(void **state)
{
    env *e = *state;
    resil_obs_dead *p = resil_obs_dead_new(e->rt);
    int64_t good = 1, bad = -3, out = 0;
    assert_int_equal(resil_obs_dead_process(p, e->ctx, &good, &out), 0);
    assert_int_equal(count_calls("dlq", "dlq"), 0);
    assert_null(attr(&spans[1], "fluxus.dlq.item_sent"));
    assert_int_equal(resil_obs_dead_process(p, e->ctx, &bad, &out), BAD_INPUT);
    assert_int_equal(dlq_calls, 1);
    assert_int_equal(count_calls("dlq", "dlq"), 1);
    assert_int_equal(nth_call("dlq", 0)->a, BAD_INPUT);
    rec_span *d = &spans[4];   /* dead > dlq > svc, twice */
    assert_string_equal(d->name, "dlq");
    assert_string_equal(d->parent->name, "dead");
    assert_int_equal(d->nevents, 1);
    assert_int_equal(d->events[0].kind, FX_EVENT_DLQ);
    assert_int_equal(d->events[0].code, BAD_INPUT);
    assert_int_equal(attr_int(d, "fluxus.dlq.item_sent"), 1);
    assert_int_equal(d->error, BAD_INPUT);   /* the item's error stands */
    resil_obs_dead_free(p);
}

static void test_resil_obs_timeout_span(void **state)
{
    env *e = *state;
    resil_obs_bounded *p = resil_obs_bounded_new(e->rt);
    int64_t fast = 5, slow = 50, out = 0;
    assert_int_equal(resil_obs_bounded_process(p, e->ctx, &fast, &out), 0);
    rec_span *t = &spans[1];
    assert_string_equal(t->name, "timeout");
    assert_int_equal(attr_int(t, "fluxus.timeout.duration_ms"), 30);
    assert_null(attr(t, "fluxus.timeout.occurred"));
    assert_int_equal(resil_obs_bounded_process(p, e->ctx, &slow, &out), FX_ETIMEOUT);
    t = &spans[4];
    assert_string_equal(t->name, "timeout");
    assert_int_equal(attr_int(t, "fluxus.timeout.occurred"), 1);
    assert_true(attr_double(t, "fluxus.stage.duration_ms") == 30.0);
    assert_int_equal(t->error, FX_ETIMEOUT);
    assert_ptr_equal(spans[5].parent, t);   /* the stage runs under the timeout's span */
    assert_string_equal(spans[5].name, "nap");
    assert_int_equal(spans[5].error, FX_EDEADLINE);
    assert_int_equal(count_calls("stage_error", "timeout"), 1);
    resil_obs_bounded_free(p);
}

/* Without metrics or tracer the same pipelines run and report nothing. */
static void test_resil_obs_unobserved_reports_nothing(void **state)
{
    (void)state;
    fx_runtime *rt = fx_runtime_new(&(fx_runtime_config){ .clock = clock_, .threads = 1 });
    fx_ctx *ctx = fx_ctx_new();
    resil_obs_retried *r = resil_obs_retried_new(rt);
    resil_obs_guarded *g = resil_obs_guarded_new(rt);
    flaky_failures = 2;
    int64_t in = 1, bad = -1, out = 0;
    assert_int_equal(resil_obs_retried_process(r, ctx, &in, &out), 0);
    for (int i = 0; i < 3; i++)
        (void)resil_obs_guarded_process(g, ctx, &bad, &out);
    assert_int_equal(fx_circuit_breaker_state(resil_obs_guarded_cb(g)), FX_CIRCUIT_OPEN);
    assert_int_equal(nspans, 0);
    assert_int_equal(ncalls, 0);
    resil_obs_guarded_free(g);
    resil_obs_retried_free(r);
    fx_ctx_free(ctx);
    fx_runtime_free(rt);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_resil_obs_retry_span_with_attempts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_resil_obs_retry_exhausted, setup, teardown),
        cmocka_unit_test_setup_teardown(test_resil_obs_breaker_state_events, setup, teardown),
        cmocka_unit_test_setup_teardown(test_resil_obs_limiter_reject, setup, teardown),
        cmocka_unit_test_setup_teardown(test_resil_obs_limiter_wait, setup, teardown),
        cmocka_unit_test_setup_teardown(test_resil_obs_dlq_handoff, setup, teardown),
        cmocka_unit_test_setup_teardown(test_resil_obs_timeout_span, setup, teardown),
        cmocka_unit_test_setup_teardown(test_resil_obs_unobserved_reports_nothing, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
