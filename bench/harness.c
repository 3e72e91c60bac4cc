/* bench/harness.c — runs the cases, prints the table, writes RESULTS.md,
 * and times fluxc on generated inputs (docs/PERFORMANCE.md).
 *
 * Usage: bench [--filter SUBSTR] [--results FILE] [--fluxc PATH --scratch DIR]
 * Environment: BENCH_SAMPLES (default 15), BENCH_SAMPLE_MS (default 10). */
#define _GNU_SOURCE
#include "harness.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <spawn.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <fluxus/ctx.h>

extern char **environ;
extern const char *bench_cxx_version(void);   /* peer_tbb.cpp */
extern const char *bench_tbb_version(void);

/* ---------------------------------------------------------------- registry */

#define MAX_CASES 128
static bench_case cases[MAX_CASES];
static size_t ncases;

void bench_add(const bench_case *c)
{
    if (ncases == MAX_CASES) {
        fprintf(stderr, "bench: too many cases\n");
        exit(2);
    }
    cases[ncases++] = *c;
}

int bench_cpus(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : (int)n;
}

/* ---------------------------------------------------------------- bump allocator */

void bench_bump_init(bench_bump *b, size_t cap)
{
    b->base = malloc(cap);
    b->used = 0;
    b->cap = b->base ? cap : 0;
}

void *bench_bump_alloc(bench_bump *b, size_t n)
{
    n = (n + 15) & ~(size_t)15;
    if (b->cap - b->used < n)
        return NULL;
    void *p = b->base + b->used;
    b->used += n;
    return p;
}

void bench_bump_free(bench_bump *b)
{
    free(b->base);
    b->base = NULL;
}

/* ---------------------------------------------------------------- API floor state */

void *bench_floor_setup(const void *arg)
{
    bench_floor_st *s = calloc(1, sizeof *s);
    if (s == NULL)
        return NULL;
    s->ctx = fx_ctx_new();
    s->arg = arg;
    if (s->ctx == NULL) {
        free(s);
        return NULL;
    }
    return s;
}

void bench_floor_teardown(void *v)
{
    bench_floor_st *s = v;
    fx_ctx_free(s->ctx);
    free(s);
}

/* ---------------------------------------------------------------- pthreads split */

/* The best a hand-written split does on a machine whose idle cores take
 * tens of microseconds to wake: the work is cut into chunks that threads
 * claim from one atomic word (generation << 32 | next chunk), the caller
 * claims too, and it waits only for chunks already being run, never for a
 * helper that has not woken up yet. A helper that wakes late for an old
 * generation cannot claim a chunk of a newer one: the claim is a CAS on
 * the whole word. */
struct bench_split {
    int threads;
    pthread_t *tids;
    pthread_mutex_t mu;
    pthread_cond_t go, done;
    unsigned gen;              /* under mu: the job helpers should join */
    int quit;
    _Atomic uint64_t claim;    /* gen << 32 | next chunk */
    _Atomic int finished;      /* chunks run to completion this job */
    int nchunks;
    void (*fn)(void *, int, int);
    void *arg;
};

/* Claims and runs chunks of job `gen` until none is left. */
static void split_drain(bench_split *s, unsigned gen, void (*fn)(void *, int, int), void *arg, int nchunks)
{
    for (;;) {
        uint64_t cur = atomic_load(&s->claim);
        if ((unsigned)(cur >> 32) != gen || (int)(cur & 0xffffffffu) >= nchunks)
            return;
        if (!atomic_compare_exchange_weak(&s->claim, &cur, cur + 1))
            continue;
        fn(arg, (int)(cur & 0xffffffffu), nchunks);
        if (atomic_fetch_add(&s->finished, 1) + 1 == nchunks) {
            pthread_mutex_lock(&s->mu);
            pthread_cond_signal(&s->done);
            pthread_mutex_unlock(&s->mu);
        }
    }
}

static void *split_main(void *p)
{
    bench_split *s = p;
    unsigned seen = 0;
    pthread_mutex_lock(&s->mu);
    for (;;) {
        while (s->gen == seen && !s->quit)
            pthread_cond_wait(&s->go, &s->mu);
        if (s->quit)
            break;
        seen = s->gen;
        void (*fn)(void *, int, int) = s->fn;
        void *arg = s->arg;
        int nchunks = s->nchunks;
        pthread_mutex_unlock(&s->mu);
        split_drain(s, seen, fn, arg, nchunks);
        pthread_mutex_lock(&s->mu);
    }
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

bench_split *bench_split_new(int threads)
{
    bench_split *s = calloc(1, sizeof *s);
    if (s == NULL)
        return NULL;
    s->threads = threads < 1 ? 1 : threads;
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->go, NULL);
    pthread_cond_init(&s->done, NULL);
    s->tids = calloc((size_t)s->threads, sizeof *s->tids);
    for (int k = 1; k < s->threads; k++)
        pthread_create(&s->tids[k], NULL, split_main, s);
    return s;
}

