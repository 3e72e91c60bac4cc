/* tests/test_runtime_metrics.c — metrics events (specific callbacks) and
 * the Prometheus collector: exact counts after a known workload on the
 * fake clock, many threads, the text format checked by promtool, and a
 * real scrape over HTTP on 127.0.0.1. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fluxus/fluxus.h>
#include <fluxus/prometheus.h>

#include "fx_test.h"

#define MS FX_TEST_MS

static const fx_component PIPE = {"process", "process", "shop", FX_COMPONENT_PIPELINE};
static const fx_component PARSE = {"process", "parse", "shop", FX_COMPONENT_STAGE};
static const fx_component PARSE_AGAIN = {"process", "parse", "shop", FX_COMPONENT_STAGE};   /* same labels */
static const fx_component ODD = {"process", "we\"ird\\name\n", "shop", FX_COMPONENT_STAGE};
static const fx_component RETRY = {"process", "fetch_retry", "shop", FX_COMPONENT_COMBINATOR};
static const fx_component BREAKER = {"process", "cb", "shop", FX_COMPONENT_COMBINATOR};

/* Runs component c for ns on the fake clock, ending with rc. */
static void run(fx_runtime *rt, fx_clock *clk, fx_ctx *ctx, const fx_component *c, int64_t ns, int rc)
{
    fx_observation o;
    if (fx_runtime_observed(rt)) fx_observe_begin(rt, ctx, c, &o);
    fx_clock_fake_advance(clk, ns);
    if (fx_runtime_observed(rt)) fx_observe_end(rt, ctx, c, &o, rc);
}

/* ---------------------------------------------------------------- dispatch */

typedef struct calls {
    int retry, batch, fo_s, fo_c, fi_s, fi_c, breaker, lwait, lreject, dlq, filtered, route, generic;
    int last_int;
    int64_t last_value;
    int order;        /* 1 when the generic callback came after the specific one */
} calls;

static calls seen;
static void c_retry(void *u, const fx_component *c, int a, int code) { (void)u, (void)c; seen.retry++; seen.last_int = a * 100 + code; }
static void c_batch(void *u, const fx_component *c, int off, int64_t n) { (void)u, (void)c; seen.batch++; seen.last_int = off; seen.last_value = n; }
static void c_fo_s(void *u, const fx_component *c, int64_t n) { (void)u, (void)c; seen.fo_s++; seen.last_value = n; }
static void c_fo_c(void *u, const fx_component *c, int64_t n, int code) { (void)u, (void)c; seen.fo_c++; seen.last_value = n; seen.last_int = code; }
static void c_fi_s(void *u, const fx_component *c, int64_t n) { (void)u, (void)c; seen.fi_s++; seen.last_value = n; }
static void c_fi_c(void *u, const fx_component *c, int code) { (void)u, (void)c; seen.fi_c++; seen.last_int = code; }
static void c_breaker(void *u, const fx_component *c, int from, int to) { (void)u, (void)c; seen.breaker++; seen.last_int = from * 10 + to; }
static void c_lwait(void *u, const fx_component *c, int64_t ns) { (void)u, (void)c; seen.lwait++; seen.last_value = ns; }
static void c_lreject(void *u, const fx_component *c) { (void)u, (void)c; seen.lreject++; }
static void c_dlq(void *u, const fx_component *c, int code) { (void)u, (void)c; seen.dlq++; seen.last_int = code; }
static void c_filtered(void *u, const fx_component *c) { (void)u, (void)c; seen.filtered++; }
static void c_route(void *u, const fx_component *c, int r) { (void)u, (void)c; seen.route++; seen.last_int = r; }
static void c_generic(void *u, const fx_event *ev)
{
    (void)u, (void)ev;
    int specific = seen.retry + seen.batch + seen.fo_s + seen.fo_c + seen.fi_s + seen.fi_c + seen.breaker +
                   seen.lwait + seen.lreject + seen.dlq + seen.filtered + seen.route;
    seen.generic++;
    seen.order = specific == seen.generic;
}

static void emit(fx_runtime *rt, fx_event_kind kind, int64_t value, int index, int code)
{
    fx_event ev = {.kind = kind, .component = &RETRY, .value = value, .index = index, .code = code};
    fx_observe_event(rt, NULL, &ev);
}

