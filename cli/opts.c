/* opts.c - option helpers (see opts.h). */
#include "cli/opts.h"

#include "cli/log.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

int hs_opt_value(int argc, char **argv, int *i, const char *name, const char **value)
{
    const char *a = argv[*i];
    size_t n = strlen(name);
    if (strncmp(a, name, n) != 0)
        return 0;
    if (a[n] == '=') {
        *value = a + n + 1;
        return 1;
    }
    if (a[n] != '\0')
        return 0;
    if (*i + 1 >= argc) {
        hs_log_error("option %s needs a value", name);
        return -1;
    }
    *value = argv[++*i];
    return 1;
}

int hs_opt_number(const char *name, const char *text, double *out)
{
    char *end;
    errno = 0;
    double d = strtod(text, &end);
    if (end == text || *end != '\0' || errno == ERANGE || !isfinite(d)) {
        hs_log_error("option %s: '%s' is not a number", name, text);
        return 0;
    }
    *out = d;
    return 1;
}
