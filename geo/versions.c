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

const char *hs_version_spatialite(void)
{
    static char version[64];
    if (version[0])
        return version;
    snprintf(version, sizeof version, "not found");
    sqlite3 *db = NULL;
    if (sqlite3_open(":memory:", &db) == SQLITE_OK &&
        sqlite3_enable_load_extension(db, 1) == SQLITE_OK &&
        sqlite3_load_extension(db, "mod_spatialite", NULL, NULL) == SQLITE_OK) {
        sqlite3_stmt *stmt = NULL;
        if (sqlite3_prepare_v2(db, "SELECT spatialite_version()", -1, &stmt, NULL) ==
                SQLITE_OK &&
            sqlite3_step(stmt) == SQLITE_ROW && sqlite3_column_text(stmt, 0))
            snprintf(version, sizeof version, "%s",
                     (const char *)sqlite3_column_text(stmt, 0));
        sqlite3_finalize(stmt);
    }
    sqlite3_close(db);
    return version;
}

char *hs_versions_libraries(char *buf, size_t n)
{
    snprintf(buf, n, "GDAL %s, PROJ %s, GEOS %s, SQLite %s, SpatiaLite %s", hs_version_gdal(),
             hs_version_proj(), hs_version_geos(), hs_version_sqlite(), hs_version_spatialite());
    return buf;
}