void bench_split_run(bench_split *s, int nchunks, void (*fn)(void *, int, int), void *arg)
{
    if (s->threads <= 1 || nchunks <= 1) {
        for (int k = 0; k < nchunks; k++)
            fn(arg, k, nchunks);
        return;
    }
    pthread_mutex_lock(&s->mu);
    s->gen++;
    const unsigned gen = s->gen;
    s->fn = fn;
    s->arg = arg;
    s->nchunks = nchunks;
    atomic_store(&s->finished, 0);
    atomic_store(&s->claim, (uint64_t)gen << 32);
    pthread_cond_broadcast(&s->go);
    pthread_mutex_unlock(&s->mu);
    split_drain(s, gen, fn, arg, nchunks);
    if (atomic_load(&s->finished) == nchunks)
        return;
    pthread_mutex_lock(&s->mu);
    while (atomic_load(&s->finished) < nchunks)
        pthread_cond_wait(&s->done, &s->mu);
    pthread_mutex_unlock(&s->mu);
}

void bench_split_free(bench_split *s)
{
    if (s == NULL)
        return;
    pthread_mutex_lock(&s->mu);
    s->quit = 1;
    pthread_cond_broadcast(&s->go);
    pthread_mutex_unlock(&s->mu);
    for (int k = 1; k < s->threads; k++)
        pthread_join(s->tids[k], NULL);
    free(s->tids);
    free(s);
}

/* ---------------------------------------------------------------- measuring */

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

enum { W_FLUXUS, W_LIMIT, W_PEER, W_FLOOR, NWAYS };
static const char *const way_names[NWAYS] = {"fluxus", "limit", "oneTBB", "floor"};

typedef struct way_result {
    bool present;     /* this way exists for the case */
    bool ok;          /* setup worked and every run's results were right */
    const char *why;  /* when !ok */
    double ns;        /* median ns/op */
    double lo, hi;    /* min and max sample ns/op */
    double allocs;    /* allocator calls per op after warm-up */
    size_t iters;
} way_result;

typedef struct case_result {
    const bench_case *c;
    way_result w[NWAYS];
} case_result;

static int samples_wanted = 15;
static double sample_ns = 10e6;

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Runs n ops; returns ns/op, or -1 when the results were wrong. */
static double timed(const bench_impl *im, void *st, size_t n)
{
    double t0 = now_ns();
    int rc = im->run(st, n);
    double t1 = now_ns();
    return rc != 0 ? -1 : (t1 - t0) / (double)n;
}

/* Finds n so that one sample takes about sample_ns; warms up on the way. */
static size_t calibrate(const bench_impl *im, void *st, bool *ok)
{
    size_t n = 1;
    for (;;) {
        double t0 = now_ns();
        if (im->run(st, n) != 0) {
            *ok = false;
            return 0;
        }
        double dt = now_ns() - t0;
        if (dt >= sample_ns / 10 || n >= ((size_t)1 << 40)) {
            double per = dt / (double)n;
            double want = sample_ns / (per > 0 ? per : 1);
            size_t m = want < 1 ? 1 : (size_t)want;
            *ok = true;
            return m;
        }
        n *= 10;
    }
}

