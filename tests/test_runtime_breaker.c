/* tests/test_runtime_breaker.c — fx_circuit_breaker on the fake clock:
 * the consecutive-failure state machine, half-open admission, the rolling
 * window, slow calls, run-time control, events and many threads. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <sched.h>

#include <fluxus/fluxus.h>

#include "fx_test.h"

#define MS FX_TEST_MS
#define SEC (1000 * MS)

enum { APP_ERR = 5 };

static fx_circuit_breaker_config consecutive(fx_clock *c, int failures, int64_t reset, int successes,
                                             int half_open)
{
    return (fx_circuit_breaker_config){
        .failures = failures, .reset_ns = reset, .successes = successes, .half_open = half_open,
        .failure_rate = -1, .slow_rate = -1, .min_calls = 1, .clock = c,
    };
}

/* One call through cb with result rc; returns enter's result (0 = it ran). */
static int call(fx_circuit_breaker *cb, int rc)
{
    fx_circuit_call k;
    int e = fx_circuit_breaker_enter(cb, NULL, &k);
    if (e != 0) return e;
    fx_circuit_breaker_exit(cb, NULL, &k, rc);
    return 0;
}

static void test_breaker_stays_closed_below_threshold(void **state)
{
    (void)state;
    fx_clock *c = fx_clock_fake_new(0);
    fx_circuit_breaker_config cfg = consecutive(c, 3, SEC, 1, 1);
    fx_circuit_breaker *cb = fx_circuit_breaker_new(&cfg);
    assert_int_equal(call(cb, APP_ERR), 0);
    assert_int_equal(call(cb, APP_ERR), 0);
    assert_int_equal(fx_circuit_breaker_state(cb), FX_CIRCUIT_CLOSED);
    assert_int_equal(call(cb, 0), 0);              /* a success restarts the count */
    assert_int_equal(call(cb, APP_ERR), 0);
    assert_int_equal(call(cb, APP_ERR), 0);
    assert_int_equal(fx_circuit_breaker_state(cb), FX_CIRCUIT_CLOSED);
    assert_int_equal(call(cb, APP_ERR), 0);
    assert_int_equal(fx_circuit_breaker_state(cb), FX_CIRCUIT_OPEN);
    fx_circuit_breaker_free(cb);
    fx_clock_free(c);
}

static void test_breaker_opens_and_rejects(void **state)
{
    (void)state;
    fx_clock *c = fx_clock_fake_new(0);
    fx_circuit_breaker_config cfg = consecutive(c, 3, SEC, 1, 1);
    fx_circuit_breaker *cb = fx_circuit_breaker_new(&cfg);
    for (int i = 0; i < 3; i++) assert_int_equal(call(cb, APP_ERR), 0);
    assert_int_equal(fx_circuit_breaker_state(cb), FX_CIRCUIT_OPEN);
    assert_int_equal(call(cb, 0), FX_ECIRCUIT_OPEN);
    fx_clock_fake_advance(c, SEC - 1);             /* not yet */
    assert_int_equal(call(cb, 0), FX_ECIRCUIT_OPEN);
    assert_int_equal(fx_circuit_breaker_state(cb), FX_CIRCUIT_OPEN);
    fx_circuit_breaker_free(cb);
    fx_clock_free(c);
}

static void test_breaker_half_open_successes_close(void **state)
{
    (void)state;
    fx_clock *c = fx_clock_fake_new(0);
    fx_circuit_breaker_config cfg = consecutive(c, 1, SEC, 2, 1);
    fx_circuit_breaker *cb = fx_circuit_breaker_new(&cfg);
    assert_int_equal(call(cb, APP_ERR), 0);
    assert_int_equal(fx_circuit_breaker_state(cb), FX_CIRCUIT_OPEN);
    fx_clock_fake_advance(c, SEC);
    assert_int_equal(fx_circuit_breaker_state(cb), FX_CIRCUIT_OPEN);   /* moves on the next call */
    assert_int_equal(call(cb, 0), 0);
    assert_int_equal(fx_circuit_breaker_state(cb), FX_CIRCUIT_HALF_OPEN);
    assert_int_equal(call(cb, 0), 0);
    assert_int_equal(fx_circuit_breaker_state(cb), FX_CIRCUIT_CLOSED);
    fx_circuit_breaker_free(cb);
    fx_clock_free(c);
}

