/* progress.h - progress of one stage of a run, on stderr.
 *
 * Three behaviours, chosen at hs_progress_begin from cli/log.h:
 *  - bar  (hs_log_progress_enabled(): stderr is a terminal, or --progress): a one-line bar
 *         with rows, percent, rate and ETA, redrawn at most 10 times a second and only once
 *         the stage has run for 0.2 s (fast stages do not flicker), cleared at the end;
 *  - line (not a terminal, e.g. cron, or --no-progress): nothing while the stage runs;
 *  - off  (-q): nothing at all.
 * In bar and line mode hs_progress_end writes one line:
 *   "hotspot: geocode: 3,861 rows in 1.25 s (3,089 rows/s), placed 3,700"
 * so a cron log has one line per stage with counts and seconds, and a terminal keeps the
 * same record once the bar is gone.
 *
 * Threads: hs_progress_add is an atomic add, callable from any thread (add per block of
 * rows, not per row, to keep the counter's cache line quiet). hs_progress_draw draws only
 * when called by the thread that called hs_progress_begin (elsewhere it does nothing), so it
 * may be called inside an OpenMP loop. Never writes to stdout (results go there).
 */
#ifndef HS_CLI_PROGRESS_H
#define HS_CLI_PROGRESS_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>

typedef enum hs_progress_mode {
    HS_PROGRESS_OFF = 0, /* -q: print nothing */
    HS_PROGRESS_LINE,    /* one line when the stage ends */
    HS_PROGRESS_BAR      /* a live bar, then the line */
} hs_progress_mode;

typedef struct hs_progress {
    char stage[32];        /* stage name, e.g. "geocode" */
    size_t total;          /* rows expected; 0 = unknown (no percent, no ETA) */
    atomic_size_t done;    /* rows done so far (hs_progress_add) */
    hs_progress_mode mode; /* chosen at begin */
    int bar_shown;         /* 1 while a bar is on the screen */
    double t_start;        /* clock at begin, seconds */
    double t_drawn;        /* clock at the last redraw, seconds */
    pthread_t owner;       /* the thread that may draw */
} hs_progress;

/* Start a stage: total rows expected (0 = unknown). stage is copied (cut at 31 bytes).
 * Reads the log level and progress setting once. Main thread. */
void hs_progress_begin(hs_progress *p, const char *stage, size_t total);

/* Add n rows done. Atomic; any thread. */
void hs_progress_add(hs_progress *p, size_t n);

/* Redraw the bar if in bar mode, called by the owner, the stage has run 0.2 s and the last
 * redraw is 0.1 s old; otherwise returns at once (one atomic load and a clock read). */
void hs_progress_draw(hs_progress *p);

/* Remove the bar from the screen (before logging a message mid-stage); the next
 * hs_progress_draw puts it back. Owner thread. */
void hs_progress_clear(hs_progress *p);

/* End the stage: clear the bar and, unless off, write the stage line; fmt (may be NULL)
 * adds details after the counts ("placed %zu, failed %zu"). Owner thread. */
void hs_progress_end(hs_progress *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Seconds elapsed since hs_progress_begin. */
double hs_progress_elapsed(const hs_progress *p);

/* Replace the clock (seconds, monotonic) for tests; NULL restores hs_now. Process-wide;
 * not for use while stages run. */
void hs_progress_set_clock(double (*clock_fn)(void));

/* Format n with thousands separators ("12,345") into buf (size n_buf >= 27). Returns buf. */
char *hs_progress_format_count(size_t n, char *buf, size_t n_buf);

#endif