static void measure(case_result *r)
{
    const bench_case *c = r->c;
    const bench_impl *im[NWAYS] = {&c->fluxus, &c->limit, &c->peer, &c->floor};
    void *st[NWAYS] = {0};
    double *smp[NWAYS] = {0};
    for (int w = 0; w < NWAYS; w++) {
        way_result *x = &r->w[w];
        x->present = im[w]->run != NULL && !(w == W_FLUXUS && c->unavailable);
        if (!x->present)
            continue;
        st[w] = im[w]->setup ? im[w]->setup(c->arg) : (void *)1;
        if (st[w] == NULL) {
            x->why = "setup failed";
            continue;
        }
        bool ok;
        /* twice: the first pass also pays one-time costs (thread start-up,
         * first-touch of memory) that would make the sample size too small */
        x->iters = calibrate(im[w], st[w], &ok);
        if (ok)
            x->iters = calibrate(im[w], st[w], &ok);
        if (!ok) {
            x->why = "wrong results";
            continue;
        }
        /* warm-up at the sample size, then the counting pass */
        if (im[w]->run(st[w], x->iters) != 0) {
            x->why = "wrong results";
            continue;
        }
        bench_alloc_counting(1);
        int rc = im[w]->run(st[w], x->iters);
        bench_alloc_counting(0);
        if (rc != 0) {
            x->why = "wrong results";
            continue;
        }
        x->allocs = (double)bench_alloc_calls() / (double)x->iters;
        x->ok = true;
        smp[w] = calloc((size_t)samples_wanted, sizeof(double));
    }
    /* samples, interleaved: fluxus, limit, peer, floor, fluxus, ... rotating the
     * starting way so none always runs right after another's threads */
    for (int s = 0; s < samples_wanted; s++) {
        for (int j = 0; j < NWAYS; j++) {
            int w = (j + s) % NWAYS;
            way_result *x = &r->w[w];
            if (!x->ok)
                continue;
            /* A pause first: the previous way's threads (oneTBB's workers,
             * fluxus's spinning ones) go idle instead of competing with
             * this sample for the two CPUs. */
            nanosleep(&(struct timespec){ .tv_nsec = 3000000 }, NULL);
            double v = timed(im[w], st[w], x->iters);
            if (v < 0) {
                x->ok = false;
                x->why = "wrong results";
                continue;
            }
            smp[w][s] = v;
        }
    }
    for (int w = 0; w < NWAYS; w++) {
        way_result *x = &r->w[w];
        if (x->ok) {
            qsort(smp[w], (size_t)samples_wanted, sizeof(double), cmp_double);
            x->lo = smp[w][0];
            x->hi = smp[w][samples_wanted - 1];
            x->ns = samples_wanted % 2 ? smp[w][samples_wanted / 2]
                                       : (smp[w][samples_wanted / 2 - 1] + smp[w][samples_wanted / 2]) / 2;
        }
        free(smp[w]);
        if (st[w] != NULL && im[w]->teardown)
            im[w]->teardown(st[w]);
    }
}

/* ---------------------------------------------------------------- formatting */

static void fmt_ns(char *buf, size_t n, double ns)
{
    if (ns < 100)
        snprintf(buf, n, "%.2f", ns);
    else if (ns < 10000)
        snprintf(buf, n, "%.1f", ns);
    else
        snprintf(buf, n, "%.0f", ns);
}

static void fmt_way(char *buf, size_t n, const way_result *x)
{
    if (!x->present)
        snprintf(buf, n, "—");
    else if (!x->ok)
        snprintf(buf, n, "%s", x->why ? x->why : "failed");
    else
        fmt_ns(buf, n, x->ns);
}

static void fmt_allocs(char *buf, size_t n, const way_result *x)
{
    if (!x->present || !x->ok)
        snprintf(buf, n, "—");
    else if (x->allocs == 0)
        snprintf(buf, n, "0");
    else if (x->allocs < 10)
        snprintf(buf, n, "%.2f", x->allocs);
    else
        snprintf(buf, n, "%.0f", x->allocs);
}

static void fmt_ratio(char *buf, size_t n, const way_result *a, const way_result *b)
{
    if (a->present && a->ok && b->present && b->ok && b->ns > 0)
        snprintf(buf, n, "%.2f", a->ns / b->ns);
    else
        snprintf(buf, n, "—");
}

typedef struct machine {
    char cpu[256];
    int cpus;
    char kernel[256];
    char cc[128], cxx[128], tbb[64];
    char date[64];
    char load[64];   /* /proc/loadavg before the run: other work on the machine */
} machine;

static void describe_machine(machine *m)
{
    snprintf(m->cpu, sizeof m->cpu, "unknown");
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (f != NULL) {
        char line[512];
        while (fgets(line, sizeof line, f)) {
            if (strncmp(line, "model name", 10) == 0) {
                char *v = strchr(line, ':');
                if (v != NULL) {
                    v++;
                    while (*v == ' ')
                        v++;
                    v[strcspn(v, "\n")] = '\0';
                    snprintf(m->cpu, sizeof m->cpu, "%s", v);
                }
                break;
            }
        }
        fclose(f);
    }
    m->cpus = bench_cpus();
    struct utsname u;
    if (uname(&u) == 0)
        snprintf(m->kernel, sizeof m->kernel, "%s %s %s", u.sysname, u.release, u.machine);
    snprintf(m->cc, sizeof m->cc, "gcc-compatible %s", __VERSION__);
    snprintf(m->cxx, sizeof m->cxx, "%s", bench_cxx_version());
    snprintf(m->tbb, sizeof m->tbb, "%s", bench_tbb_version());
    snprintf(m->load, sizeof m->load, "unknown");
    FILE *la = fopen("/proc/loadavg", "r");
    if (la != NULL) {
        double a, b, c;
        if (fscanf(la, "%lf %lf %lf", &a, &b, &c) == 3)
            snprintf(m->load, sizeof m->load, "%.2f %.2f %.2f", a, b, c);
        fclose(la);
    }
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(m->date, sizeof m->date, "%Y-%m-%d %H:%M UTC", &tm);
}

