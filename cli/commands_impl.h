/* commands_impl.h - what command implementations share: the command record, the common
 * options and the exit code of a status. */
#ifndef HS_CLI_COMMANDS_IMPL_H
#define HS_CLI_COMMANDS_IMPL_H

#include "cli/commands.h"
#include "engine/status.h"

#include <stdio.h>

/* argv[0] is the command name; returns the exit code. */
typedef int (*hs_command_fn)(int argc, char **argv);

typedef struct hs_command {
    const char *name;    /* command word */
    const char *summary; /* one line for `hotspot --help` */
    const char *usage;   /* full help */
    hs_command_fn fn;    /* implementation */
} hs_command;

typedef struct hs_common {
    int threads; /* --threads N, 0 = default */
    int help;    /* --help seen */
    int version; /* --version seen */
} hs_common;

const hs_command *hs_find_command(const char *name);
void hs_print_command_help(const hs_command *c, FILE *out);

/* Handle argv[*i] if it is a common option (may consume the next argument):
 * 1 = handled, 0 = not a common option, -1 = bad value (message printed). Thread counts
 * are applied by the caller. */
int hs_common_option(int argc, char **argv, int *i, hs_common *common);

/* Parse the common options among a command's arguments, leaving the rest (positional and
 * command options) in order in argv[1..*argc-1]. Returns -1 on a bad value, 1 when --help
 * was given (help printed), 0 otherwise. Applies --threads. */
int hs_take_common_options(const hs_command *c, int *argc, char **argv);

/* Exit code for a status (DESIGN.md): EINVAL 2, EDATA 3, EIO 4, EDEP/EBUSY 5, others 1. */
int hs_exit_code(hs_status st);

/* The command implementations. */
int hs_cmd_run(int argc, char **argv);
int hs_cmd_gazetteer(int argc, char **argv);
int hs_cmd_geocode(int argc, char **argv);
int hs_cmd_kde(int argc, char **argv);
int hs_cmd_gistar(int argc, char **argv);
int hs_cmd_grid(int argc, char **argv);

#endif
