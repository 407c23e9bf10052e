/* log.c - stderr logging for the CLI (see log.h). */
#include "cli/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

static hs_log_level g_level = HS_LOG_NORMAL;
static int g_progress = -1;

void hs_log_set_level(hs_log_level level)
{
    g_level = level;
}

hs_log_level hs_log_get_level(void)
{
    return g_level;
}

void hs_log_set_progress(int mode)
{
    g_progress = mode;
}

int hs_log_progress_enabled(void)
{
    if (g_level == HS_LOG_QUIET)
        return 0;
    if (g_progress >= 0)
        return g_progress;
    return isatty(STDERR_FILENO);
}

static void vlog(hs_log_level min, const char *prefix, const char *fmt, va_list ap)
{
    if (g_level < min)
        return;
    fputs(prefix, stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
}

void hs_log_info(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vlog(HS_LOG_NORMAL, "hotspot: ", fmt, ap);
    va_end(ap);
}

void hs_log_verbose(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vlog(HS_LOG_VERBOSE, "hotspot: ", fmt, ap);
    va_end(ap);
}

void hs_log_warn(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vlog(HS_LOG_NORMAL, "hotspot: warning: ", fmt, ap);
    va_end(ap);
}

void hs_log_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vlog(HS_LOG_QUIET, "hotspot: error: ", fmt, ap);
    va_end(ap);
}

void hs_log_hs_error(const hs_error *err, hs_status st)
{
    char buf[2048];
    if (err && err->code != HS_OK)
        hs_log_error("%s", hs_error_format(err, buf, sizeof buf));
    else
        hs_log_error("%s", hs_status_str(st));
}

double hs_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}