static void test_runtime_metrics_events_reach_specific_callbacks(void **state)
{
    (void)state;
    memset(&seen, 0, sizeof seen);
    fx_metrics m = {
        .retry_attempt = c_retry, .buffer_batch = c_batch, .fanout_started = c_fo_s,
        .fanout_completed = c_fo_c, .fanin_started = c_fi_s, .fanin_completed = c_fi_c,
        .breaker_state = c_breaker, .limiter_wait = c_lwait, .limiter_reject = c_lreject,
        .dlq = c_dlq, .filtered = c_filtered, .route_selected = c_route, .event = c_generic,
    };
    fx_runtime *rt = fx_runtime_new(&(fx_runtime_config){.metrics = &m});
    emit(rt, FX_EVENT_RETRY_ATTEMPT, 0, 2, 7);
    assert_int_equal(seen.retry, 1);
    assert_int_equal(seen.last_int, 207);
    assert_true(seen.order);
    emit(rt, FX_EVENT_BUFFER_BATCH, 10, 30, 0);
    assert_int_equal(seen.last_int, 30);
    assert_int_equal(seen.last_value, 10);
    emit(rt, FX_EVENT_FANOUT_STARTED, 3, 0, 0);
    assert_int_equal(seen.last_value, 3);
    emit(rt, FX_EVENT_FANOUT_COMPLETED, 3, 0, FX_EFANOUT);
    assert_int_equal(seen.last_int, FX_EFANOUT);
    emit(rt, FX_EVENT_FANIN_STARTED, 4, 0, 0);
    assert_int_equal(seen.last_value, 4);
    emit(rt, FX_EVENT_FANIN_COMPLETED, 0, 0, 5);
    assert_int_equal(seen.last_int, 5);
    emit(rt, FX_EVENT_BREAKER_STATE, FX_CIRCUIT_OPEN, FX_CIRCUIT_CLOSED, 0);
    assert_int_equal(seen.last_int, FX_CIRCUIT_CLOSED * 10 + FX_CIRCUIT_OPEN);
    emit(rt, FX_EVENT_LIMITER_WAIT, 1234, 0, 0);
    assert_int_equal(seen.last_value, 1234);
    emit(rt, FX_EVENT_LIMITER_REJECT, 0, 0, 0);
    emit(rt, FX_EVENT_DLQ, 0, 0, 42);
    assert_int_equal(seen.last_int, 42);
    emit(rt, FX_EVENT_FILTERED, 0, 0, 0);
    emit(rt, FX_EVENT_ROUTE_SELECTED, 0, 3, 0);
    assert_int_equal(seen.last_int, 3);
    int each[] = {seen.retry, seen.batch, seen.fo_s, seen.fo_c, seen.fi_s, seen.fi_c, seen.breaker,
                  seen.lwait, seen.lreject, seen.dlq, seen.filtered, seen.route};
    for (size_t i = 0; i < sizeof each / sizeof each[0]; i++) assert_int_equal(each[i], 1);
    assert_int_equal(seen.generic, 12);
    assert_true(seen.order);
    fx_runtime_free(rt);
}

/* ---------------------------------------------------------------- exposition */

/* The whole exposition as a string (caller frees). */
static char *render(fx_prometheus *p)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    assert_int_equal(fx_prometheus_write(p, f), 0);
    fclose(f);
    return buf;
}

static void assert_has_line(const char *text, const char *line)
{
    size_t n = strlen(line);
    for (const char *s = text; (s = strstr(s, line)) != NULL; s++)
        if ((s == text || s[-1] == '\n') && (s[n] == '\n' || s[n] == '\0')) return;
    fail_msg("missing line: %s\n--- in:\n%s", line, text);
}

