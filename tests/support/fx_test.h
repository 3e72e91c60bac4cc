/* tests/support/fx_test.h — helpers shared by the runtime tests: threads
 * that sleep on a clock, and bounded spinning (a test fails rather than
 * hangs). Include after <cmocka.h>. */
#ifndef FX_TEST_H
#define FX_TEST_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <fluxus/fluxus.h>

#define FX_TEST_MS ((int64_t)1000000)

/* A thread running fx_clock_sleep(clock, ctx, ns). */
typedef struct fx_test_sleeper {
    const fx_clock *clock;
    fx_ctx *ctx;
    int64_t ns;
    int rc;
    int64_t real_elapsed;        /* on the real clock */
    atomic_bool done;
    pthread_t thread;
} fx_test_sleeper;

void fx_test_sleeper_start(fx_test_sleeper *s, const fx_clock *clock, fx_ctx *ctx, int64_t ns);
int  fx_test_sleeper_join(fx_test_sleeper *s);   /* returns the sleep's rc */

/* Spins (yielding) until fx_clock_fake_waiters(c) == n; false after ~10 s. */
bool fx_test_wait_waiters(const fx_clock *c, size_t n);

/* Spins until *flag is true; false after ~10 s. */
bool fx_test_wait_flag(atomic_bool *flag);

/* Run-time control from one thread reaching callers on others (a breaker
 * forced open and reset, a rate set to 0 and back). `threads` threads
 * (at most FX_TEST_ROUND_THREADS) call `call` again and again on contexts
 * of their own, while this thread runs rounds 1 .. rounds: for each it
 * calls control(arg, r), then announces r and waits until every thread
 * has answered right in round r. A call's answer counts only when the
 * round did not move while it ran; `call` returns whether the answer is
 * right for that round. Returns the number of wrong answers (the rounds
 * stop at the first). */
enum { FX_TEST_ROUND_THREADS = 16 };
int fx_test_control_rounds(int threads, int rounds, void (*control)(void *arg, int round),
                           bool (*call)(void *arg, fx_ctx *ctx, int round), void *arg);

#endif