static void test_breaker_half_open_failure_reopens(void **state)
{
    (void)state;
    fx_clock *c = fx_clock_fake_new(0);
    fx_circuit_breaker_config cfg = consecutive(c, 1, SEC, 2, 1);
    fx_circuit_breaker *cb = fx_circuit_breaker_new(&cfg);
    assert_int_equal(call(cb, APP_ERR), 0);
    fx_clock_fake_advance(c, SEC);
    assert_int_equal(call(cb, 0), 0);               /* half-open, one success */
    assert_int_equal(call(cb, APP_ERR), 0);         /* fails: open again, for a full reset time */
    assert_int_equal(fx_circuit_breaker_state(cb), FX_CIRCUIT_OPEN);
    fx_clock_fake_advance(c, SEC - 1);
    assert_int_equal(call(cb, 0), FX_ECIRCUIT_OPEN);
    fx_clock_fake_advance(c, 1);
    assert_int_equal(call(cb, 0), 0);
    assert_int_equal(fx_circuit_breaker_state(cb), FX_CIRCUIT_HALF_OPEN);
    fx_circuit_breaker_free(cb);
    fx_clock_free(c);
}

static void test_breaker_half_open_limits_in_flight(void **state)
{
    (void)state;
    fx_clock *c = fx_clock_fake_new(0);
    fx_circuit_breaker_config cfg = consecutive(c, 1, 0, 3, 2);   /* reset 0: half-open at once */
    fx_circuit_breaker *cb = fx_circuit_breaker_new(&cfg);
    assert_int_equal(call(cb, APP_ERR), 0);
    fx_circuit_call a, b, d, e;
    assert_int_equal(fx_circuit_breaker_enter(cb, NULL, &a), 0);
    assert_int_equal(fx_circuit_breaker_state(cb), FX_CIRCUIT_HALF_OPEN);
    assert_int_equal(fx_circuit_breaker_enter(cb, NULL, &b), 0);
    assert_int_equal(fx_circuit_breaker_enter(cb, NULL, &d), FX_ECIRCUIT_OPEN);   /* 2 in flight */
    fx_circuit_breaker_exit(cb, NULL, &a, 0);
    assert_int_equal(fx_circuit_breaker_enter(cb, NULL, &d), 0);                 /* a slot is free */
    assert_int_equal(fx_circuit_breaker_enter(cb, NULL, &e), FX_ECIRCUIT_OPEN);
    fx_circuit_breaker_exit(cb, NULL, &b, 0);
    fx_circuit_breaker_exit(cb, NULL, &d, 0);
    assert_int_equal(fx_circuit_breaker_state(cb), FX_CIRCUIT_CLOSED);           /* 3 successes */
    fx_circuit_breaker_free(cb);
    fx_clock_free(c);
}

static void test_breaker_cancellation_is_not_a_failure(void **state)
{
    (void)state;
    fx_clock *c = fx_clock_fake_new(0);
    fx_circuit_breaker_config cfg = consecutive(c, 2, SEC, 1, 1);
    fx_circuit_breaker *cb = fx_circuit_breaker_new(&cfg);
    assert_int_equal(call(cb, APP_ERR), 0);
    assert_int_equal(call(cb, FX_ECANCELED), 0);
    assert_int_equal(call(cb, FX_EFILTERED), 0);
    assert_int_equal(fx_circuit_breaker_state(cb), FX_CIRCUIT_CLOSED);
    assert_int_equal(call(cb, FX_ETIMEOUT), 0);     /* the second consecutive failure */
    assert_int_equal(fx_circuit_breaker_state(cb), FX_CIRCUIT_OPEN);
    fx_circuit_breaker_free(cb);
    fx_clock_free(c);
}

