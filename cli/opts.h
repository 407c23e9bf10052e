/* opts.h - small helpers for parsing command options ("--name VALUE" or "--name=VALUE"). */
#ifndef HS_CLI_OPTS_H
#define HS_CLI_OPTS_H

/* If argv[*i] is option `name` (e.g. "--radius" or "-o"), set *value to its argument (the
 * next argv entry, consumed, or the text after '='), and return 1; return 0 when it is not
 * that option; return -1 (message printed) when the argument is missing. */
int hs_opt_value(int argc, char **argv, int *i, const char *name, const char **value);

/* Parse a number for option `name`: returns 1 and sets *out, or prints
 * "option NAME: 'TEXT' is not a number" and returns 0. */
int hs_opt_number(const char *name, const char *text, double *out);

#endif