/* ---------------------------------------------------------------- compiler speed */

typedef struct speed_result {
    long lines;
    double wall_ms;      /* median of the runs */
    long maxrss_kb;      /* largest of the runs */
    long out_bytes;      /* size of the generated .c */
    int status;
} speed_result;

/* A realistic module: per block a struct, four stages, three pipelines
 * (a chain, a retry inside a chain, a map over the chain). */
/* Prints tmpl with every '@' replaced by i (the block's number). */
static void put_block(FILE *f, const char *tmpl, long i)
{
    for (const char *p = tmpl; *p; p++) {
        if (*p == '@')
            fprintf(f, "%ld", i);
        else
            fputc(*p, f);
    }
}

static long write_fx(const char *path, long want_lines)
{
    FILE *f = fopen(path, "w");
    if (f == NULL)
        return -1;
    long lines = 0;
    fprintf(f, "// generated by bench/harness.c for the compiler-speed benchmark\nmodule big;\n\n");
    lines += 3;
    for (long i = 0; lines < want_lines; i++) {
        put_block(f,
                "struct Rec@ {\n"
                "    id: u64;\n"
                "    name: str;\n"
                "    tags: [str];\n"
                "}\n"
                "stage parse@(str) -> Rec@ = parse_@;\n"
                "stage enrich@(Rec@) -> Rec@ = enrich_@;\n"
                "stage check@(Rec@) -> Rec@ = check_@;\n"
                "stage render@(Rec@) -> str = render_@;\n"
                "pipeline load@(str) -> Rec@ = parse@ |> enrich@;\n"
                "pipeline show@(str) -> str = load@ |> retry(check@, attempts: 3) |> render@;\n"
                "pipeline all@([str]) -> [str] = map(show@, concurrency: 4);\n"
                "\n",
                i);
        lines += 13;
    }
    fclose(f);
    return lines;
}

static int run_fluxc(const char *fluxc, const char *outdir, const char *fx, double *wall_ms, long *rss_kb)
{
    char *argv[] = {(char *)fluxc, "--no-line", "-o", (char *)outdir, (char *)fx, NULL};
    pid_t pid;
    double t0 = now_ns();
    if (posix_spawn(&pid, fluxc, NULL, NULL, argv, environ) != 0)
        return -1;
    int status;
    struct rusage ru;
    if (wait4(pid, &status, 0, &ru) < 0)
        return -1;
    *wall_ms = (now_ns() - t0) / 1e6;
    *rss_kb = ru.ru_maxrss;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

static size_t compiler_speed(const char *fluxc, const char *scratch, speed_result *out)
{
    static const long sizes[] = {1000, 10000, 100000};
    size_t n = 0;
    mkdir(scratch, 0777);
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        char fx[4096], c[4096];
        snprintf(fx, sizeof fx, "%s/big%ld.fx", scratch, sizes[k]);
        snprintf(c, sizeof c, "%s/big.c", scratch);
        speed_result *r = &out[n++];
        memset(r, 0, sizeof *r);
        r->lines = write_fx(fx, sizes[k]);
        /* three runs (median), one for the largest input: it is slow enough */
        const int runs = sizes[k] >= 100000 ? 1 : 3;
        double t[3] = {0, 0, 0};
        for (int i = 0; i < runs; i++) {
            long rss = 0;
            r->status = run_fluxc(fluxc, scratch, fx, &t[i], &rss);
            if (rss > r->maxrss_kb)
                r->maxrss_kb = rss;
            if (r->status != 0)
                break;
        }
        if (r->status == 0) {
            qsort(t, (size_t)runs, sizeof t[0], cmp_double);
            r->wall_ms = t[runs / 2];
            struct stat sb;
            if (stat(c, &sb) == 0)
                r->out_bytes = (long)sb.st_size;
        }
        fprintf(stderr, "  fluxc on %ld lines: %s %.1f ms, %ld KiB peak\n", r->lines,
                r->status == 0 ? "ok" : "FAILED", r->wall_ms, r->maxrss_kb);
        remove(c);
        char h[4096];
        snprintf(h, sizeof h, "%s/big.h", scratch);
        remove(h);
    }
    return n;
}

