/* fluxus/clock.h — monotonic time and the one sleep primitive (SPEC §5.3).
 *
 * Every wait in fluxus (retry backoff, breaker reset, limiter waits,
 * timeouts, windows) is an fx_clock_sleep*() on some clock, so code under
 * test can run on a fake clock whose time moves only when the test says so:
 * exact and instant. Nothing in the runtime reads the system time any other
 * way.
 *
 * Two kinds of clock:
 *   - the real clock (fx_clock_real()): CLOCK_MONOTONIC, process-wide,
 *     never freed;
 *   - fake clocks (fx_clock_fake_new()): owned by the caller, freed with
 *     fx_clock_free() once nothing sleeps on them.
 * All clock functions may be called from any thread. */
#ifndef FLUXUS_CLOCK_H
#define FLUXUS_CLOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct fx_clock fx_clock;
typedef struct fx_ctx fx_ctx;

/* The process-wide monotonic clock. Static storage, never freed. */
const fx_clock *fx_clock_real(void);

/* Current time of c in nanoseconds (monotonic; arbitrary origin).
 * c NULL = the real clock. Lock-free on both kinds of clock. */
int64_t fx_clock_now(const fx_clock *c);

/* A fake clock reading start_ns, with auto mode off. The caller owns it and
 * frees it with fx_clock_free(). NULL on OOM. */
fx_clock *fx_clock_fake_new(int64_t start_ns);

/* Moves a fake clock forward by ns (ns <= 0 does nothing: time never goes
 * back) and wakes exactly the sleepers whose deadline is <= the new time,
 * whatever order they registered in. When it returns, those sleepers no
 * longer count in fx_clock_fake_waiters(). No-op on the real clock. */
void fx_clock_fake_advance(fx_clock *c, int64_t ns);

/* Number of threads blocked in a sleep on this fake clock right now. A
 * sleeper counts from the moment it registers (just before it blocks) until
 * it is woken. A thread sleeping on another clock whose fx_ctx has a
 * deadline on this clock counts here too (it waits for this clock). 0 for
 * the real clock. */
size_t fx_clock_fake_waiters(const fx_clock *c);

/* Auto mode: when on, a sleep on this clock does not block; it moves the
 * clock forward to its deadline (waking the other sleepers due by then) and
 * returns. Turning it on does not wake current sleepers. No-op on the real
 * clock. */
void fx_clock_fake_set_auto(fx_clock *c, bool on);

/* Frees a fake clock. No thread may be sleeping on it, and no fx_ctx or
 * fx_runtime that uses it may outlive it. NULL or the real clock: no-op. */
void fx_clock_free(fx_clock *c);

/* Sleeps until clock c (NULL = real) reads >= deadline_ns.
 * Returns 0 when the clock reaches the deadline, or, when ctx (may be NULL)
 * becomes done first, at once its fx_ctx_err(): FX_ECANCELED when it is
 * cancelled (fx_ctx_cancel() wakes the sleeper immediately, also through an
 * ancestor), FX_EDEADLINE when one of its deadlines passes first (each
 * measured on its own clock). A ctx that is already done returns at once.
 * If the sleep deadline and a ctx deadline on the same clock are both
 * reached, the earlier one wins; on a tie the sleep wins (returns 0).
 * A deadline already reached returns 0 at once (after the ctx check).
 * FX_EINVAL if the sleep would have to wait for more than 8 distinct fake
 * clocks (the sleep clock plus the clocks of the ctx's deadlines).
 * Never allocates; any thread; many threads may sleep on a clock at once. */
int fx_clock_sleep_until(const fx_clock *c, fx_ctx *ctx, int64_t deadline_ns);

/* fx_clock_sleep_until(c, ctx, fx_clock_now(c) + ns) (saturating). */
int fx_clock_sleep(const fx_clock *c, fx_ctx *ctx, int64_t ns);

#endif /* FLUXUS_CLOCK_H */
