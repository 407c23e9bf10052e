/* status.h - status codes and error details shared by every module.
 *
 * Anything that can fail returns an hs_status and, when the caller passes one, fills an
 * hs_error with the file, the row or line, and what was expected. No global "last error",
 * no errno. Pure C: formatting only, never printing (engine/ does no I/O).
 */
#ifndef HS_ENGINE_STATUS_H
#define HS_ENGINE_STATUS_H

#include <stddef.h>

typedef enum hs_status {
    HS_OK = 0,        /* success */
    HS_ENOMEM,        /* an allocation failed or would be impossibly large */
    HS_EINVAL,        /* a bad argument, option or job-file value (usage) */
    HS_EDATA,         /* bad or unreadable input data */
    HS_EIO,           /* an output could not be written */
    HS_EDEP,          /* a library, extension or resource is missing or failed */
    HS_EBUSY,         /* a resource is held by someone else (job lock) */
    HS_ECANCELLED,    /* stopped on request (SIGINT/SIGTERM) */
    HS_EINTERNAL      /* a bug: an invariant did not hold */
} hs_status;

typedef struct hs_error {
    hs_status code;   /* the failure's status; HS_OK when nothing failed */
    char file[512];   /* file the failure is about; "" when none */
    long line;        /* physical line in that file (1-based); 0 when unknown */
    long row;         /* data row (first row after a header = 1); 0 when unknown */
    char what[768];   /* what was found and what was expected */
} hs_error;

/* Short text for a status code ("out of memory", ...). Never NULL; thread-safe. */
const char *hs_status_str(hs_status code);

/* Clear err (code HS_OK, empty strings). err may be NULL. */
void hs_error_clear(hs_error *err);

/* Fill err (when not NULL) with code, file (may be NULL), line and row (0 = unknown) and a
 * printf-style message. Returns code, so callers can write `return hs_error_set(...)`.
 * Thread-safe as long as each thread has its own err. */
hs_status hs_error_set(hs_error *err, hs_status code, const char *file, long line, long row,
                       const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 6, 7)))
#endif
    ;

/* Prefix err->what with more context ("while reading wards: ..."). err may be NULL. */
void hs_error_prefix(hs_error *err, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* Format err as one line: "FILE: row R (line L): WHAT" (parts that are unknown are left
 * out) into buf of size n. Returns buf. */
char *hs_error_format(const hs_error *err, char *buf, size_t n);

#endif