/* 0 when promtool accepts text, 77 when promtool is not installed. */
static int promtool_check(const char *text)
{
    if (system("command -v promtool >/dev/null 2>&1") != 0) return 77;
    char path[] = "/tmp/fx_metrics_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fputs(text, f);
    fclose(f);
    char cmd[256];
    snprintf(cmd, sizeof cmd, "promtool check metrics < %s", path);
    int st = system(cmd);
    remove(path);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void check_with_promtool(const char *text)
{
    int rc = promtool_check(text);
    if (rc == 77) {
        print_message("SKIP promtool check: promtool not installed (Debian package 'prometheus'; "
                      "tools/bootstrap.sh installs it)\n");
        return;
    }
    if (rc != 0) fail_msg("promtool check metrics failed (%d) on:\n%s", rc, text);
}

static void test_runtime_metrics_prometheus_counts_known_workload(void **state)
{
    (void)state;
    fx_prometheus *prom = fx_prometheus_new(NULL);
    assert_non_null(prom);
    fx_clock *clk = fx_clock_fake_new(0);
    fx_runtime *rt = fx_runtime_new(&(fx_runtime_config){.clock = clk, .metrics = fx_prometheus_metrics(prom)});
    fx_ctx *ctx = fx_ctx_new_clock(clk);

    /* 3 runs: ok, app error 7, timeout; parse takes 2 ms, 20 ms, 2 s */
    fx_observation po;
    fx_observe_begin(rt, ctx, &PIPE, &po);
    run(rt, clk, ctx, &PARSE, 2 * MS, 0);
    fx_observe_end(rt, ctx, &PIPE, &po, 0);
    fx_observe_begin(rt, ctx, &PIPE, &po);
    run(rt, clk, ctx, &PARSE_AGAIN, 20 * MS, 7);   /* another component, same labels */
    fx_observe_end(rt, ctx, &PIPE, &po, 7);
    fx_observe_begin(rt, ctx, &PIPE, &po);
    run(rt, clk, ctx, &PARSE, 2000 * MS, FX_ETIMEOUT);
    fx_observe_end(rt, ctx, &PIPE, &po, FX_ETIMEOUT);
    run(rt, clk, ctx, &ODD, MS, 0);
    emit(rt, FX_EVENT_RETRY_ATTEMPT, 0, 2, 1);
    emit(rt, FX_EVENT_RETRY_ATTEMPT, 0, 3, 1);
    fx_event bev = {.kind = FX_EVENT_BREAKER_STATE, .component = &BREAKER, .value = FX_CIRCUIT_OPEN,
                    .index = FX_CIRCUIT_CLOSED};
    fx_observe_event(rt, NULL, &bev);

    char *text = render(prom);
    assert_has_line(text, "# TYPE fluxus_stage_started_total counter");
    assert_has_line(text, "fluxus_pipeline_started_total{pipeline=\"process\"} 3");
    assert_has_line(text, "fluxus_pipeline_completed_total{pipeline=\"process\"} 1");
    assert_has_line(text, "fluxus_pipeline_errors_total{pipeline=\"process\",class=\"application\"} 1");
    assert_has_line(text, "fluxus_pipeline_errors_total{pipeline=\"process\",class=\"timeout\"} 1");
    assert_has_line(text, "fluxus_stage_started_total{pipeline=\"process\",stage=\"parse\"} 3");
    assert_has_line(text, "fluxus_stage_completed_total{pipeline=\"process\",stage=\"parse\"} 1");
    assert_has_line(text, "fluxus_stage_errors_total{pipeline=\"process\",stage=\"parse\",class=\"application\"} 1");
    assert_has_line(text, "fluxus_stage_errors_total{pipeline=\"process\",stage=\"parse\",class=\"timeout\"} 1");
    /* 2 ms <= 5ms bucket; 20 ms <= 25ms; 2 s <= 2.5 s */
    assert_has_line(text, "fluxus_stage_duration_seconds_bucket{pipeline=\"process\",stage=\"parse\",le=\"0.001\"} 0");
    assert_has_line(text, "fluxus_stage_duration_seconds_bucket{pipeline=\"process\",stage=\"parse\",le=\"0.005\"} 1");
    assert_has_line(text, "fluxus_stage_duration_seconds_bucket{pipeline=\"process\",stage=\"parse\",le=\"0.025\"} 2");
    assert_has_line(text, "fluxus_stage_duration_seconds_bucket{pipeline=\"process\",stage=\"parse\",le=\"1\"} 2");
    assert_has_line(text, "fluxus_stage_duration_seconds_bucket{pipeline=\"process\",stage=\"parse\",le=\"2.5\"} 3");
    assert_has_line(text, "fluxus_stage_duration_seconds_bucket{pipeline=\"process\",stage=\"parse\",le=\"+Inf\"} 3");
    assert_has_line(text, "fluxus_stage_duration_seconds_sum{pipeline=\"process\",stage=\"parse\"} 2.022000000");
    assert_has_line(text, "fluxus_stage_duration_seconds_count{pipeline=\"process\",stage=\"parse\"} 3");
    assert_has_line(text, "fluxus_stage_started_total{pipeline=\"process\",stage=\"we\\\"ird\\\\name\\n\"} 1");
    assert_has_line(text, "fluxus_retry_attempts_total{pipeline=\"process\",stage=\"fetch_retry\"} 2");
    assert_has_line(text, "fluxus_circuit_breaker_state{pipeline=\"process\",stage=\"cb\"} 1");
    assert_has_line(text, "fluxus_circuit_breaker_transitions_total{pipeline=\"process\",stage=\"cb\",to=\"open\"} 1");
    assert_null(strstr(text, "fluxus_dlq_items_total"));   /* families without samples are left out */
    check_with_promtool(text);
    free(text);

    /* the textfile collector's file: written whole, then renamed */
    char path[] = "/tmp/fx_prom_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(fx_prometheus_write_file(prom, path), 0);
    FILE *f = fopen(path, "r");
    char line[256];
    bool found = false;
    while (fgets(line, sizeof line, f) != NULL)
        found |= strcmp(line, "fluxus_pipeline_started_total{pipeline=\"process\"} 3\n") == 0;
    fclose(f);
    remove(path);
    assert_true(found);

    fx_ctx_free(ctx);
    fx_runtime_free(rt);
    fx_clock_free(clk);
    fx_prometheus_free(prom);
}

static void test_runtime_metrics_prometheus_rejects_bad_buckets(void **state)
{
    (void)state;
    double down[] = {1, 0.5};
    assert_null(fx_prometheus_new(&(fx_prometheus_config){.buckets = down, .nbuckets = 2}));
    double mine[] = {0.5, 1};
    fx_prometheus *p = fx_prometheus_new(&(fx_prometheus_config){.buckets = mine, .nbuckets = 2});
    assert_non_null(p);
    fx_clock *clk = fx_clock_fake_new(0);
    fx_runtime *rt = fx_runtime_new(&(fx_runtime_config){.clock = clk, .metrics = fx_prometheus_metrics(p)});
    run(rt, clk, NULL, &PARSE, 700 * MS, 0);
    char *text = render(p);
    assert_has_line(text, "fluxus_stage_duration_seconds_bucket{pipeline=\"process\",stage=\"parse\",le=\"0.5\"} 0");
    assert_has_line(text, "fluxus_stage_duration_seconds_bucket{pipeline=\"process\",stage=\"parse\",le=\"1\"} 1");
    free(text);
    fx_runtime_free(rt);
    fx_clock_free(clk);
    fx_prometheus_free(p);
}

/* ---------------------------------------------------------------- threads */

enum { NTHREADS = 8, PER_THREAD = 20000, NCOMP = 4 };
static const fx_component THREAD_COMPS[NCOMP] = {
    {"hot", "a", "m", FX_COMPONENT_STAGE}, {"hot", "b", "m", FX_COMPONENT_STAGE},
    {"hot", "c", "m", FX_COMPONENT_STAGE}, {"hot", "d", "m", FX_COMPONENT_STAGE},
};

static void *hammer(void *arg)
{
    fx_runtime *rt = arg;
    for (int i = 0; i < PER_THREAD; i++) {
        fx_observation o;
        const fx_component *c = &THREAD_COMPS[i % NCOMP];
        fx_observe_begin(rt, NULL, c, &o);
        fx_observe_end(rt, NULL, c, &o, i % 10 == 0 ? 3 : 0);
    }
    return NULL;
}

static void test_runtime_metrics_prometheus_exact_under_threads(void **state)
{
    (void)state;
    fx_prometheus *prom = fx_prometheus_new(NULL);
    fx_clock *clk = fx_clock_fake_new(0);
    fx_runtime *rt = fx_runtime_new(&(fx_runtime_config){.clock = clk, .metrics = fx_prometheus_metrics(prom)});
    pthread_t th[NTHREADS];
    for (int i = 0; i < NTHREADS; i++) assert_int_equal(pthread_create(&th[i], NULL, hammer, rt), 0);
    char *mid = render(prom);                  /* a scrape while they count: valid too */
    check_with_promtool(mid);
    free(mid);
    for (int i = 0; i < NTHREADS; i++) assert_int_equal(pthread_join(th[i], NULL), 0);
    char *text = render(prom);
    char line[200];
    for (int k = 0; k < NCOMP; k++) {
        /* each component: PER_THREAD/NCOMP runs per thread, 1 in 10 failing
         * (i % 10 == 0 happens for i = k, k+4, ... only when i%10==0) */
        int runs = 0, errs = 0;
        for (int i = 0; i < PER_THREAD; i++)
            if (i % NCOMP == k) { runs++; errs += i % 10 == 0; }
        snprintf(line, sizeof line, "fluxus_stage_started_total{pipeline=\"hot\",stage=\"%c\"} %d", 'a' + k, runs * NTHREADS);
        assert_has_line(text, line);
        snprintf(line, sizeof line, "fluxus_stage_completed_total{pipeline=\"hot\",stage=\"%c\"} %d", 'a' + k,
                 (runs - errs) * NTHREADS);
        assert_has_line(text, line);
        if (errs > 0) {
            snprintf(line, sizeof line,
                     "fluxus_stage_errors_total{pipeline=\"hot\",stage=\"%c\",class=\"application\"} %d", 'a' + k,
                     errs * NTHREADS);
            assert_has_line(text, line);
        }
        snprintf(line, sizeof line, "fluxus_stage_duration_seconds_count{pipeline=\"hot\",stage=\"%c\"} %d", 'a' + k,
                 runs * NTHREADS);
        assert_has_line(text, line);
    }
    free(text);
    fx_runtime_free(rt);
    fx_clock_free(clk);
    fx_prometheus_free(prom);
}

/* Each thread counts into blocks of its own (prometheus.c): threads that
 * come and go reuse the slots of those gone, more threads than slots share
 * one block with atomic adds, and two collectors keep apart. Every count
 * must stay exact. */
enum { WAVES = 3, WAVE_THREADS = 80, PER_WAVE_THREAD = 500 };

static const fx_component WAVE_COMP = {"waves", "w", "m", FX_COMPONENT_STAGE};

typedef struct wave_arg {
    fx_runtime *rt[2];
    pthread_barrier_t *all_counted;   /* every thread of a wave alive at once */
} wave_arg;

static void *wave_thread(void *v)
{
    wave_arg *a = v;
    for (int i = 0; i < PER_WAVE_THREAD; i++)
        for (int r = 0; r < 2; r++) {
            fx_observation o;
            fx_observe_begin(a->rt[r], NULL, &WAVE_COMP, &o);
            fx_observe_end(a->rt[r], NULL, &WAVE_COMP, &o, r == 1 && i % 5 == 0 ? 3 : 0);
        }
    pthread_barrier_wait(a->all_counted);
    return NULL;
}

static void test_runtime_metrics_prometheus_exact_across_thread_slots(void **state)
{
    (void)state;
    fx_prometheus *prom[2] = {fx_prometheus_new(NULL), fx_prometheus_new(NULL)};
    fx_clock *clk = fx_clock_fake_new(0);
    assert_non_null(prom[0]);
    assert_non_null(prom[1]);
    fx_clock_fake_advance(clk, 3 * MS);   /* begin and end read the same time: every duration is 0 */
    wave_arg a = {.rt = {fx_runtime_new(&(fx_runtime_config){.clock = clk, .metrics = fx_prometheus_metrics(prom[0])}),
                         fx_runtime_new(&(fx_runtime_config){.clock = clk, .metrics = fx_prometheus_metrics(prom[1])})}};
    pthread_barrier_t barrier;
    assert_int_equal(pthread_barrier_init(&barrier, NULL, WAVE_THREADS), 0);
    a.all_counted = &barrier;
    pthread_t th[WAVE_THREADS];
    for (int w = 0; w < WAVES; w++) {
        /* more threads than the 64 slots, all alive until each has counted */
        for (int i = 0; i < WAVE_THREADS; i++) assert_int_equal(pthread_create(&th[i], NULL, wave_thread, &a), 0);
        for (int i = 0; i < WAVE_THREADS; i++) assert_int_equal(pthread_join(th[i], NULL), 0);
    }
    pthread_barrier_destroy(&barrier);
    int total = WAVES * WAVE_THREADS * PER_WAVE_THREAD, errs = total / 5;
    char line[200];
    char *text = render(prom[0]);
    snprintf(line, sizeof line, "fluxus_stage_started_total{pipeline=\"waves\",stage=\"w\"} %d", total);
    assert_has_line(text, line);
    snprintf(line, sizeof line, "fluxus_stage_completed_total{pipeline=\"waves\",stage=\"w\"} %d", total);
    assert_has_line(text, line);
    snprintf(line, sizeof line, "fluxus_stage_duration_seconds_bucket{pipeline=\"waves\",stage=\"w\",le=\"0.0001\"} %d", total);
    assert_has_line(text, line);
    snprintf(line, sizeof line, "fluxus_stage_duration_seconds_count{pipeline=\"waves\",stage=\"w\"} %d", total);
    assert_has_line(text, line);
    assert_has_line(text, "fluxus_stage_duration_seconds_sum{pipeline=\"waves\",stage=\"w\"} 0.000000000");
    assert_null(strstr(text, "fluxus_stage_errors_total"));
    free(text);
    text = render(prom[1]);
    snprintf(line, sizeof line, "fluxus_stage_started_total{pipeline=\"waves\",stage=\"w\"} %d", total);
    assert_has_line(text, line);
    snprintf(line, sizeof line, "fluxus_stage_completed_total{pipeline=\"waves\",stage=\"w\"} %d", total - errs);
    assert_has_line(text, line);
    snprintf(line, sizeof line, "fluxus_stage_errors_total{pipeline=\"waves\",stage=\"w\",class=\"application\"} %d", errs);
    assert_has_line(text, line);
    snprintf(line, sizeof line, "fluxus_stage_duration_seconds_count{pipeline=\"waves\",stage=\"w\"} %d", total);
    assert_has_line(text, line);
    free(text);
    fx_runtime_free(a.rt[0]);
    fx_runtime_free(a.rt[1]);
    fx_clock_free(clk);
    fx_prometheus_free(prom[0]);
    fx_prometheus_free(prom[1]);
}

/* The duration sum and the buckets add up over the blocks of threads
 * that are all alive (so each has a block of its own): thread i runs
 * i + 1 ms on the fake clock while the others wait. */
enum { SUM_THREADS = 10 };

typedef struct sum_arg {
    fx_runtime *rt;
    fx_clock *clk;
    sem_t done;                       /* posted after each thread's event */
    pthread_barrier_t *leave;         /* all leave together */
    int64_t ns;                       /* of the next thread */
} sum_arg;

static void *timed_thread(void *v)
{
    sum_arg *a = v;
    fx_observation o;
    fx_observe_begin(a->rt, NULL, &WAVE_COMP, &o);
    fx_clock_fake_advance(a->clk, a->ns);
    fx_observe_end(a->rt, NULL, &WAVE_COMP, &o, 0);
    sem_post(&a->done);
    pthread_barrier_wait(a->leave);
    return NULL;
}

static void test_runtime_metrics_prometheus_sums_thread_blocks(void **state)
{
    (void)state;
    fx_prometheus *prom = fx_prometheus_new(NULL);
    assert_non_null(prom);
    sum_arg a = {.clk = fx_clock_fake_new(0)};
    a.rt = fx_runtime_new(&(fx_runtime_config){.clock = a.clk, .metrics = fx_prometheus_metrics(prom)});
    assert_int_equal(sem_init(&a.done, 0, 0), 0);
    pthread_barrier_t leave;
    assert_int_equal(pthread_barrier_init(&leave, NULL, SUM_THREADS + 1), 0);
    a.leave = &leave;
    pthread_t th[SUM_THREADS];
    for (int i = 0; i < SUM_THREADS; i++) {
        a.ns = (i + 1) * MS;
        assert_int_equal(pthread_create(&th[i], NULL, timed_thread, &a), 0);
        while (sem_wait(&a.done) != 0) {}
    }
    char *text = render(prom);   /* while all ten hold their blocks */
    pthread_barrier_wait(&leave);
    for (int i = 0; i < SUM_THREADS; i++) assert_int_equal(pthread_join(th[i], NULL), 0);
    /* 1 + 2 + ... + 10 ms; 1, 2 and 5 ms fall in le="0.005" and below */
    assert_has_line(text, "fluxus_stage_duration_seconds_sum{pipeline=\"waves\",stage=\"w\"} 0.055000000");
    assert_has_line(text, "fluxus_stage_duration_seconds_bucket{pipeline=\"waves\",stage=\"w\",le=\"0.001\"} 1");
    assert_has_line(text, "fluxus_stage_duration_seconds_bucket{pipeline=\"waves\",stage=\"w\",le=\"0.005\"} 5");
    assert_has_line(text, "fluxus_stage_duration_seconds_bucket{pipeline=\"waves\",stage=\"w\",le=\"0.01\"} 10");
    assert_has_line(text, "fluxus_stage_duration_seconds_count{pipeline=\"waves\",stage=\"w\"} 10");
    assert_has_line(text, "fluxus_stage_started_total{pipeline=\"waves\",stage=\"w\"} 10");
    free(text);
    pthread_barrier_destroy(&leave);
    sem_destroy(&a.done);
    fx_runtime_free(a.rt);
    fx_clock_free(a.clk);
    fx_prometheus_free(prom);
}

/* Each thread remembers, per component, the series and block it counts
 * into (prometheus.c): the memory must never send a count to the wrong
 * collector (two alive at once, or a new one where a freed one was) or to
 * the wrong component (two that share a cache entry). */
enum { MANY_COMPS = 130 };
static fx_component many[MANY_COMPS];   /* [0] and [128] share an entry of the thread's cache */

static void count_line(fx_prometheus *p, const char *stage, int started, int completed)
{
    char *text = render(p);
    char line[200];
    snprintf(line, sizeof line, "fluxus_stage_started_total{pipeline=\"many\",stage=\"%s\"} %d", stage, started);
    assert_has_line(text, line);
    snprintf(line, sizeof line, "fluxus_stage_completed_total{pipeline=\"many\",stage=\"%s\"} %d", stage, completed);
    assert_has_line(text, line);
    free(text);
}

static void test_runtime_metrics_prometheus_thread_cache_keeps_apart(void **state)
{
    (void)state;
    static char names[MANY_COMPS][8];
    for (int i = 0; i < MANY_COMPS; i++) {
        snprintf(names[i], sizeof names[i], "s%d", i);
        many[i] = (fx_component){"many", names[i], "m", FX_COMPONENT_STAGE};
    }
    fx_clock *clk = fx_clock_fake_new(0);
    fx_prometheus *a = fx_prometheus_new(NULL), *b = fx_prometheus_new(NULL);
    assert_non_null(a);
    assert_non_null(b);
    fx_runtime *ra = fx_runtime_new(&(fx_runtime_config){.clock = clk, .metrics = fx_prometheus_metrics(a)});
    fx_runtime *rb = fx_runtime_new(&(fx_runtime_config){.clock = clk, .metrics = fx_prometheus_metrics(b)});
    /* one thread, two collectors and two components of one cache entry, interleaved */
    for (int i = 0; i < 10; i++) {
        run(ra, clk, NULL, &many[0], 0, 0);
        run(rb, clk, NULL, &many[0], 0, i % 2 ? 3 : 0);
        run(ra, clk, NULL, &many[128], 0, 0);
        run(ra, clk, NULL, &many[0], 0, 0);
    }
    count_line(a, "s0", 20, 20);
    count_line(a, "s128", 10, 10);
    count_line(b, "s0", 10, 5);
    char *text = render(b);
    assert_null(strstr(text, "stage=\"s128\""));
    free(text);
    /* a new collector, possibly where a was: nothing of a's reaches it */
    fx_runtime_free(ra);
    fx_prometheus_free(a);
    fx_prometheus *c = fx_prometheus_new(NULL);
    assert_non_null(c);
    fx_runtime *rc = fx_runtime_new(&(fx_runtime_config){.clock = clk, .metrics = fx_prometheus_metrics(c)});
    run(rc, clk, NULL, &many[0], 0, 0);
    run(rc, clk, NULL, &many[128], 0, 0);
    run(rc, clk, NULL, &many[128], 0, 0);
    count_line(c, "s0", 1, 1);
    count_line(c, "s128", 2, 2);
    count_line(b, "s0", 10, 5);
    fx_runtime_free(rc);
    fx_runtime_free(rb);
    fx_prometheus_free(c);
    fx_prometheus_free(b);
    fx_clock_free(clk);
}

/* ---------------------------------------------------------------- HTTP */

typedef struct body {
    char *data;
    size_t len;
} body;

static size_t collect(char *ptr, size_t size, size_t n, void *userdata)
{
    body *b = userdata;
    char *d = realloc(b->data, b->len + size * n + 1);
    if (d == NULL) return 0;
    memcpy(d + b->len, ptr, size * n);
    b->data = d;
    b->len += size * n;
    d[b->len] = '\0';
    return size * n;
}

/* GETs url; returns the HTTP status, the body in *out (caller frees). */
static long http_get(const char *url, body *out, char *ctype, size_t nctype)
{
    *out = (body){0};
    CURL *h = curl_easy_init();
    assert_non_null(h);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, out);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 10000L);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    CURLcode rc = curl_easy_perform(h);
    if (rc != CURLE_OK) fail_msg("GET %s: %s", url, curl_easy_strerror(rc));
    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    char *ct = NULL;
    curl_easy_getinfo(h, CURLINFO_CONTENT_TYPE, &ct);
    if (ctype != NULL) snprintf(ctype, nctype, "%s", ct != NULL ? ct : "");
    curl_easy_cleanup(h);
    return status;
}