static fx_circuit_breaker_config windowed(fx_clock *c, double rate, int min_calls)
{
    return (fx_circuit_breaker_config){
        .failures = 0, .reset_ns = SEC, .successes = 1, .half_open = 1, .window_ns = 10 * SEC,
        .failure_rate = rate, .min_calls = min_calls, .slow_rate = -1, .clock = c,
    };
}

static void test_breaker_window_trips_at_rate_after_min_calls(void **state)
{
    (void)state;
    fx_clock *c = fx_clock_fake_new(0);
    fx_circuit_breaker_config cfg = windowed(c, 0.5, 10);
    fx_circuit_breaker *cb = fx_circuit_breaker_new(&cfg);
    /* 9 calls, all failing: 100% but below min_calls */
    for (int i = 0; i < 9; i++) assert_int_equal(call(cb, APP_ERR), 0);
    assert_int_equal(fx_circuit_breaker_state(cb), FX_CIRCUIT_CLOSED);
    assert_int_equal(call(cb, APP_ERR), 0);         /* the 10th: 10/10 */
    assert_int_equal(fx_circuit_breaker_state(cb), FX_CIRCUIT_OPEN);
    fx_circuit_breaker_reset(cb);

    /* 10 calls at 40%: stays closed; one more failure: 5/11 = 45%; one more: 6/12 = 50% trips */
    for (int i = 0; i < 10; i++) assert_int_equal(call(cb, i < 4 ? APP_ERR : 0), 0);
    assert_int_equal(fx_circuit_breaker_state(cb), FX_CIRCUIT_CLOSED);
    assert_int_equal(call(cb, APP_ERR), 0);
    assert_int_equal(fx_circuit_breaker_state(cb), FX_CIRCUIT_CLOSED);
    assert_int_equal(call(cb, APP_ERR), 0);
    assert_int_equal(fx_circuit_breaker_state(cb), FX_CIRCUIT_OPEN);
    fx_circuit_breaker_free(cb);
    fx_clock_free(c);
}

static void test_breaker_window_forgets_old_calls(void **state)
{
    (void)state;
    fx_clock *c = fx_clock_fake_new(0);
    fx_circuit_breaker_config cfg = windowed(c, 0.5, 4);
    fx_circuit_breaker *cb = fx_circuit_breaker_new(&cfg);
    for (int i = 0; i < 3; i++) assert_int_equal(call(cb, APP_ERR), 0);   /* 3 failures at t=0 */
    fx_clock_fake_advance(c, 10 * SEC);             /* the window has moved past them */
    assert_int_equal(call(cb, APP_ERR), 0);         /* 1 call in the window: below min_calls */
    assert_int_equal(fx_circuit_breaker_state(cb), FX_CIRCUIT_CLOSED);
    for (int i = 0; i < 3; i++) assert_int_equal(call(cb, 0), 0);
    assert_int_equal(fx_circuit_breaker_state(cb), FX_CIRCUIT_CLOSED);   /* 1/4 */
    fx_circuit_breaker_free(cb);
    fx_clock_free(c);
}

/* A call that takes `ns` of fake time and ends with rc. */
static void timed_call(fx_circuit_breaker *cb, fx_clock *c, int64_t ns, int rc)
{
    fx_circuit_call k;
    assert_int_equal(fx_circuit_breaker_enter(cb, NULL, &k), 0);
    fx_clock_fake_advance(c, ns);
    fx_circuit_breaker_exit(cb, NULL, &k, rc);
}

