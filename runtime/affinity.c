/* affinity.c — which CPU a thread runs on, and a worker stepping off the
 * CPU of the thread it should be running beside (sched.c).
 *
 * Why. Some virtual machines' kernels pack runnable threads onto few vCPUs
 * (the machine this project is measured on has such a knob,
 * kernel.sched_vcpu_pack): a worker spinning for work can then share one
 * vCPU with the thread that is handing it the work, while the other vCPU
 * idles, for minutes. The spinner only runs when the owner's time slice
 * ends, so a group meant for two CPUs runs on one, taking twice as long
 * (docs/PERFORMANCE.md, "The slow state"). The kernel's balancer does not
 * undo it; an affinity mask that leaves out the shared CPU moves the thread
 * at once, and putting the mask back right after leaves it where it went.
 *
 * Linux only (sched_getcpu, pthread_setaffinity_np); elsewhere the CPU is
 * unknown and nothing moves. */
#if defined(__linux__)
#define _GNU_SOURCE
#endif
#include "internal.h"

#if defined(__linux__)
#include <pthread.h>
#include <sched.h>

int fx__current_cpu(void) { return sched_getcpu(); }

int fx__step_aside(int cpu)
{
    if (cpu < 0 || cpu >= CPU_SETSIZE || sched_getcpu() != cpu) return 0;
    pthread_t self = pthread_self();
    cpu_set_t mask, away;
    if (pthread_getaffinity_np(self, sizeof mask, &mask) != 0) return -1;
    away = mask;
    CPU_CLR(cpu, &away);
    if (CPU_COUNT(&away) == 0) return -1;   /* the thread may not run anywhere else */
    if (pthread_setaffinity_np(self, sizeof away, &away) != 0) return -1;
    /* The kernel has moved the thread before the call returned (its CPU is
     * no longer allowed); the old mask back, so that it may return later.
     * Should that fail (the process's cpuset changed meanwhile, say), the
     * narrower mask stays: a valid one, never a reason to stop. */
    (void)pthread_setaffinity_np(self, sizeof mask, &mask);
    return 1;
}
#else
int fx__current_cpu(void) { return -1; }

int fx__step_aside(int cpu)
{
    (void)cpu;
    return -1;
}
#endif
