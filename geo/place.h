/* place.h - the first step of the geocoding cascade: rows that carry coordinates.
 *
 * Coordinates are validated before they are trusted: not NaN, inside the area of use of the
 * job CRS (for geographic sources: longitude/latitude inside it, with a check for swapped
 * latitude and longitude), and transformed with PROJ. Rows that pass are placed with method
 * "coordinates"; rows that fail are marked failed with the reason. Rows without coordinates
 * are left pending for the gazetteer steps.
 */
#ifndef HS_GEO_PLACE_H
#define HS_GEO_PLACE_H

#include "engine/status.h"
#include "geo/incidents.h"
#include "geo/transform.h"

typedef struct hs_place_stats {
    size_t with_coordinates;  /* rows that carried coordinates */
    size_t placed;            /* of those, placed */
    size_t rejected;          /* of those, failed validation or transformation */
    hs_transform_info info;   /* transformation of the first source (for run_info) */
} hs_place_stats;

/* Validate and transform the coordinates of every pending row with coordinates into
 * job_crs. Fails only for a source CRS PROJ does not know (HS_EDEP). Parallel inside PROJ. */
hs_status hs_place_by_coordinates(hs_incidents *t, const char *job_crs, hs_place_stats *stats,
                                  hs_error *err);

#endif
