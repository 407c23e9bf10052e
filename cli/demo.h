/* demo.h - write the demo district (benchmarks/synth) as the files analysts really get:
 * police.uk monthly CSVs, a council ASB CSV with addresses, ward polygons (GeoPackage),
 * OS Code-Point Open and OS Open Names style gazetteer extracts.
 */
#ifndef HS_CLI_DEMO_H
#define HS_CLI_DEMO_H

#include "benchmarks/synth/synth.h"
#include "engine/status.h"

#include <stdio.h>

/* Make <dir>/generated/ from params unless <dir>/generated/COMPLETE exists. The folder is
 * written under a temporary name and renamed into place, so a half-written set is never
 * used. *made is set to 1 when files were generated (may be NULL). */
hs_status hs_demo_ensure(const char *dir, const hs_synth_params *params, int *made,
                         hs_error *err);

/* Write every file of district d into folder out (created). lonlat holds the district's
 * incident and place coordinates in EPSG:4326 (see hs_demo_lonlat). */
hs_status hs_demo_write(const char *out, const hs_synth_district *d, hs_error *err);

/* Write the police.uk CSV rows of one month (1..12) of d to f, with the header when
 * header is 1. lon/lat of incidents come from inc_lon/inc_lat (EPSG:4326). */
hs_status hs_demo_write_police_month(FILE *f, const hs_synth_district *d, int month,
                                     const double *inc_lon, const double *inc_lat, int header,
                                     hs_error *err);

/* Longitude/latitude of every incident of d (caller frees both arrays). */
hs_status hs_demo_incident_lonlat(const hs_synth_district *d, double **lon, double **lat,
                                  hs_error *err);

#endif
