/* fluxus/version.h — library version and small portability macros.
 *
 * Everything here is a compile-time constant except fx_version(), which
 * reports the version of the library actually linked. */
#ifndef FLUXUS_VERSION_H
#define FLUXUS_VERSION_H

#define FX_VERSION_MAJOR 0
#define FX_VERSION_MINOR 1
#define FX_VERSION_PATCH 0
#define FX_VERSION_NUMBER \
    (FX_VERSION_MAJOR * 10000 + FX_VERSION_MINOR * 100 + FX_VERSION_PATCH)
#define FX_VERSION_STRING "0.1.0"

/* Branch hints for hot paths (no-ops where __builtin_expect is missing). */
#if defined(__GNUC__) || defined(__clang__)
#define FX_LIKELY(x)   __builtin_expect(!!(x), 1)
#define FX_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define FX__PRINTF(fmt_idx, arg_idx) __attribute__((format(printf, fmt_idx, arg_idx)))
#else
#define FX_LIKELY(x)   (x)
#define FX_UNLIKELY(x) (x)
#define FX__PRINTF(fmt_idx, arg_idx)
#endif

/* The linked library's version, "MAJOR.MINOR.PATCH". Static storage, never
 * freed; callable from any thread. */
const char *fx_version(void);

#endif /* FLUXUS_VERSION_H */