static void test_breaker_slow_rate_trips(void **state)
{
    (void)state;
    fx_clock *c = fx_clock_fake_new(0);
    fx_circuit_breaker_config cfg = windowed(c, -1, 4);
    cfg.slow_call_ns = 2 * SEC;
    cfg.slow_rate = 0.5;
    fx_circuit_breaker *cb = fx_circuit_breaker_new(&cfg);
    timed_call(cb, c, 10 * MS, 0);
    timed_call(cb, c, 2 * SEC, 0);                  /* slow (>= slow_call), though successful */
    timed_call(cb, c, 10 * MS, 0);
    assert_int_equal(fx_circuit_breaker_state(cb), FX_CIRCUIT_CLOSED);
    timed_call(cb, c, 3 * SEC, 0);                  /* 2 slow of 4 */
    assert_int_equal(fx_circuit_breaker_state(cb), FX_CIRCUIT_OPEN);
    fx_circuit_breaker_free(cb);
    fx_clock_free(c);
}

static void test_breaker_slow_call_counts_as_failure_without_slow_rate(void **state)
{
    (void)state;
    fx_clock *c = fx_clock_fake_new(0);
    fx_circuit_breaker_config cfg = consecutive(c, 2, SEC, 1, 1);
    cfg.slow_call_ns = 100 * MS;
    fx_circuit_breaker *cb = fx_circuit_breaker_new(&cfg);
    timed_call(cb, c, 100 * MS, 0);
    timed_call(cb, c, 99 * MS, 0);                  /* fast: the count restarts */
    timed_call(cb, c, 150 * MS, 0);
    assert_int_equal(fx_circuit_breaker_state(cb), FX_CIRCUIT_CLOSED);
    timed_call(cb, c, 150 * MS, 0);
    assert_int_equal(fx_circuit_breaker_state(cb), FX_CIRCUIT_OPEN);
    fx_circuit_breaker_free(cb);
    fx_clock_free(c);
}

static void test_breaker_reset_and_force_open(void **state)
{
    (void)state;
    fx_clock *c = fx_clock_fake_new(0);
    fx_circuit_breaker_config cfg = consecutive(c, 2, SEC, 1, 1);
    fx_circuit_breaker *cb = fx_circuit_breaker_new(&cfg);
    fx_circuit_breaker_force_open(cb);
    assert_int_equal(fx_circuit_breaker_state(cb), FX_CIRCUIT_OPEN);
    assert_int_equal(call(cb, 0), FX_ECIRCUIT_OPEN);
    fx_clock_fake_advance(c, 100 * SEC);            /* held open: the reset time does not apply */
    assert_int_equal(call(cb, 0), FX_ECIRCUIT_OPEN);
    assert_int_equal(fx_circuit_breaker_state(cb), FX_CIRCUIT_OPEN);
    fx_circuit_breaker_reset(cb);
    assert_int_equal(fx_circuit_breaker_state(cb), FX_CIRCUIT_CLOSED);
    assert_int_equal(call(cb, APP_ERR), 0);
    fx_circuit_breaker_reset(cb);                   /* counts cleared: one more failure is not 2 */
    assert_int_equal(call(cb, APP_ERR), 0);
    assert_int_equal(fx_circuit_breaker_state(cb), FX_CIRCUIT_CLOSED);

    /* a call in flight across a reset is not counted */
    fx_circuit_call k;
    assert_int_equal(fx_circuit_breaker_enter(cb, NULL, &k), 0);
    fx_circuit_breaker_reset(cb);
    fx_circuit_breaker_exit(cb, NULL, &k, APP_ERR);
    assert_int_equal(call(cb, APP_ERR), 0);
    assert_int_equal(fx_circuit_breaker_state(cb), FX_CIRCUIT_CLOSED);
    fx_circuit_breaker_free(cb);
    fx_clock_free(c);
}

/* ---- events */

typedef struct seen {
    int n;
    int from[8], to[8];
} seen;

static void on_event(void *user, const fx_event *ev)
{
    seen *s = user;
    if (ev->kind == FX_EVENT_BREAKER_STATE && s->n < 8) {
        s->from[s->n] = ev->index;
        s->to[s->n] = (int)ev->value;
        s->n++;
    }
}

