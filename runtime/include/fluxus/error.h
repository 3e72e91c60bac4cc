/* fluxus/error.h — error codes and structured errors (SPEC §5.2).
 *
 * Functions that can fail return 0 or a negative FX_E… code; positive codes
 * belong to the application (a stage returns them). Details of a failure
 * live in an fx_error record, usually obtained with fx_ctx_error(); records
 * are immutable values owned by the context arena they were recorded in. */
#ifndef FLUXUS_ERROR_H
#define FLUXUS_ERROR_H

#include <stdbool.h>
#include <stddef.h>

/* The one list of runtime error codes, in order: FX_ECANCELED is -1 and each
 * following code is one less. XX(NAME, text) — also generates fx_strerror. */
#define FX_ERRNO_MAP(XX)                                   \
    XX(ECANCELED,        "context canceled")               \
    XX(EDEADLINE,        "context deadline exceeded")      \
    XX(ETIMEOUT,         "stage timed out")                \
    XX(EFILTERED,        "item filtered")                  \
    XX(ENOROUTE,         "no route matched")               \
    XX(ECIRCUIT_OPEN,    "circuit breaker is open")        \
    XX(ERATE_LIMITED,    "rate limit exceeded")            \
    XX(ERETRY_EXHAUSTED, "retry exhausted")                \
    XX(EFANOUT,          "fan-out stage failed")           \
    XX(EMULTI,           "multiple errors")                \
    XX(EMAP_ITEM,        "map item failed")                \
    XX(EBUFFER,          "buffer batch failed")            \
    XX(ESTAGE,           "stage failed")                   \
    XX(ENOMEM,           "out of memory")                  \
    XX(EINVAL,           "invalid argument")

/* Private: position of each code in the list (1-based). */
enum fx__errno_index {
    FX__ERRNO_INDEX_NONE = 0,
#define FX__XX(name, text) FX__ERRNO_INDEX_##name,
    FX_ERRNO_MAP(FX__XX)
#undef FX__XX
    FX__ERRNO_INDEX_END
};

typedef enum fx_errno {
#define FX__XX(name, text) FX_##name = -FX__ERRNO_INDEX_##name,
    FX_ERRNO_MAP(FX__XX)
#undef FX__XX
    FX_ERRNO_LAST = -(FX__ERRNO_INDEX_END - 1)   /* the most negative code (FX_EINVAL) */
} fx_errno;

typedef struct fx_error {
    int code;                     /* FX_E… (< 0) or the application's code (> 0) */
    const char *stage;            /* stage or component that failed, or NULL */
    const char *message;          /* NULL = the code's default text */
    int index;                    /* item index (map, buffer offset, router selection, fan-out stage) or -1 */
    int attempts;                 /* retry: attempts made, else 0 */
    const struct fx_error *cause; /* the error this one wraps, or NULL */
    size_t count;                 /* FX_EMULTI / FX_EFANOUT: number of children */
    const struct fx_error *errors;/* the children, `count` of them */
} fx_error;

/* True iff err, or any error reachable through `cause` or `errors` (walked
 * recursively, like Go's errors.Is), has this code. err NULL -> false.
 * Pure; any thread. */
bool fx_error_is(const fx_error *err, int code);

/* Static text for a code, never NULL, never to be freed; any thread.
 * 0 -> "success"; a positive (application) code -> "application error";
 * a negative code not in FX_ERRNO_MAP -> "unknown error". */
const char *fx_strerror(int code);

/* Formats err into buf like snprintf: writes at most n bytes, always
 * NUL-terminates when n > 0, and returns the length the whole text needs
 * (excluding the NUL), so a return value >= n means it was truncated.
 * buf may be NULL when n == 0. Pure; any thread.
 *
 * Text of one error:
 *     [STAGE ": "] MESSAGE [": " CAUSE] [" (" N " errors: " CHILD {"; " CHILD} ")"]
 *   MESSAGE is err->message when set; otherwise
 *     "retry exhausted N attempts"    for FX_ERETRY_EXHAUSTED with attempts > 0
 *                                     ("1 attempt" when N is 1),
 *     "application error (code N)"    for a positive code,
 *     fx_strerror(code)               for anything else.
 *   CAUSE is the cause formatted by the same rules (recursively).
 *   Each CHILD is "[INDEX] " followed by the child formatted by the same rules;
 *   the "[INDEX] " prefix is left out when the child's index is < 0.
 *   "N errors" reads "1 error" when there is a single child.
 * err NULL formats as "success". */
size_t fx_error_format(const fx_error *err, char *buf, size_t n);

#endif /* FLUXUS_ERROR_H */
