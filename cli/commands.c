/* commands.c - the command table (placeholder until the skeleton lands). */
#include "cli/commands.h"

#include <stdio.h>

int hs_cli_main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "hotspot: not built yet\n");
    return HS_EXIT_INTERNAL;
}