static void test_breaker_reports_transitions(void **state)
{
    (void)state;
    fx_clock *c = fx_clock_fake_new(0);
    seen s = { 0 };
    fx_metrics m = { .user = &s, .event = on_event };
    fx_runtime *rt = fx_runtime_new(&(fx_runtime_config){ .clock = c, .metrics = &m, .threads = 1 });
    static const fx_component comp = { "p", "cb", "m", FX_COMPONENT_COMBINATOR };
    fx_circuit_breaker_config cfg = consecutive(c, 1, SEC, 1, 1);
    cfg.rt = rt;
    cfg.component = &comp;
    fx_circuit_breaker *cb = fx_circuit_breaker_new(&cfg);
    assert_int_equal(call(cb, APP_ERR), 0);
    fx_clock_fake_advance(c, SEC);
    assert_int_equal(call(cb, 0), 0);
    assert_int_equal(s.n, 3);
    assert_int_equal(s.from[0], FX_CIRCUIT_CLOSED);
    assert_int_equal(s.to[0], FX_CIRCUIT_OPEN);
    assert_int_equal(s.from[1], FX_CIRCUIT_OPEN);
    assert_int_equal(s.to[1], FX_CIRCUIT_HALF_OPEN);
    assert_int_equal(s.from[2], FX_CIRCUIT_HALF_OPEN);
    assert_int_equal(s.to[2], FX_CIRCUIT_CLOSED);
    fx_circuit_breaker_free(cb);
    fx_runtime_free(rt);
    fx_clock_free(c);
}

/* ---- many threads */

enum { THREADS = 50, CALLS = 10 };

typedef struct shared {
    fx_circuit_breaker *cb;
    atomic_int admitted, rejected, ran;
    atomic_int in_flight, max_in_flight;
    int fail;                           /* result of every call */
} shared;

static void *worker(void *arg)
{
    shared *s = arg;
    for (int i = 0; i < CALLS; i++) {
        fx_circuit_call k;
        if (fx_circuit_breaker_enter(s->cb, NULL, &k) != 0) {
            atomic_fetch_add(&s->rejected, 1);
            continue;
        }
        atomic_fetch_add(&s->admitted, 1);
        atomic_fetch_add(&s->ran, 1);
        int now = atomic_fetch_add(&s->in_flight, 1) + 1;
        int max = atomic_load(&s->max_in_flight);
        while (now > max && !atomic_compare_exchange_weak(&s->max_in_flight, &max, now)) {
        }
        sched_yield();                  /* let others try to get in meanwhile */
        atomic_fetch_sub(&s->in_flight, 1);
        fx_circuit_breaker_exit(s->cb, NULL, &k, s->fail);
    }
    return NULL;
}

static void run_threads(shared *s)
{
    pthread_t t[THREADS];
    for (int i = 0; i < THREADS; i++) assert_int_equal(pthread_create(&t[i], NULL, worker, s), 0);
    for (int i = 0; i < THREADS; i++) assert_int_equal(pthread_join(t[i], NULL), 0);
}

/* ---- the inline closed path (resilience.h) against the rest */

/* A success that ends after the breaker moved on changes nothing, also
 * when it takes the inline exit: a half-open call ending in a closed
 * breaker does not free a slot of a later half-open state. */
