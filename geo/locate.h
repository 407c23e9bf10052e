/* locate.h - the gazetteer steps of the geocoding cascade over a whole incident table.
 *
 * Rows still pending after hs_place_by_coordinates (no coordinates), and rows whose given
 * coordinates were rejected (swapped, not a number, outside the CRS's area), are geocoded
 * from their text (police.uk location + LSOA, or address + postcode) with geo/geocode.h, in
 * parallel: one geocoder (gazetteer connection and cache) per OpenMP thread. Results are
 * byte-identical at any thread count (the geocoder's results depend only on the query).
 * Rows that stay unplaced are marked failed with the reason; a rejected-coordinates row
 * keeps that reason followed by the text step's.
 */
#ifndef HS_GEO_LOCATE_H
#define HS_GEO_LOCATE_H

#include "engine/status.h"
#include "geo/incidents.h"

#include <stddef.h>

typedef struct hs_locate_stats {
    size_t attempted;   /* rows sent to the geocoder */
    size_t placed;      /* of those, placed */
    size_t failed;      /* of those, not placed */
    size_t cache_hits;  /* answered from the geocoders' caches */
    size_t by_method[7];/* placed rows per hs_method */
} hs_locate_stats;

/* Optional callbacks of a long geocoding pass. */
typedef struct hs_locate_hooks {
    int (*cancelled)(void);                 /* nonzero: stop (HS_ECANCELLED); any thread */
    void (*progress)(void *user, size_t n); /* n more rows geocoded; any thread */
    void *user;                             /* passed to progress */
} hs_locate_hooks;

/* Geocode the table's pending and rejected-coordinates rows with the gazetteer at
 * gazetteer_path (NULL or "": none; such rows fail with "no coordinates and no gazetteer
 * configured"), placing them in job_crs (the gazetteer is in EPSG:27700; other job CRSs are
 * reached with PROJ). Every row leaves this function PLACED or FAILED (or as it came, when
 * already placed or failed for another reason). Fails with the gazetteer's HS_EDATA (wrong or
 * unreadable file), HS_EDEP, HS_ENOMEM, HS_ECANCELLED. hooks may be NULL. */
hs_status hs_locate_by_text(hs_incidents *t, const char *gazetteer_path, const char *job_crs,
                            const hs_locate_hooks *hooks, hs_locate_stats *stats, hs_error *err);

/* 1 when a failed row's reason says its coordinates were unusable (the text may place it). */
int hs_locate_is_retryable(const char *reason);

#endif