/* ---------------------------------------------------------------- report */

/* Linear growth: from a to b (10× the lines) time per line stays about the
 * same, and so does memory per line above a's. */
static void linearity(FILE *f, bool md, const speed_result *a, const speed_result *b)
{
    double lines = (double)b->lines / (double)a->lines;
    double t = (b->wall_ms / (double)b->lines) / (a->wall_ms / (double)a->lines);
    double m = (double)b->maxrss_kb / (double)(a->maxrss_kb > 0 ? a->maxrss_kb : 1);
    bool linear = t < 1.5 && m < lines * 1.5;
    fprintf(f, md ? "\nFrom %ld to %ld lines (%.0f× the input): time per line × %.2f, peak memory × %.1f: %s.\n"
                  : "  %ld -> %ld lines (%.0fx): time/line x%.2f, peak memory x%.1f: %s\n",
            a->lines, b->lines, lines, t, m, linear ? "linear" : "NOT linear");
}

static const case_result *find(const case_result *rs, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(rs[i].c->name, name) == 0)
            return &rs[i];
    return NULL;
}

static void report(FILE *f, bool md, const machine *m, const case_result *rs, size_t n,
                   const speed_result *sp, size_t nsp, const char *filter)
{
    if (md) {
        fprintf(f, "# Benchmark results\n\n");
        fprintf(f, "Written by `make bench` (bench/harness.c); docs/PERFORMANCE.md explains how to read it.\n");
        fprintf(f, "Do not edit by hand: run `make bench` again.\n\n");
        fprintf(f, "- machine: %s, %d online CPUs\n", m->cpu, m->cpus);
        fprintf(f, "- kernel: %s\n", m->kernel);
        fprintf(f, "- compilers: C %s (-O2), C++ %s (-O2)\n", m->cc, m->cxx);
        fprintf(f, "- peer: oneTBB %s\n", m->tbb);
        fprintf(f, "- date: %s\n", m->date);
        fprintf(f, "- load average when the run started: %s (anything above 0 is other work competing for the %d CPUs)\n",
                m->load, m->cpus);
        fprintf(f, "- method: median of %d samples of about %.0f ms each per way, the three ways (four where a case has "
                   "an API floor) interleaved 3 ms apart; "
                   "allocator calls counted over one sample-sized pass after warm-up\n",
                samples_wanted, sample_ns / 1e6);
        if (filter && *filter)
            fprintf(f, "- subset: cases matching `%s`\n", filter);
        fprintf(f, "\nns/op: lower is better. allocs/op: malloc/calloc/realloc/aligned/scalable_malloc calls per op. "
                   "ratios: fluxus ÷ limit and fluxus ÷ oneTBB of the medians (below 1 = fluxus faster). "
                   "A time in parentheses is the fastest sample, shown when it is more than 10%% below the median "
                   "(the machine was busy). "
                   "go-fluxus: v1.1.1 on a 2-vCPU machine, from issue 7, for orientation only. "
                   "floor: the API floor, the same work hand-written against fluxus's public API and stage ABI "
                   "(what the API itself costs); fluxus/floor is what fluxc's code adds to that, "
                   "not a target (the targets stay against the limit).\n\n");
        fprintf(f, "| case | fluxus ns/op | limit ns/op | oneTBB ns/op | fluxus allocs/op | limit allocs/op | oneTBB allocs/op | fluxus/limit | fluxus/oneTBB | go-fluxus ns/op | floor ns/op | fluxus/floor | floor allocs/op |\n");
        fprintf(f, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    } else {
        fprintf(f, "\n%s, %d CPUs, %s\n", m->cpu, m->cpus, m->kernel);
        fprintf(f, "%-36s %12s %12s %12s %8s %8s %8s %8s %8s %12s %8s\n", "case", "fluxus", "limit", "oneTBB", "fx-allc",
                "lim-allc", "tbb-allc", "fx/lim", "fx/tbb", "floor", "fx/flr");
    }
    double logsum = 0, floor_logsum = 0;
    int nlog = 0, within = 0, zero_alloc = 0, nfx = 0;
    int nfloor = 0, floor_within = 0, floor_zero_alloc = 0;
    for (size_t i = 0; i < n; i++) {
        const case_result *r = &rs[i];
        char a[32], b[32], c[32], d[32], e[32], g[32], h[32], k[32], gof[32], fl[32], flq[32], fla[32];
        fmt_way(a, sizeof a, &r->w[W_FLUXUS]);
        fmt_way(b, sizeof b, &r->w[W_LIMIT]);
        fmt_way(c, sizeof c, &r->w[W_PEER]);
        fmt_way(fl, sizeof fl, &r->w[W_FLOOR]);
        if (md) {   /* the fastest sample too: on a busy machine it shows what the code can do */
            char *cells[NWAYS] = {a, b, c, fl};
            for (int w = 0; w < NWAYS; w++)
                if (r->w[w].ok && r->w[w].lo < r->w[w].ns * 0.9) {
                    char lo[32];
                    fmt_ns(lo, sizeof lo, r->w[w].lo);
                    size_t len = strlen(cells[w]);
                    snprintf(cells[w] + len, 32 - len, " (%s)", lo);
                }
        }
        fmt_allocs(d, sizeof d, &r->w[W_FLUXUS]);
        fmt_allocs(e, sizeof e, &r->w[W_LIMIT]);
        fmt_allocs(g, sizeof g, &r->w[W_PEER]);
        fmt_allocs(fla, sizeof fla, &r->w[W_FLOOR]);
        fmt_ratio(h, sizeof h, &r->w[W_FLUXUS], &r->w[W_LIMIT]);
        fmt_ratio(k, sizeof k, &r->w[W_FLUXUS], &r->w[W_PEER]);
        fmt_ratio(flq, sizeof flq, &r->w[W_FLUXUS], &r->w[W_FLOOR]);
        if (r->c->go_fluxus_ns > 0)
            fmt_ns(gof, sizeof gof, r->c->go_fluxus_ns);
        else
            snprintf(gof, sizeof gof, "—");
        if (r->c->unavailable)
            snprintf(a, sizeof a, "not yet measurable");
        if (md)
            fprintf(f, "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", r->c->name, a, b, c, d,
                    e, g, h, k, gof, fl, flq, fla);
        else
            fprintf(f, "%-36s %12s %12s %12s %8s %8s %8s %8s %8s %12s %8s\n", r->c->name, a, b, c, d, e, g, h, k, fl,
                    flq);
        const way_result *fx = &r->w[W_FLUXUS], *li = &r->w[W_LIMIT], *fo = &r->w[W_FLOOR];
        if (fx->ok) {
            nfx++;
            if (fx->allocs == 0)
                zero_alloc++;
        }
        if (fx->ok && li->ok && li->ns > 0) {
            double q = fx->ns / li->ns;
            logsum += log(q);
            nlog++;
            if (q <= 1.1)
                within++;
        }
        if (fx->ok && fo->ok && fo->ns > 0) {
            double q = fx->ns / fo->ns;
            floor_logsum += log(q);
            nfloor++;
            if (q <= 1.1)
                floor_within++;
            if (fo->allocs == 0)
                floor_zero_alloc++;
        }
    }
    if (md) {
        fprintf(f, "\n## Summary against the targets of issue 7\n\n");
        if (nlog > 0)
            fprintf(f, "- fluxus/limit: geometric mean %.2f× over %d cases (target ≤ 1.05×); %d of %d within 1.1×\n",
                    exp(logsum / nlog), nlog, within, nlog);
        fprintf(f, "- fluxus allocations: %d of %d measured cases make 0 allocator calls per op after warm-up\n",
                zero_alloc, nfx);
        if (nfloor > 0)
            fprintf(f, "- fluxus/floor (fluxc's code against the API floor; not a target): geometric mean %.2f× over "
                       "%d cases with a floor; %d of %d within 1.1× (the floor: 0 allocator calls per op in %d of %d)\n",
                    exp(floor_logsum / nfloor), nfloor, floor_within, nfloor, floor_zero_alloc, nfloor);
        static const struct {
            const char *label, *one, *two;
        } pairs[] = {
            {"ConcurrencyScaling (100 × 1000 iterations)", "ConcurrencyScaling/conc-1", "ConcurrencyScaling/conc-2"},
            {"Map over 1000 items", "Map/1000/conc-1", "Map/1000/conc-2"},
            {"Map over 100 items", "Map/100/conc-1", "Map/100/conc-2"},
        };
        for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
            const case_result *one = find(rs, n, pairs[i].one), *two = find(rs, n, pairs[i].two);
            if (one == NULL || two == NULL)
                continue;
            fprintf(f, "- speed-up at concurrency 2 over 1, %s:", pairs[i].label);
            for (int w = 0; w < NWAYS; w++)
                if (one->w[w].ok && two->w[w].ok && two->w[w].ns > 0)
                    fprintf(f, " %s %.2f×", way_names[w], one->w[w].ns / two->w[w].ns);
            fprintf(f, " (target for fluxus ≥ 1.9×)\n");
        }
        const case_result *mp = find(rs, n, "Map/1000/conc-2");
        if (mp && mp->w[W_FLUXUS].ok && mp->w[W_LIMIT].ok)
            fprintf(f, "- Map over 1000 items at concurrency 2: %.2f× the hand-written pthreads split (target ≤ 1.15×)\n",
                    mp->w[W_FLUXUS].ns / mp->w[W_LIMIT].ns);
        int npeer = 0, faster = 0;
        for (size_t i = 0; i < n; i++) {
            const way_result *fx = &rs[i].w[W_FLUXUS], *pe = &rs[i].w[W_PEER];
            if (fx->ok && pe->ok) {
                npeer++;
                if (fx->ns <= pe->ns)
                    faster++;
            }
        }
        if (npeer > 0)
            fprintf(f, "- fluxus at least as fast as oneTBB on %d of %d shared cases (target: all)\n", faster, npeer);
        bool any_unavailable = false;
        for (size_t i = 0; i < n; i++)
            if (rs[i].c->unavailable) {
                if (!any_unavailable)
                    fprintf(f, "\n## Not yet measurable\n\n");
                any_unavailable = true;
                fprintf(f, "- %s: %s\n", rs[i].c->name, rs[i].c->unavailable);
            }
        fprintf(f, "\n## Cases\n\n| case | workload | limit | oneTBB shape | API floor |\n|---|---|---|---|---|\n");
        for (size_t i = 0; i < n; i++) {
            fprintf(f, "| %s | ", rs[i].c->name);
            for (const char *q = rs[i].c->what; *q; q++)   /* a '|' would end the cell */
                fputs(*q == '|' ? "\\|" : (char[2]){*q, 0}, f);
            fprintf(f, " | %s | %s | %s |\n",
                    rs[i].c->limit_note ? rs[i].c->limit_note : "direct calls",
                    rs[i].c->peer.run ? (rs[i].c->peer_note ? rs[i].c->peer_note : "yes") : "— (no same-shape equivalent)",
                    rs[i].c->floor.run ? (rs[i].c->floor_note ? rs[i].c->floor_note : "yes") : "—");
        }
    }
    if (nsp > 0) {
        if (md) {
            fprintf(f, "\n## Compiler speed\n\n");
            fprintf(f, "fluxc --no-line on generated modules (13 lines per block: a struct, four stages, a chain, a "
                       "retry in a chain, a map). Median of 3 runs (one run at 100k lines); peak RSS is the largest.\n\n");
            fprintf(f, "| .fx lines | wall ms | µs/line | peak RSS KiB | generated .c bytes |\n|---:|---:|---:|---:|---:|\n");
        } else {
            fprintf(f, "\ncompiler speed:\n");
        }
        for (size_t i = 0; i < nsp; i++) {
            const speed_result *s = &sp[i];
            if (s->status != 0) {
                fprintf(f, md ? "| %ld | fluxc failed (exit %d) | | | |\n" : "  %ld lines: fluxc failed (exit %d)\n",
                        s->lines, s->status);
                continue;
            }
            if (md)
                fprintf(f, "| %ld | %.1f | %.2f | %ld | %ld |\n", s->lines, s->wall_ms, s->wall_ms * 1000 / s->lines,
                        s->maxrss_kb, s->out_bytes);
            else
                fprintf(f, "  %7ld lines: %9.1f ms  %6.2f us/line  %8ld KiB peak  %10ld bytes of C\n", s->lines,
                        s->wall_ms, s->wall_ms * 1000 / s->lines, s->maxrss_kb, s->out_bytes);
        }
        if (nsp >= 2 && sp[0].status == 0 && sp[nsp - 1].status == 0 && sp[nsp - 2].status == 0)
            linearity(f, md, &sp[nsp - 2], &sp[nsp - 1]);
    }
}