static void test_breaker_half_open_call_ending_closed_is_not_counted(void **state)
{
    (void)state;
    fx_clock *c = fx_clock_fake_new(0);
    fx_circuit_breaker_config cfg = consecutive(c, 1, 0, 1, 1);   /* reset 0: half-open at once */
    fx_circuit_breaker *cb = fx_circuit_breaker_new(&cfg);
    assert_int_equal(call(cb, APP_ERR), 0);
    fx_circuit_call a, b, d;
    assert_int_equal(fx_circuit_breaker_enter(cb, NULL, &a), 0);
    assert_int_equal(fx_circuit_breaker_state(cb), FX_CIRCUIT_HALF_OPEN);
    fx_circuit_breaker_reset(cb);
    fx_circuit_breaker_exit(cb, NULL, &a, 0);       /* closed, no failures: the inline exit */
    assert_int_equal(fx_circuit_breaker_state(cb), FX_CIRCUIT_CLOSED);
    assert_int_equal(call(cb, APP_ERR), 0);         /* open again */
    assert_int_equal(fx_circuit_breaker_enter(cb, NULL, &b), 0);
    assert_int_equal(fx_circuit_breaker_state(cb), FX_CIRCUIT_HALF_OPEN);
    assert_int_equal(fx_circuit_breaker_enter(cb, NULL, &d), FX_ECIRCUIT_OPEN);   /* its one slot is b's */
    fx_circuit_breaker_exit(cb, NULL, &b, 0);
    assert_int_equal(fx_circuit_breaker_state(cb), FX_CIRCUIT_CLOSED);
    fx_circuit_breaker_free(cb);
    fx_clock_free(c);
}

/* A call admitted inline that succeeds after others failed clears their
 * count: the success is the newest result. */
static void test_breaker_success_in_flight_clears_failures(void **state)
{
    (void)state;
    fx_clock *c = fx_clock_fake_new(0);
    fx_circuit_breaker_config cfg = consecutive(c, 3, SEC, 1, 1);
    fx_circuit_breaker *cb = fx_circuit_breaker_new(&cfg);
    fx_circuit_call k;
    assert_int_equal(fx_circuit_breaker_enter(cb, NULL, &k), 0);
    assert_int_equal(call(cb, APP_ERR), 0);
    assert_int_equal(call(cb, APP_ERR), 0);
    fx_circuit_breaker_exit(cb, NULL, &k, 0);
    assert_int_equal(call(cb, APP_ERR), 0);
    assert_int_equal(call(cb, APP_ERR), 0);
    assert_int_equal(fx_circuit_breaker_state(cb), FX_CIRCUIT_CLOSED);   /* 2, not 4 */
    assert_int_equal(call(cb, APP_ERR), 0);
    assert_int_equal(fx_circuit_breaker_state(cb), FX_CIRCUIT_OPEN);
    fx_circuit_breaker_free(cb);
    fx_clock_free(c);
}

/* The consecutive count is exact far beyond 16 bits. */
static void test_breaker_large_failure_threshold(void **state)
{
    (void)state;
    enum { N = 70000 };
    fx_clock *c = fx_clock_fake_new(0);
    fx_circuit_breaker_config cfg = consecutive(c, N, SEC, 1, 1);
    fx_circuit_breaker *cb = fx_circuit_breaker_new(&cfg);
    for (int i = 0; i < N - 1; i++) assert_int_equal(call(cb, APP_ERR), 0);
    assert_int_equal(fx_circuit_breaker_state(cb), FX_CIRCUIT_CLOSED);
    assert_int_equal(call(cb, 0), 0);               /* cleared */
    for (int i = 0; i < N - 1; i++) assert_int_equal(call(cb, APP_ERR), 0);
    assert_int_equal(fx_circuit_breaker_state(cb), FX_CIRCUIT_CLOSED);
    assert_int_equal(call(cb, APP_ERR), 0);
    assert_int_equal(fx_circuit_breaker_state(cb), FX_CIRCUIT_OPEN);
    fx_circuit_breaker_free(cb);
    fx_clock_free(c);
}

/* force_open and reset from one thread while others call through the
 * inline closed path: once a control call has returned, every call that
 * starts after it sees it (rejected after force_open, admitted after
 * reset). A worker checks its answer only when the round did not move
 * while it called. */
enum { CONTROL_ROUNDS = 200, CONTROL_THREADS = 4 };

