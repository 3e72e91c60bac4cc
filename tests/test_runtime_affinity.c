/* tests/test_runtime_affinity.c — a spinning worker stepping off its
 * owner's CPU (runtime/affinity.c, used by sched.c's spin_until_ready). */
#if defined(__linux__)
#define _GNU_SOURCE
#endif
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>

#if defined(__linux__)
#include <pthread.h>
#include <sched.h>
#endif

/* Private to libfluxus (runtime/internal.h); declared here to test them. */
int fx__current_cpu(void);
int fx__step_aside(int cpu);

#if defined(__linux__)
/* The calling thread's affinity mask, and how many CPUs it allows. */
static int allowed(cpu_set_t *mask)
{
    assert_int_equal(pthread_getaffinity_np(pthread_self(), sizeof *mask, mask), 0);
    return CPU_COUNT(mask);
}

static void test_affinity_current_cpu_is_the_kernels(void **state)
{
    (void)state;
    int cpu = fx__current_cpu();
    assert_true(cpu >= 0);
    cpu_set_t mask;
    allowed(&mask);
    assert_true(CPU_ISSET(cpu, &mask));
}

/* Not on that CPU: nothing to do, and nothing done. */
static void test_affinity_elsewhere_changes_nothing(void **state)
{
    (void)state;
    cpu_set_t before, after;
    allowed(&before);
    assert_int_equal(fx__step_aside(-1), 0);
    assert_int_equal(fx__step_aside(CPU_SETSIZE), 0);
    int here = fx__current_cpu();
    for (int cpu = 0; cpu < CPU_SETSIZE; cpu++) {
        if (cpu == here || !CPU_ISSET(cpu, &before))
            continue;
        /* The thread may move meanwhile; only a call that found it
         * elsewhere must report 0. */
        int rc = fx__step_aside(cpu);
        assert_true(rc == 0 || rc == 1);
        break;
    }
    allowed(&after);
    assert_true(CPU_EQUAL(&before, &after));
}

/* On that CPU with another allowed: moved off it, the mask as it was. */
static void test_affinity_steps_off_the_cpu_and_keeps_the_mask(void **state)
{
    (void)state;
    cpu_set_t before, after;
    if (allowed(&before) < 2)
        skip();   /* one CPU allowed: nowhere to go */
    for (int tries = 0; tries < 100; tries++) {
        int cpu = fx__current_cpu();
        int rc = fx__step_aside(cpu);
        if (rc == 0)
            continue;   /* the kernel moved us between the two calls */
        assert_int_equal(rc, 1);
        /* A mask without `cpu` was in force: the thread left it (the old
         * mask back does not move it again). */
        assert_int_not_equal(fx__current_cpu(), cpu);
        allowed(&after);
        assert_true(CPU_EQUAL(&before, &after));
        return;
    }
    fail_msg("the thread never stayed on one CPU for two calls");
}

/* A thread that may run on one CPU only cannot step aside, and says so. */
static void test_affinity_pinned_thread_cannot_step_aside(void **state)
{
    (void)state;
    cpu_set_t before, one, after;
    allowed(&before);
    int cpu = fx__current_cpu();
    CPU_ZERO(&one);
    CPU_SET(cpu, &one);
    assert_int_equal(pthread_setaffinity_np(pthread_self(), sizeof one, &one), 0);
    assert_int_equal(fx__current_cpu(), cpu);
    assert_int_equal(fx__step_aside(cpu), -1);
    assert_int_equal(fx__current_cpu(), cpu);
    assert_int_equal(allowed(&after), 1);
    assert_int_equal(pthread_setaffinity_np(pthread_self(), sizeof before, &before), 0);
}
#else
static void test_affinity_unsupported(void **state)
{
    (void)state;
    assert_int_equal(fx__current_cpu(), -1);
    assert_int_equal(fx__step_aside(0), -1);
}
#endif

int main(void)
{
    const struct CMUnitTest tests[] = {
#if defined(__linux__)
        cmocka_unit_test(test_affinity_current_cpu_is_the_kernels),
        cmocka_unit_test(test_affinity_elsewhere_changes_nothing),
        cmocka_unit_test(test_affinity_steps_off_the_cpu_and_keeps_the_mask),
        cmocka_unit_test(test_affinity_pinned_thread_cannot_step_aside),
#else
        cmocka_unit_test(test_affinity_unsupported),
#endif
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
