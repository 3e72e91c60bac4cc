/* bench/work.h — the work of every case as plain C functions.
 *
 * The limit and the oneTBB peer call these. The fluxus stage functions (in
 * the same files, *_stages.c) do the very same work through the same
 * static inline helpers, so each way pays exactly one out-of-line call per
 * stage and differs only in what surrounds it. Memory a function hands back
 * comes from a bench_bump (the hand-written equivalent of fx_alloc). */
#ifndef BENCH_WORK_H
#define BENCH_WORK_H

#include <stddef.h>
#include <stdint.h>

#include "harness.h"

#ifdef __cplusplus
extern "C" {
#endif

/* chain_stages.c */
char *work_upper(bench_bump *b, const char *s);
size_t work_split(bench_bump *b, const char *s, const char ***words);
int64_t work_count(const char *const *words, size_t n);
char *work_format_count(bench_bump *b, int64_t n);
int64_t work_add1(int64_t x);
int64_t work_step(int64_t x);   /* observe_stages.c: ObserveCost */

/* flow_stages.c */
int64_t work_times(int64_t x, int k);                  /* x * k */
int64_t work_sum(const int64_t *v, size_t n);
void work_suffix(char *dst, size_t cap, const char *s, int i);   /* "%s-%d" */
int work_hash31(int i);                                /* x = i; 1000 × x = x*31 % 997 */
int64_t work_spin17(int64_t r);                        /* 1000 × r = r*17 % 987 */
void work_map_item(char dst[16], int64_t x);           /* 50 × r = (r*17+13) % 1000000, then itoa */

/* batch_stages.c */
void work_double(const int64_t *in, size_t n, int64_t *out);
typedef struct work_kv {
    const char *key;
    int64_t value;
} work_kv;
typedef struct work_wc work_wc;   /* a hand-written word-count hash table */
work_wc *work_wc_new(void);
void work_wc_free(work_wc *t);
/* Counts equal lines; out gets one {line, count} per distinct line, in
 * order of first appearance; returns how many. */
size_t work_wordcount(work_wc *t, const char *const *lines, size_t n, work_kv *out);

/* resil_stages.c */
struct bench_flaky;
/* Fails (returns 1) twice, then succeeds with in + "-success". */
int work_flaky(struct bench_flaky *st, bench_bump *b, const char *in, const char **out);
typedef struct work_breaker work_breaker;   /* a hand-written breaker: closed path only */
work_breaker *work_breaker_new(int failures);
void work_breaker_free(work_breaker *b);
int work_breaker_call(work_breaker *b, const char *in, const char **out);
typedef struct work_limiter work_limiter;   /* a hand-written limiter: rate checked atomically */
work_limiter *work_limiter_new(double rate);
void work_limiter_free(work_limiter *l);
int work_limiter_call(work_limiter *l, const char *in, const char **out);

/* observe_stages.c */
typedef struct work_counters {   /* go-fluxus's mockMetricsCollector: counts */
    uint64_t started, completed, errors;
    int64_t total_ns;
} work_counters;
char *work_upper9(bench_bump *b, const char *s);
/* The same, measured by hand: clock before and after, then the counters. */
char *work_upper_metered(work_counters *c, bench_bump *b, const char *s);

#define BENCH_FANOUT_CONC_STAGES 100
#define BENCH_SCALING_STAGES 100

#ifdef __cplusplus
}
#endif

#endif