/* ---------------------------------------------------------------- profiling */

/* Runs one way of one case: setup, one op of warm-up, ITERS ops, teardown.
 * Under `valgrind --tool=callgrind` this counts instructions per op
 * repeatably, whatever else the machine is doing. */
static int profile(const char *name, const char *way, size_t iters)
{
    for (size_t i = 0; i < ncases; i++) {
        if (strcmp(cases[i].name, name) != 0)
            continue;
        const bench_impl *im = strcmp(way, "fluxus") == 0  ? &cases[i].fluxus
                               : strcmp(way, "limit") == 0 ? &cases[i].limit
                               : strcmp(way, "floor") == 0 ? &cases[i].floor
                                                           : &cases[i].peer;
        if (im->run == NULL) {
            fprintf(stderr, "bench: %s has no %s way\n", name, way);
            return 2;
        }
        bench_alloc_counting(1);
        void *st = im->setup ? im->setup(cases[i].arg) : (void *)1;
        if (st == NULL || im->run(st, 1) != 0) {
            fprintf(stderr, "bench: %s/%s failed\n", name, way);
            return 1;
        }
        bench_alloc_counting(0);
        printf("%s %s: %llu allocator calls in setup and the first op\n", name, way,
               (unsigned long long)bench_alloc_calls());
        double t0 = now_ns();
        int rc = im->run(st, iters);
        double dt = now_ns() - t0;
        if (im->teardown)
            im->teardown(st);
        printf("%s %s: %zu ops, %.2f ns/op%s\n", name, way, iters, dt / (double)iters, rc ? " (WRONG RESULTS)" : "");
        return rc;
    }
    fprintf(stderr, "bench: no case named %s\n", name);
    return 2;
}

