/* commands.h - the hotspot command table: parsing, dispatch and --help of every command. */
#ifndef HS_CLI_COMMANDS_H
#define HS_CLI_COMMANDS_H

/* Exit codes of DESIGN.md; documented in README.md and never renumbered. */
enum {
    HS_EXIT_OK = 0,           /* success */
    HS_EXIT_INTERNAL = 1,     /* internal error */
    HS_EXIT_USAGE = 2,        /* usage or job file */
    HS_EXIT_INPUT = 3,        /* input data */
    HS_EXIT_OUTPUT = 4,       /* output */
    HS_EXIT_DEPENDENCY = 5,   /* missing dependency or resource (also: job already running) */
    HS_EXIT_LOW_HIT_RATE = 6  /* output written, but the geocoding hit rate is below minimum */
};

/* Run the hotspot command line; returns the process exit code. */
int hs_cli_main(int argc, char **argv);

#endif
