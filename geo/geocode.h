/* geocode.h - place one incident from its text: the geocoder cascade over a gazetteer.
 *
 * The cascade, most precise first (the first step that places the row wins):
 *   0. coordinates given: handled by the caller (geo/transform), never reaches this module;
 *   1. snap point of the same LSOA: the location text ("On or near Supermarket") learnt from
 *      past police.uk files for the row's LSOA code. police.uk publishes its incidents at
 *      these very points, so for police rows with text and LSOA nothing is more precise;
 *   2. postcode: the postcode field, then a postcode found inside the address, then one
 *      inside the location text (normalised, checked against the UK format);
 *   3. exact street or place name: the location text, then each comma-separated part of the
 *      location text and of the address with house numbers removed. Candidates are narrowed
 *      by locality (the query's locality, else the district of its LSOA name) when any
 *      matches, then by the area: the nearest candidate to the area centre, if within the
 *      area's reach. Without an area, candidates spread over more than same_street_m are
 *      ambiguous; closer ones are sections of one road;
 *   4. snap point of another LSOA with the same text, within snap_other_max_m of the LSOA
 *      centre (a street that crosses an LSOA boundary);
 *   5. fuzzy: streets, places and snap points within the area's reach whose normalised name
 *      scores at least fuzzy_min_score (hs_name_similarity: Jaro-Winkler, 0 when the street
 *      types differ). Needs an area;
 *   6. failure, with the reason of the most specific input the row had: "no location",
 *      postcode reasons for rows with a postcode, else the street reason.
 * The area: the caller's hint point (reach hint_radius_m) or else the LSOA's learnt centre
 * (reach = the LSOA's radius + lsoa_margin_m).
 *
 * Scores (0..1): snap point of the LSOA = the share of its learnt incidents at the chosen
 * point (1 when the text has one point there); postcode 1 (field) or 0.95 (found in free
 * text); street/place 1 for a single candidate, 0.95 for sections of one road, 0.9 when
 * the locality chose among several, 0.8 when proximity did; snap point of another LSOA 0.6;
 * fuzzy = the similarity. Precision (m) is the gazetteer entry's (gazetteer.h), widened by
 * the spread of alternatives that were merged.
 *
 * Threads: a geocoder owns one gazetteer connection and a cache; it is not thread-safe.
 * Create one per thread. Results depend only on the query, never on the cache or thread.
 */
#ifndef HS_GEO_GEOCODE_H
#define HS_GEO_GEOCODE_H

#include "engine/status.h"
#include "geo/gazetteer.h"
#include "geo/incidents.h"
#include "geo/normalize.h"

#include <stddef.h>

typedef struct hs_geocode_params {
    double hint_radius_m;    /* reach around a caller's hint point (default 2000) */
    double lsoa_margin_m;    /* reach beyond an LSOA's learnt radius (default 1000) */
    double snap_other_max_m; /* step 4: max distance from the LSOA centre (default 500) */
    double same_street_m;    /* candidates closer than this are one road (default 1000) */
    double fuzzy_min_score;  /* step 5: lowest similarity accepted (default 0.9) */
    size_t cache_entries;    /* results remembered per geocoder; 0 = no cache (default
                                32768, about 6 MB) */
} hs_geocode_params;

/* Fill p with the defaults above. */
void hs_geocode_params_default(hs_geocode_params *p);

/* One row to place. Strings may be NULL or empty (= absent); they are UTF-8. */
typedef struct hs_geocode_query {
    const char *location;  /* police.uk "On or near X", a street or place name, or an
                              address line */
    const char *address;   /* free-text address ("12 High Street, Canterbury CT1 2JE") */
    const char *postcode;  /* postcode as given */
    const char *lsoa_code; /* LSOA code (police.uk), e.g. "E01024048" */
    const char *lsoa_name; /* LSOA name, e.g. "Canterbury 012H": its district is a locality */
    const char *locality;  /* town, village or district hint; overrides the LSOA's district */
    int has_hint;          /* 1 when hint_x_m, hint_y_m hold a point the row is near */
    double hint_x_m;       /* hint easting, EPSG:27700 */
    double hint_y_m;       /* hint northing, EPSG:27700 */
} hs_geocode_query;

/* Why a row could not be placed. */
typedef enum hs_geocode_reason {
    HS_GEOCODE_PLACED = 0,         /* not a failure */
    HS_GEOCODE_NO_LOCATION,        /* no text, postcode or address ("No Location") */
    HS_GEOCODE_INVALID_TEXT,       /* text is not valid UTF-8 */
    HS_GEOCODE_TEXT_TOO_LONG,      /* a name longer than HS_NAME_SIZE - 1 bytes */
    HS_GEOCODE_INVALID_POSTCODE,   /* the postcode field is not a UK postcode */
    HS_GEOCODE_POSTCODE_NOT_FOUND, /* a valid postcode the gazetteer lacks */
    HS_GEOCODE_STREET_NOT_FOUND,   /* no street, place or snap point of that name */
    HS_GEOCODE_STREET_TOO_FAR,     /* the name exists, but only beyond the area's reach */
    HS_GEOCODE_AMBIGUOUS           /* several far-apart places of that name, no way to choose */
} hs_geocode_reason;

/* Text of a reason ("no location", "postcode not in gazetteer", ...): the geocode_failures
 * reason field. "" for HS_GEOCODE_PLACED. Never NULL. */
const char *hs_geocode_reason_str(hs_geocode_reason r);

typedef struct hs_geocode_result {
    double x_m;                 /* easting, EPSG:27700; NaN when not placed */
    double y_m;                 /* northing, EPSG:27700; NaN when not placed */
    hs_method method;           /* how it was placed; HS_METHOD_NONE when not */
    double score;               /* confidence 0..1 (see the file comment); 0 when not placed */
    double precision_m;         /* expected distance to the true place; NaN when not placed */
    hs_geocode_reason reason;   /* HS_GEOCODE_PLACED, or why not */
    char matched[HS_NAME_SIZE]; /* the gazetteer name or postcode used; "" when not placed */
} hs_geocode_result;

/* A geocoder: one gazetteer connection, a result cache, work buffers. */
typedef struct hs_geocoder hs_geocoder;

/* Open the gazetteer at path for this geocoder; p may be NULL (defaults). Fails with the
 * errors of hs_gazetteer_open, HS_EINVAL (a parameter out of range) or HS_ENOMEM. */
hs_status hs_geocoder_create(const char *gazetteer_path, const hs_geocode_params *p,
                             hs_geocoder **out, hs_error *err);
/* Free a geocoder; NULL does nothing. */
void hs_geocoder_destroy(hs_geocoder *gc);

/* Place one row. A row that cannot be placed is not an error: the call returns HS_OK with
 * r->reason set. Equal queries give byte-identical results (r is zeroed before filling, so
 * memcmp works), whatever the cache holds. Fails with HS_EDATA only when the gazetteer
 * cannot be read (err says why); r then holds no placement. */
hs_status hs_geocode_one(hs_geocoder *gc, const hs_geocode_query *q, hs_geocode_result *r,
                         hs_error *err);

/* Counters since creation: rows geocoded and rows answered from the cache. */
void hs_geocoder_stats(const hs_geocoder *gc, size_t *rows, size_t *cache_hits);

#endif