/* ---------------------------------------------------------------- main */

int main(int argc, char **argv)
{
    const char *filter = getenv("BENCH_FILTER");
    const char *results = NULL, *fluxc = NULL, *scratch = NULL;
    const char *profile_case = NULL, *profile_way = NULL;
    unsigned long long profile_iters = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--filter") == 0 && i + 1 < argc)
            filter = argv[++i];
        else if (strcmp(argv[i], "--results") == 0 && i + 1 < argc)
            results = argv[++i];
        else if (strcmp(argv[i], "--fluxc") == 0 && i + 1 < argc)
            fluxc = argv[++i];
        else if (strcmp(argv[i], "--scratch") == 0 && i + 1 < argc)
            scratch = argv[++i];
        else if (strcmp(argv[i], "--profile") == 0 && i + 3 < argc) {
            profile_case = argv[++i];
            profile_way = argv[++i];
            profile_iters = strtoull(argv[++i], NULL, 10);
        }
        else {
            fprintf(stderr, "usage: bench [--filter SUBSTR] [--results FILE] [--fluxc PATH --scratch DIR]\n"
                            "       bench --profile CASE fluxus|limit|oneTBB|floor ITERS   (one way, for perf/callgrind)\n");
            return 2;
        }
    }
    if (getenv("BENCH_SAMPLES"))
        samples_wanted = atoi(getenv("BENCH_SAMPLES"));
    if (samples_wanted < 1)
        samples_wanted = 1;
    if (getenv("BENCH_SAMPLE_MS"))
        sample_ns = atof(getenv("BENCH_SAMPLE_MS")) * 1e6;
    if (sample_ns < 1e5)
        sample_ns = 1e5;

    bench_register_chain();
    bench_register_flow();
    bench_register_batch();
    bench_register_resil();
    bench_register_observe();

    if (profile_case)
        return profile(profile_case, profile_way, (size_t)profile_iters);

    machine m;
    describe_machine(&m);
    case_result *rs = calloc(ncases, sizeof *rs);
    size_t n = 0;
    double t0 = now_ns();
    for (size_t i = 0; i < ncases; i++) {
        if (filter && *filter && strstr(cases[i].name, filter) == NULL)
            continue;
        rs[n].c = &cases[i];
        fprintf(stderr, "  %-36s", cases[i].name);
        measure(&rs[n]);
        for (int w = 0; w < NWAYS; w++) {
            char b[32], lo[32], hi[32];
            if (w == W_FLOOR && !rs[n].w[w].present)   /* most cases have none */
                continue;
            fmt_way(b, sizeof b, &rs[n].w[w]);
            fprintf(stderr, " %s %s", way_names[w], b);
            if (rs[n].w[w].ok) {
                fmt_ns(lo, sizeof lo, rs[n].w[w].lo);
                fmt_ns(hi, sizeof hi, rs[n].w[w].hi);
                fprintf(stderr, " [%s..%s]", lo, hi);
            }
        }
        fprintf(stderr, "\n");
        n++;
    }
    speed_result sp[3];
    size_t nsp = 0;
    if (fluxc && scratch && (!filter || !*filter || strstr("CompilerSpeed", filter)))
        nsp = compiler_speed(fluxc, scratch, sp);
    fprintf(stderr, "  (%.1f s)\n", (now_ns() - t0) / 1e9);

    report(stdout, false, &m, rs, n, sp, nsp, filter);
    if (results) {
        FILE *f = fopen(results, "w");
        if (f == NULL) {
            fprintf(stderr, "bench: cannot write %s: %s\n", results, strerror(errno));
            return 1;
        }
        report(f, true, &m, rs, n, sp, nsp, filter);
        fclose(f);
        printf("\nwritten: %s\n", results);
    }
    free(rs);
    return 0;
}
