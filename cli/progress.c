/* progress.c - per-stage progress bar or stage line on stderr (see progress.h).
 *
 * The bar is redrawn in place: "\r", the text, then "ESC [ K" (erase to the end of the
 * line, ECMA-48 EL), so the old text never flashes blank. Rate = rows done / seconds since
 * begin; ETA = rows left / rate.
 */
#include "cli/progress.h"

#include "cli/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define HS_PROGRESS_GRACE_S    0.2 /* no bar before a stage has run this long */
#define HS_PROGRESS_INTERVAL_S 0.1 /* at most 10 redraws a second */
#define HS_PROGRESS_MAX_WIDTH  200 /* widest bar line drawn, columns */

static double (*g_clock)(void) = hs_now;

void hs_progress_set_clock(double (*clock_fn)(void))
{
    g_clock = clock_fn ? clock_fn : hs_now;
}

char *hs_progress_format_count(size_t n, char *buf, size_t n_buf)
{
    char digits[32];
    int len = snprintf(digits, sizeof digits, "%zu", n);
    char tmp[48];
    size_t o = 0;
    for (int i = 0; i < len; i++) {
        if (i > 0 && (len - i) % 3 == 0)
            tmp[o++] = ',';
        tmp[o++] = digits[i];
    }
    tmp[o] = '\0';
    snprintf(buf, n_buf, "%s", tmp);
    return buf;
}

void hs_progress_begin(hs_progress *p, const char *stage, size_t total)
{
    snprintf(p->stage, sizeof p->stage, "%s", stage ? stage : "");
    p->total = total;
    atomic_init(&p->done, 0);
    if (hs_log_get_level() == HS_LOG_QUIET)
        p->mode = HS_PROGRESS_OFF;
    else
        p->mode = hs_log_progress_enabled() ? HS_PROGRESS_BAR : HS_PROGRESS_LINE;
    p->bar_shown = 0;
    p->t_start = g_clock();
    p->t_drawn = p->t_start;
    p->owner = pthread_self();
}

void hs_progress_add(hs_progress *p, size_t n)
{
    atomic_fetch_add_explicit(&p->done, n, memory_order_relaxed);
}

double hs_progress_elapsed(const hs_progress *p)
{
    return g_clock() - p->t_start;
}

/* Columns of the terminal on stderr; COLUMNS or 80 when unknown. */
static size_t terminal_width(void)
{
    struct winsize ws;
    if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
        return ws.ws_col;
    const char *env = getenv("COLUMNS");
    long c = env ? strtol(env, NULL, 10) : 0;
    return c > 0 ? (size_t)c : 80;
}

/* "M:SS" or "H:MM:SS" for s seconds; "--:--" when unknown or absurd. */
static void format_eta(double s, char *buf, size_t n)
{
    if (!(s >= 0.0) || s > 359999.0) {
        snprintf(buf, n, "--:--");
        return;
    }
    int t = (int)(s + 0.5);
    if (t >= 3600)
        snprintf(buf, n, "%d:%02d:%02d", t / 3600, t / 60 % 60, t % 60);
    else
        snprintf(buf, n, "%d:%02d", t / 60, t % 60);
}

/* Rows per second, rounded; 0 when no time has passed. */
static size_t rate_of(size_t done, double elapsed)
{
    return elapsed > 0.0 ? (size_t)((double)done / elapsed + 0.5) : 0;
}

/* The bar line (without "\r" and the erase sequence) for width columns. */
static void render(const hs_progress *p, size_t done, double elapsed, size_t width, char *out,
                   size_t n)
{
    char sdone[32], stotal[32], srate[32], eta[32], tail[160];
    hs_progress_format_count(done, sdone, sizeof sdone);
    hs_progress_format_count(rate_of(done, elapsed), srate, sizeof srate);
    if (p->total == 0) {
        snprintf(out, n, "%s  %s rows  %s rows/s", p->stage, sdone, srate);
        return;
    }
    size_t shown = done < p->total ? done : p->total;
    double frac = (double)shown / (double)p->total;
    double rate = elapsed > 0.0 ? (double)done / elapsed : 0.0;
    format_eta(rate > 0.0 ? (double)(p->total - shown) / rate : -1.0, eta, sizeof eta);
    hs_progress_format_count(p->total, stotal, sizeof stotal);
    snprintf(tail, sizeof tail, "%3d%%  %s/%s rows  %s rows/s  ETA %s", (int)(frac * 100.0), sdone,
             stotal, srate, eta);
    /* "stage [bar] tail": the bar takes what is left of the line, at least 10 columns. */
    size_t fixed = strlen(p->stage) + strlen(tail) + 4;
    size_t bar = width > fixed + 10 ? width - fixed - 1 : 0;
    if (bar > 50)
        bar = 50;
    if (bar == 0) {
        snprintf(out, n, "%s %s", p->stage, tail);
        return;
    }
    char cells[64];
    size_t full = (size_t)(frac * (double)bar);
    for (size_t i = 0; i < bar; i++)
        cells[i] = i < full ? '#' : '-';
    cells[bar] = '\0';
    snprintf(out, n, "%s [%s] %s", p->stage, cells, tail);
}

void hs_progress_draw(hs_progress *p)
{
    if (p->mode != HS_PROGRESS_BAR || !pthread_equal(pthread_self(), p->owner))
        return;
    double now = g_clock();
    if (now - p->t_start < HS_PROGRESS_GRACE_S)
        return;
    if (p->bar_shown && now - p->t_drawn < HS_PROGRESS_INTERVAL_S)
        return;
    size_t width = terminal_width();
    if (width > HS_PROGRESS_MAX_WIDTH)
        width = HS_PROGRESS_MAX_WIDTH;
    char line[HS_PROGRESS_MAX_WIDTH + 64];
    size_t done = atomic_load_explicit(&p->done, memory_order_relaxed);
    render(p, done, now - p->t_start, width, line, sizeof line);
    /* Keep one column free so the terminal never wraps the line. */
    if (width > 1 && strlen(line) > width - 1)
        line[width - 1] = '\0';
    fprintf(stderr, "\r%s\033[K", line);
    fflush(stderr);
    p->t_drawn = now;
    p->bar_shown = 1;
}

void hs_progress_clear(hs_progress *p)
{
    if (!p->bar_shown || !pthread_equal(pthread_self(), p->owner))
        return;
    fputs("\r\033[K", stderr);
    fflush(stderr);
    p->bar_shown = 0;
}

void hs_progress_end(hs_progress *p, const char *fmt, ...)
{
    hs_progress_clear(p);
    if (p->mode == HS_PROGRESS_OFF)
        return;
    double elapsed = hs_progress_elapsed(p);
    size_t done = atomic_load_explicit(&p->done, memory_order_relaxed);
    char sdone[32], srate[32], rate[64] = "", detail[512] = "";
    hs_progress_format_count(done, sdone, sizeof sdone);
    if (elapsed >= 0.01) /* a rate over a few milliseconds says nothing */
        snprintf(rate, sizeof rate, " (%s rows/s)",
                 hs_progress_format_count(rate_of(done, elapsed), srate, sizeof srate));
    if (fmt != NULL) {
        va_list ap;
        va_start(ap, fmt);
        detail[0] = ',';
        detail[1] = ' ';
        vsnprintf(detail + 2, sizeof detail - 2, fmt, ap);
        va_end(ap);
    }
    hs_log_info("%s: %s rows in %.2f s%s%s", p->stage, sdone, elapsed, rate, detail);
}