typedef struct control {
    fx_circuit_breaker *cb;
    atomic_int round;                   /* odd: forced open; even: reset; set after the call
                                           returned; -1 while it runs */
    atomic_int seen[CONTROL_THREADS];           /* the last round each worker answered correctly in */
    atomic_int wrong;
    atomic_bool stop;
} control;

typedef struct control_arg {
    control *ctl;
    int id;
} control_arg;

static void *control_worker(void *arg)
{
    control_arg *a = arg;
    control *ctl = a->ctl;
    while (!atomic_load(&ctl->stop)) {
        int r = atomic_load(&ctl->round);
        fx_circuit_call k;
        int e = fx_circuit_breaker_enter(ctl->cb, NULL, &k);
        if (e == 0) fx_circuit_breaker_exit(ctl->cb, NULL, &k, 0);
        if (r < 0 || atomic_load(&ctl->round) != r) continue;
        if (e != (r % 2 == 1 ? FX_ECIRCUIT_OPEN : 0)) atomic_fetch_add(&ctl->wrong, 1);
        else if (atomic_exchange(&ctl->seen[a->id], r) == r) sched_yield();   /* answered: let the control run */
    }
    return NULL;
}

static void test_breaker_control_reaches_inline_callers(void **state)
{
    (void)state;
    fx_clock *c = fx_clock_fake_new(0);
    fx_circuit_breaker_config cfg = consecutive(c, 3, SEC, 1, 1);
    control ctl = { .cb = fx_circuit_breaker_new(&cfg) };
    control_arg args[CONTROL_THREADS];
    pthread_t t[CONTROL_THREADS];
    for (int i = 0; i < CONTROL_THREADS; i++) {
        args[i] = (control_arg){ .ctl = &ctl, .id = i };
        assert_int_equal(pthread_create(&t[i], NULL, control_worker, &args[i]), 0);
    }
    for (int r = 1; r <= 2 * CONTROL_ROUNDS; r++) {
        atomic_store(&ctl.round, -1);   /* changing: no answer counts */
        if (r % 2 == 1) fx_circuit_breaker_force_open(ctl.cb);
        else fx_circuit_breaker_reset(ctl.cb);
        atomic_store(&ctl.round, r);
        for (int i = 0; i < CONTROL_THREADS; i++)
            while (atomic_load(&ctl.seen[i]) != r && atomic_load(&ctl.wrong) == 0) sched_yield();
        if (atomic_load(&ctl.wrong) != 0) break;
    }
    atomic_store(&ctl.stop, true);
    for (int i = 0; i < CONTROL_THREADS; i++) assert_int_equal(pthread_join(t[i], NULL), 0);
    assert_int_equal(atomic_load(&ctl.wrong), 0);
    assert_int_equal(fx_circuit_breaker_state(ctl.cb), FX_CIRCUIT_CLOSED);
    fx_circuit_breaker_free(ctl.cb);
    fx_clock_free(c);
}

static void test_breaker_state_names(void **state)
{
    (void)state;
    assert_string_equal(fx_circuit_state_name(FX_CIRCUIT_CLOSED), "closed");
    assert_string_equal(fx_circuit_state_name(FX_CIRCUIT_OPEN), "open");
    assert_string_equal(fx_circuit_state_name(FX_CIRCUIT_HALF_OPEN), "half-open");
    assert_string_equal(fx_circuit_state_name((fx_circuit_state)7), "unknown");
}

static void test_breaker_many_threads_successes(void **state)
{
    (void)state;
    fx_clock *c = fx_clock_fake_new(0);
    fx_circuit_breaker_config cfg = consecutive(c, 3, SEC, 1, 1);
    shared s = { .cb = fx_circuit_breaker_new(&cfg), .fail = 0 };
    run_threads(&s);
    assert_int_equal(atomic_load(&s.admitted), THREADS * CALLS);
    assert_int_equal(atomic_load(&s.rejected), 0);
    assert_int_equal(fx_circuit_breaker_state(s.cb), FX_CIRCUIT_CLOSED);
    fx_circuit_breaker_free(s.cb);
    fx_clock_free(c);
}

