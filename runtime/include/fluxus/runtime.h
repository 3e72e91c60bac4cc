/* fluxus/runtime.h — the runtime a pipeline instance runs on (SPEC §5.3).
 *
 * An fx_runtime bundles the configuration every pipeline instance made on it
 * shares: the number of worker threads, the clock all its combinators
 * measure time with, and its metrics and tracer (observe.h), and its worker
 * pool (sched.h): `threads` workers, started on first use.
 *
 * Ownership: fx_runtime_new's result is freed by the caller with
 * fx_runtime_free() after every pipeline instance made on it. The default
 * runtime is never freed. Every function may be called from any thread. */
#ifndef FLUXUS_RUNTIME_H
#define FLUXUS_RUNTIME_H

#include <stdbool.h>

typedef struct fx_runtime fx_runtime;
typedef struct fx_clock fx_clock;
typedef struct fx_metrics fx_metrics;   /* observe.h */
typedef struct fx_tracer fx_tracer;     /* observe.h */

typedef struct fx_runtime_config {
    int threads;               /* worker threads; 0 = number of online CPUs */
    const fx_clock *clock;     /* NULL = the real monotonic clock */
    const fx_metrics *metrics; /* NULL = no metrics */
    const fx_tracer *tracer;   /* NULL = no tracing */
    /* How long, in microseconds, an idle worker (and a caller waiting for
     * its group's last tasks) busy-waits for more work before it sleeps on
     * a condition variable. Waking a sleeping thread takes tens of
     * microseconds on a virtual machine, more than many tasks; a thread
     * that is still spinning starts the next task within a microsecond.
     * The price is CPU time burnt for at most this long after each burst of
     * work (spinners call sched_yield, so they give way to runnable
     * threads). 0 = the default: 50 µs when the machine has more than one
     * online CPU, else no spinning; < 0 = never spin. A spinning worker on
     * the CPU of the thread that last handed work to the pool moves off
     * it (Linux: its affinity mask without that CPU, then its own mask
     * back), since it could not run beside that thread there
     * (docs/RUNTIME.md). */
    int spin_us;
} fx_runtime_config;

/* A new runtime. cfg NULL = all defaults. The config struct is copied; the
 * clock, metrics and tracer it points to are not, and must outlive the
 * runtime. NULL on OOM or when cfg->threads < 0. */
fx_runtime *fx_runtime_new(const fx_runtime_config *cfg);

/* The process-wide default runtime (all defaults), created on first use
 * (pthread_once) and never freed. Static storage: never fails. */
fx_runtime *fx_runtime_default(void);

/* Frees rt, joining its worker threads; no task group of rt may be in
 * flight. NULL or the default runtime: no-op. */
void fx_runtime_free(fx_runtime *rt);

/* Number of worker threads (>= 1). */
int fx_runtime_threads(const fx_runtime *rt);

/* The clock of rt; never NULL (the real clock when none was configured). */
const fx_clock *fx_runtime_clock(const fx_runtime *rt);

/* Private: the first member of every fx_runtime, so that
 * fx_runtime_observed() (observe.h) inlines to one load and one branch.
 * Not API; never touch it. */
struct fx__runtime_head {
    bool observed;             /* metrics or tracer configured; immutable */
};

#endif /* FLUXUS_RUNTIME_H */
