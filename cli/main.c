/* main.c - the hotspot executable: hands argv to the command table in cli/commands.c. */
#include "cli/commands.h"

int main(int argc, char **argv)
{
    return hs_cli_main(argc, argv);
}
