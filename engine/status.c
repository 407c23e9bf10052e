/* status.c - status texts and error-detail helpers (formatting only, no I/O). */
#include "engine/status.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *hs_status_str(hs_status code)
{
    switch (code) {
    case HS_OK:
        return "success";
    case HS_ENOMEM:
        return "out of memory";
    case HS_EINVAL:
        return "invalid argument";
    case HS_EDATA:
        return "bad input data";
    case HS_EIO:
        return "output error";
    case HS_EDEP:
        return "missing dependency or resource";
    case HS_EBUSY:
        return "resource busy";
    case HS_ECANCELLED:
        return "cancelled";
    case HS_EINTERNAL:
        return "internal error";
    }
    return "unknown status";
}

void hs_error_clear(hs_error *err)
{
    if (err == NULL)
        return;
    err->code = HS_OK;
    err->file[0] = '\0';
    err->line = 0;
    err->row = 0;
    err->what[0] = '\0';
}

hs_status hs_error_set(hs_error *err, hs_status code, const char *file, long line, long row,
                       const char *fmt, ...)
{
    if (err == NULL)
        return code;
    err->code = code;
    snprintf(err->file, sizeof err->file, "%s", file ? file : "");
    err->line = line;
    err->row = row;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->what, sizeof err->what, fmt, ap);
    va_end(ap);
    return code;
}

void hs_error_prefix(hs_error *err, const char *fmt, ...)
{
    if (err == NULL)
        return;
    char head[256];
    char old[sizeof err->what];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(head, sizeof head, fmt, ap);
    va_end(ap);
    memcpy(old, err->what, sizeof old);
    /* Build "head: old" by hand: truncation of the tail is intended and harmless. */
    size_t hl = strlen(head);
    if (hl > sizeof err->what - 3)
        hl = sizeof err->what - 3;
    memcpy(err->what, head, hl);
    err->what[hl] = ':';
    err->what[hl + 1] = ' ';
    size_t room = sizeof err->what - hl - 3;
    size_t ol = strlen(old);
    if (ol > room)
        ol = room;
    memcpy(err->what + hl + 2, old, ol);
    err->what[hl + 2 + ol] = '\0';
}

char *hs_error_format(const hs_error *err, char *buf, size_t n)
{
    if (n == 0)
        return buf;
    buf[0] = '\0';
    if (err == NULL)
        return buf;
    size_t used = 0;
    int k;
#define HS_APPEND(...)                                                                             \
    do {                                                                                           \
        k = snprintf(buf + used, n - used, __VA_ARGS__);                                           \
        if (k > 0)                                                                                 \
            used = (size_t)k < n - used ? used + (size_t)k : n - 1;                                \
    } while (0)
    if (err->file[0])
        HS_APPEND("%s: ", err->file);
    if (err->row > 0 && err->line > 0)
        HS_APPEND("row %ld (line %ld): ", err->row, err->line);
    else if (err->row > 0)
        HS_APPEND("row %ld: ", err->row);
    else if (err->line > 0)
        HS_APPEND("line %ld: ", err->line);
    HS_APPEND("%s", err->what[0] ? err->what : hs_status_str(err->code));
#undef HS_APPEND
    return buf;
}
