/* bench/harness.h — the measuring instrument of issue 7 (docs/PERFORMANCE.md).
 *
 * A case is one go-fluxus benchmark workload written three ways:
 *   fluxus  a .fx pipeline built by fluxc, with its C stages;
 *   limit   the same work hand-written in plain C (direct calls, or a
 *           hand-written pthreads split for the parallel cases);
 *   peer    oneTBB, where it has the same shape (absent otherwise);
 * and, for some cases, a fourth:
 *   floor   the API floor: the same work hand-written in plain C against
 *           fluxus's public API and SPEC's stage ABI (a noinline process
 *           function with M_P_process's NULL checks, a zeroed result, a
 *           context check before every stage, the very stage functions
 *           fluxus calls, fx_alloc and fx_ctx_reset). fluxus/floor is
 *           what fluxc's code costs beyond what the API itself costs.
 * Each way is a bench_impl: setup() makes its state once, run(state, n)
 * does n operations and checks their results (non-zero = wrong answer),
 * teardown() frees the state. The harness interleaves the ways
 * sample by sample, so drift on the machine hits all of them alike, and
 * reports the median ns/op and the allocator calls per op (counted by
 * malloc interposition, see alloc_count.c).
 *
 * Cases register themselves from bench_register_*() (one per family file). */
#ifndef BENCH_HARNESS_H
#define BENCH_HARNESS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct bench_impl {
    void *(*setup)(const void *arg);     /* NULL result = setup failed */
    int (*run)(void *state, size_t n);   /* n operations; 0 = results were right */
    void (*teardown)(void *state);
} bench_impl;

typedef struct bench_case {
    const char *name;        /* "ChainDepth/50": BENCH_FILTER matches a substring */
    const char *what;        /* one line: the workload */
    const void *arg;         /* passed to every setup */
    bench_impl fluxus;
    bench_impl limit;
    bench_impl peer;         /* .run NULL: no oneTBB equivalent */
    bench_impl floor;        /* .run NULL: no API floor written (see the top of this file) */
    const char *limit_note;  /* how the limit is written, e.g. "pthreads split over 2 cores" */
    const char *peer_note;   /* e.g. "parallel_for" */
    const char *floor_note;  /* how the floor is written, e.g. "ctx check, the stage, reset" */
    const char *unavailable; /* non-NULL: the fluxus side cannot be built yet (why) */
    double go_fluxus_ns;     /* go-fluxus v1.1.1 on a 2-vCPU machine (issue 7), 0 = not given */
} bench_case;

void bench_add(const bench_case *c);

/* Allocator calls (malloc, calloc, realloc, aligned allocations and
 * oneTBB's scalable_malloc family) since the counter was last reset, from
 * every thread. Counting is off except while the harness measures it. */
void bench_alloc_counting(int on);
uint64_t bench_alloc_calls(void);

/* Number of online CPUs (what "the cores" means for the limits). */
int bench_cpus(void);

/* A hand-written pthreads split (the limit of the parallel cases): `threads`
 * persistent threads, the caller being one of them. split_run calls
 * fn(arg, k, nchunks) once for each k = 0..nchunks-1, on whichever thread
 * claims chunk k first (the caller claims too), and returns when all are
 * done. Not reentrant. */
typedef struct bench_split bench_split;
bench_split *bench_split_new(int threads);
void bench_split_run(bench_split *s, int nparts, void (*fn)(void *arg, int k, int nparts), void *arg);
void bench_split_free(bench_split *s);

/* A single-threaded bump allocator: the memory a hand-written C program
 * hands downstream, reset once per operation (the limit's fx_alloc). */
typedef struct bench_bump {
    char *base;
    size_t used, cap;
} bench_bump;
void bench_bump_init(bench_bump *b, size_t cap);
void *bench_bump_alloc(bench_bump *b, size_t n);
static inline void bench_bump_reset(bench_bump *b) { b->used = 0; }
void bench_bump_free(bench_bump *b);

/* The API floor's state (docs/PERFORMANCE.md): a root context of its own,
 * created by setup and freed by teardown, and the case's arg. It doubles
 * as the floor's instance, the `p` its process function checks. */
struct fx_ctx;
typedef struct bench_floor_st {
    struct fx_ctx *ctx;
    const void *arg;
} bench_floor_st;
void *bench_floor_setup(const void *arg);
void bench_floor_teardown(void *state);

/* A floor's process function: out of line, as M_P_process is, and opaque to
 * interprocedural optimization, as M_P_process in its own translation unit
 * is, so that its NULL checks are not folded away against its callers. */
#if defined(__GNUC__) && !defined(__clang__)
#define BENCH_FLOOR_FN __attribute__((noinline, noipa))
#else
#define BENCH_FLOOR_FN __attribute__((noinline))
#endif

/* Family registration functions (bench/fam_*.c, bench/peer_tbb.cpp). */
void bench_register_chain(void);
void bench_register_flow(void);
void bench_register_batch(void);
void bench_register_resil(void);
void bench_register_observe(void);

#ifdef __cplusplus
}
#endif

#endif