static void test_runtime_metrics_prometheus_serves_and_scrapes(void **state)
{
    (void)state;
    fx_prometheus *prom = fx_prometheus_new(NULL);
    fx_clock *clk = fx_clock_fake_new(0);
    fx_runtime *rt = fx_runtime_new(&(fx_runtime_config){.clock = clk, .metrics = fx_prometheus_metrics(prom)});
    fx_prometheus_server *srv = NULL;
    assert_int_equal(fx_prometheus_serve(prom, "not an address", 0, &srv), FX_EINVAL);
    assert_null(srv);
    assert_int_equal(fx_prometheus_serve(prom, "127.0.0.1", 0, &srv), 0);
    int port = fx_prometheus_server_port(srv);
    assert_true(port > 0);

    /* the known workload: 5 pipeline runs of parse |> price, price fails once */
    for (int i = 0; i < 5; i++) {
        fx_observation po;
        fx_observe_begin(rt, NULL, &PIPE, &po);
        run(rt, clk, NULL, &PARSE, MS, 0);
        static const fx_component PRICE = {"process", "price", "shop", FX_COMPONENT_STAGE};
        run(rt, clk, NULL, &PRICE, 3 * MS, i == 4 ? FX_ECIRCUIT_OPEN : 0);
        fx_observe_end(rt, NULL, &PIPE, &po, i == 4 ? FX_ECIRCUIT_OPEN : 0);
    }

    char url[64], ctype[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/metrics", port);
    body b;
    assert_int_equal(http_get(url, &b, ctype, sizeof ctype), 200);
    assert_string_equal(ctype, "text/plain; version=0.0.4; charset=utf-8");
    assert_has_line(b.data, "fluxus_pipeline_started_total{pipeline=\"process\"} 5");
    assert_has_line(b.data, "fluxus_pipeline_completed_total{pipeline=\"process\"} 4");
    assert_has_line(b.data, "fluxus_pipeline_errors_total{pipeline=\"process\",class=\"circuit_open\"} 1");
    assert_has_line(b.data, "fluxus_stage_completed_total{pipeline=\"process\",stage=\"parse\"} 5");
    assert_has_line(b.data, "fluxus_stage_completed_total{pipeline=\"process\",stage=\"price\"} 4");
    assert_has_line(b.data, "fluxus_stage_errors_total{pipeline=\"process\",stage=\"price\",class=\"circuit_open\"} 1");
    assert_has_line(b.data, "fluxus_stage_duration_seconds_bucket{pipeline=\"process\",stage=\"price\",le=\"0.005\"} 5");
    check_with_promtool(b.data);
    free(b.data);

    snprintf(url, sizeof url, "http://127.0.0.1:%d/other", port);
    assert_int_equal(http_get(url, &b, NULL, 0), 404);
    free(b.data);

    fx_prometheus_server_stop(srv);
    fx_runtime_free(rt);
    fx_clock_free(clk);
    fx_prometheus_free(prom);
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_runtime_metrics_events_reach_specific_callbacks),
        cmocka_unit_test(test_runtime_metrics_prometheus_counts_known_workload),
        cmocka_unit_test(test_runtime_metrics_prometheus_rejects_bad_buckets),
        cmocka_unit_test(test_runtime_metrics_prometheus_exact_under_threads),
        cmocka_unit_test(test_runtime_metrics_prometheus_exact_across_thread_slots),
        cmocka_unit_test(test_runtime_metrics_prometheus_sums_thread_blocks),
        cmocka_unit_test(test_runtime_metrics_prometheus_thread_cache_keeps_apart),
        cmocka_unit_test(test_runtime_metrics_prometheus_serves_and_scrapes),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
