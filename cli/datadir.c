/* datadir.c - locate the data folder (see datadir.h). */
#include "cli/datadir.h"

#include "cli/fsutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char g_dir[4300];

static int has_styles(const char *dir)
{
    char probe[4400];
    snprintf(probe, sizeof probe, "%s/styles", dir);
    return hs_path_exists(probe);
}

const char *hs_data_dir(void)
{
    if (g_dir[0])
        return g_dir;
    const char *env = getenv("HOTSPOT_DATA_DIR");
    if (env && env[0]) {
        snprintf(g_dir, sizeof g_dir, "%s", env);
        return g_dir;
    }
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash) {
            *slash = '\0';
            char cand[4120];
            snprintf(cand, sizeof cand, "%s/../share/hotspot", exe);
            if (has_styles(cand)) {
                snprintf(g_dir, sizeof g_dir, "%s", cand);
                return g_dir;
            }
        }
    }
    if (has_styles(HS_DATA_SOURCE_DIR))
        snprintf(g_dir, sizeof g_dir, "%s", HS_DATA_SOURCE_DIR);
    else
        snprintf(g_dir, sizeof g_dir, "%s", HS_DATA_INSTALL_DIR);
    return g_dir;
}
