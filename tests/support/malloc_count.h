/* tests/support/malloc_count.h — counts the allocator calls of everything
 * linked into a test (libfluxus included), through the linker's --wrap:
 *
 *     -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=free
 *
 * Without those flags the counters stay at 0 and fx_test_malloc_wrapped()
 * returns false, so a test can tell "no malloc happened" from "not counted".
 * Calls made inside libc itself (and other shared libraries) are not
 * counted. All counters are atomic: any thread. */
#ifndef FX_TEST_MALLOC_COUNT_H
#define FX_TEST_MALLOC_COUNT_H

#include <stdbool.h>
#include <stddef.h>

size_t fx_test_malloc_calls(void);   /* malloc + calloc + realloc calls so far */
size_t fx_test_free_calls(void);     /* free calls so far (free(NULL) included) */
bool   fx_test_malloc_wrapped(void); /* true iff the --wrap flags are in effect */

#endif
