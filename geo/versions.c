/* versions.c - runtime versions of GDAL, PROJ, GEOS and SQLite (not the header versions: the
 * ones actually loaded). */
#include "geo/versions.h"

#include <gdal.h>
#include <geos_c.h>
#include <proj.h>
#include <sqlite3.h>
#include <stdio.h>

const char *hs_version_gdal(void)
{
    return GDALVersionInfo("RELEASE_NAME");
}

const char *hs_version_proj(void)
{
    return proj_info().version;
}

const char *hs_version_geos(void)
{
    return GEOSversion();
}

const char *hs_version_sqlite(void)
{
    return sqlite3_libversion();
}

char *hs_versions_libraries(char *buf, size_t n)
{
    snprintf(buf, n, "GDAL %s, PROJ %s, GEOS %s, SQLite %s", hs_version_gdal(),
             hs_version_proj(), hs_version_geos(), hs_version_sqlite());
    return buf;
}
