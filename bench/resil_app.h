/* bench/resil_app.h — the state of resil.fx's flaky stage. */
#ifndef BENCH_RESIL_APP_H
#define BENCH_RESIL_APP_H
struct bench_flaky {
    unsigned long calls;   /* every third call succeeds; one thread only */
};
#endif
