/* versions.h - versions of the libraries hotspot runs on, for --version and run_info. */
#ifndef HS_GEO_VERSIONS_H
#define HS_GEO_VERSIONS_H

#include <stddef.h>

/* Write "GDAL 3.6.2, PROJ 9.1.1, GEOS 3.11.1, SQLite 3.40.1, SpatiaLite 5.0.1" into buf
 * (size n); returns buf. */
char *hs_versions_libraries(char *buf, size_t n);

/* Each library's runtime version string (never NULL). */
const char *hs_version_gdal(void);
const char *hs_version_proj(void);
const char *hs_version_geos(void);
const char *hs_version_sqlite(void);
/* SpatiaLite's version, read by loading mod_spatialite into an in-memory SQLite database
 * (the extension hotspot loads at run time); "not found" when it cannot be loaded. The
 * text is computed once and cached (not thread-safe on the first call). */
const char *hs_version_spatialite(void);

#endif
