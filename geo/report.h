/* report.h - the run's report for planners: one self-contained HTML file written beside the
 * GeoPackage, read back from it so that it shows exactly what the run wrote.
 *
 * Contents: per category group a map (inline SVG of the wards coloured by their Getis-Ord Gi*
 * class from wards_<group>, or by their counts when that layer is absent; the kernel density
 * raster kde_<group> as an embedded PNG; hot areas outlined; patrol areas numbered by rank),
 * the patrol areas and top wards as tables, the concentration figures, the geocoding hit rate
 * with its caveat and the top failure reasons, the run parameters and versions. The page
 * needs no network: no external CSS, script, font or image, and a Content-Security-Policy
 * meta tag (default-src 'none'; img-src data:; style-src 'unsafe-inline') makes the browser
 * refuse any. No statistics are computed here: every figure is read from the GeoPackage.
 */
#ifndef HS_GEO_REPORT_H
#define HS_GEO_REPORT_H

#include "engine/status.h"

/* Most category groups a report shows (wards fields n_<group>, in field order). */
#define HS_REPORT_MAX_GROUPS 32

/* Write the HTML report of the GeoPackage gpkg_path (as written by `hotspot run`: layers
 * wards and run_info are required; wards_<group>, grid_<group>, kde_<group>, hotspot_areas,
 * patrol_areas and geocode_failures are used when present) to html_path. title is the page
 * heading (UTF-8, escaped here; NULL = "Hot spot report: <job name>"). The file is written to
 * a temporary sibling and renamed over html_path, so html_path is either the complete new
 * report or the untouched old file.
 * Fails with HS_EINVAL (NULL path), HS_EDATA (the GeoPackage cannot be opened, lacks wards or
 * run_info, or a query on it fails; GDAL's message is copied), HS_EDEP (GDAL lacks the MEM or
 * PNG driver), HS_EIO (html_path cannot be written), HS_ENOMEM.
 * Thread-safety: one call per thread; calls on different files may run at once (GDAL handles
 * and /vsimem/ names are private to the call). */
hs_status hs_report_write(const char *gpkg_path, const char *html_path, const char *title,
                          hs_error *err);

#endif