static void test_breaker_many_threads_failures(void **state)
{
    (void)state;
    fx_clock *c = fx_clock_fake_new(0);
    fx_circuit_breaker_config cfg = consecutive(c, 3, SEC, 1, 1);
    shared s = { .cb = fx_circuit_breaker_new(&cfg), .fail = APP_ERR };
    run_threads(&s);
    int admitted = atomic_load(&s.admitted);
    assert_int_equal(admitted + atomic_load(&s.rejected), THREADS * CALLS);
    assert_int_equal(admitted, atomic_load(&s.ran));
    assert_true(admitted >= 3);                     /* it took 3 failures to open */
    assert_true(admitted < THREADS * CALLS);        /* and then it rejected */
    assert_int_equal(fx_circuit_breaker_state(s.cb), FX_CIRCUIT_OPEN);
    fx_circuit_breaker_free(s.cb);
    fx_clock_free(c);
}

static void test_breaker_many_threads_half_open_limit(void **state)
{
    (void)state;
    fx_clock *c = fx_clock_fake_new(0);
    fx_circuit_breaker_config cfg = consecutive(c, 1, 0, 1000000, 4);
    shared s = { .cb = fx_circuit_breaker_new(&cfg), .fail = 0 };
    assert_int_equal(call(s.cb, APP_ERR), 0);       /* open; reset 0: half-open on the next call */
    run_threads(&s);
    int admitted = atomic_load(&s.admitted);
    assert_int_equal(admitted + atomic_load(&s.rejected), THREADS * CALLS);
    assert_true(admitted >= 1);
    assert_true(atomic_load(&s.max_in_flight) <= 4);
    assert_int_equal(fx_circuit_breaker_state(s.cb), FX_CIRCUIT_HALF_OPEN);
    /* every admitted call ended: all 4 slots are free again */
    fx_circuit_call k[5];
    for (int i = 0; i < 4; i++) assert_int_equal(fx_circuit_breaker_enter(s.cb, NULL, &k[i]), 0);
    assert_int_equal(fx_circuit_breaker_enter(s.cb, NULL, &k[4]), FX_ECIRCUIT_OPEN);
    for (int i = 0; i < 4; i++) fx_circuit_breaker_exit(s.cb, NULL, &k[i], 0);
    fx_circuit_breaker_free(s.cb);
    fx_clock_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_breaker_stays_closed_below_threshold),
        cmocka_unit_test(test_breaker_opens_and_rejects),
        cmocka_unit_test(test_breaker_half_open_successes_close),
        cmocka_unit_test(test_breaker_half_open_failure_reopens),
        cmocka_unit_test(test_breaker_half_open_limits_in_flight),
        cmocka_unit_test(test_breaker_cancellation_is_not_a_failure),
        cmocka_unit_test(test_breaker_window_trips_at_rate_after_min_calls),
        cmocka_unit_test(test_breaker_window_forgets_old_calls),
        cmocka_unit_test(test_breaker_slow_rate_trips),
        cmocka_unit_test(test_breaker_slow_call_counts_as_failure_without_slow_rate),
        cmocka_unit_test(test_breaker_reset_and_force_open),
        cmocka_unit_test(test_breaker_reports_transitions),
        cmocka_unit_test(test_breaker_half_open_call_ending_closed_is_not_counted),
        cmocka_unit_test(test_breaker_success_in_flight_clears_failures),
        cmocka_unit_test(test_breaker_large_failure_threshold),
        cmocka_unit_test(test_breaker_control_reaches_inline_callers),
        cmocka_unit_test(test_breaker_state_names),
        cmocka_unit_test(test_breaker_many_threads_successes),
        cmocka_unit_test(test_breaker_many_threads_failures),
        cmocka_unit_test(test_breaker_many_threads_half_open_limit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
