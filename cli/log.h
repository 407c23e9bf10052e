/* log.h - logging and progress on stderr for the CLI.
 *
 * Levels: quiet (errors only), normal, verbose. Progress bars are drawn only when stderr is
 * a terminal and progress is on; otherwise each stage logs one line with counts and seconds.
 * Only the main thread logs. */
#ifndef HS_CLI_LOG_H
#define HS_CLI_LOG_H

#include "engine/status.h"

#include <stddef.h>

typedef enum hs_log_level {
    HS_LOG_QUIET = 0,   /* errors only */
    HS_LOG_NORMAL = 1,  /* stage lines and the summary */
    HS_LOG_VERBOSE = 2  /* details */
} hs_log_level;

void hs_log_set_level(hs_log_level level);
hs_log_level hs_log_get_level(void);
/* -1 = automatic (on when stderr is a terminal), 0 = off, 1 = on. */
void hs_log_set_progress(int mode);
int hs_log_progress_enabled(void);

void hs_log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void hs_log_verbose(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void hs_log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void hs_log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Print "hotspot: error: <formatted err>" to stderr. */
void hs_log_hs_error(const hs_error *err, hs_status st);

/* Seconds since an arbitrary start (monotonic). */
double hs_now(void);

#endif
