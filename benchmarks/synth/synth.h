/* synth.h - seeded generator of a Canterbury-like district, for the demo job, tests and
 * benchmarks at any scale.
 *
 * Everything is in EPSG:27700 metres. The district is a square (default E 605000-625000,
 * N 148000-168000) tiled by wards_x * wards_y ward polygons with shared, irregular borders
 * (denser, smaller wards in the centre); streets, named places (police.uk style POIs) and
 * postcodes lie inside the wards; a year of incidents sits on "snap points" (streets and
 * POIs) as police.uk anonymises them, with planted concentrations: night-time violence in
 * the centre and anti-social behaviour around two estates, over a background everywhere.
 * Some rows have no coordinates (only location text, or "No Location"), a few are malformed
 * or outside the district, and council ASB reports carry addresses and postcodes only.
 * Pure computation: no I/O (the CLI's demo writer turns this into files). Deterministic for
 * a given seed. Not thread-safe per object.
 */
#ifndef HS_SYNTH_H
#define HS_SYNTH_H

#include "engine/status.h"

#include <stddef.h>
#include <stdint.h>

typedef struct hs_synth_params {
    uint64_t seed;              /* generator seed */
    double xmin_m, ymin_m;      /* south-west corner of the district */
    double size_m;              /* side of the district square */
    int wards_x, wards_y;       /* ward lattice (wards = wards_x * wards_y) */
    int year;                   /* year of the incidents */
    size_t incidents_per_year;  /* police.uk rows in the district per year (approximate) */
    size_t council_rows;        /* council ASB report rows per year */
    double no_location_share;   /* share of "No Location" police rows */
    double text_only_share;     /* share of police rows with location text but no coordinates */
    double outside_share;       /* share of police rows in neighbouring districts */
    size_t malformed_per_month; /* malformed police rows per monthly file */
} hs_synth_params;

/* Defaults: the Canterbury-like demo (20 wards, ~20,000 police rows, 1,500 council rows). */
void hs_synth_params_default(hs_synth_params *p);

typedef struct hs_synth_ward {
    char code[32];        /* ward code, E05099xxx */
    char name[48];        /* ward name */
    double population;    /* residents */
    double *ring_x;       /* closed outer ring, first point repeated at the end */
    double *ring_y;       /* ring y */
    size_t nring;         /* ring points including the repeated one */
} hs_synth_ward;

typedef enum hs_synth_place_kind {
    HS_SYNTH_STREET,     /* a named street */
    HS_SYNTH_POI,        /* a police.uk generic place ("Supermarket", "Nightclub") */
    HS_SYNTH_SETTLEMENT  /* a town or village (populated place) */
} hs_synth_place_kind;

typedef struct hs_synth_place {
    char name[64];          /* "Church Road", "Nightclub", "Whitstable" */
    char locality[48];      /* town or village it belongs to */
    char district_ward[48]; /* ward name it lies in */
    int kind;               /* hs_synth_place_kind */
    int ward;               /* ward index */
    int lsoa;               /* LSOA index */
    double x, y;            /* representative point (street mid-point, POI) */
    double xmin, ymin, xmax, ymax; /* extent (street bounding box) */
} hs_synth_place;

typedef struct hs_synth_postcode {
    char code[9];         /* "CT1 2AB" */
    int place;            /* street it lies on */
    double x, y;          /* centroid */
} hs_synth_postcode;

typedef struct hs_synth_lsoa {
    char code[32];        /* E01099xxx */
    char name[48];        /* "Canterbury 004B" */
    int ward;             /* ward it lies in */
} hs_synth_lsoa;

/* Kinds of police.uk rows. */
typedef enum hs_synth_row_kind {
    HS_SYNTH_ROW_NORMAL,        /* coordinates + "On or near" text */
    HS_SYNTH_ROW_TEXT_ONLY,     /* text and LSOA, coordinates blank */
    HS_SYNTH_ROW_NO_LOCATION,   /* "No Location", nothing else */
    HS_SYNTH_ROW_OUTSIDE,       /* in a neighbouring district (outside every ward) */
    HS_SYNTH_ROW_RAGGED,        /* malformed: fields missing */
    HS_SYNTH_ROW_BAD_NUMBER,    /* malformed: longitude is not a number */
    HS_SYNTH_ROW_SWAPPED,       /* malformed: latitude and longitude swapped */
    HS_SYNTH_ROW_BAD_UTF8       /* location text with invalid UTF-8 (still placeable) */
} hs_synth_row_kind;

typedef struct hs_synth_incident {
    double x, y;        /* true position (the snap point), metres */
    int32_t place;      /* snap place index */
    uint8_t month;      /* 1..12 */
    uint8_t category;   /* index into hs_synth_categories */
    uint8_t kind;       /* hs_synth_row_kind */
    uint8_t planted;    /* 0 background, 1 night-time violence, 2 estate A ASB, 3 estate B */
} hs_synth_incident;

/* Kinds of council rows. */
typedef enum hs_synth_council_kind {
    HS_SYNTH_COUNCIL_POSTCODE,          /* address + postcode column */
    HS_SYNTH_COUNCIL_POSTCODE_IN_TEXT,  /* postcode only inside the address */
    HS_SYNTH_COUNCIL_STREET_ONLY,       /* street and locality, no postcode */
    HS_SYNTH_COUNCIL_TYPO,              /* misspelt street, no postcode */
    HS_SYNTH_COUNCIL_UNKNOWN            /* an address no gazetteer knows */
} hs_synth_council_kind;

typedef struct hs_synth_council_row {
    double x, y;        /* true position (postcode or street point) */
    int32_t place;      /* street */
    int32_t postcode;   /* postcode index or -1 */
    uint8_t month;      /* 1..12 */
    uint8_t day;        /* 1..28 */
    uint8_t kind;       /* hs_synth_council_kind */
    uint16_t house;     /* house number */
} hs_synth_council_row;

typedef struct hs_synth_district {
    hs_synth_params params;      /* what made it */
    hs_synth_ward *wards;        /* wards */
    size_t nwards;               /* count */
    hs_synth_lsoa *lsoas;        /* LSOAs (4 per ward) */
    size_t nlsoas;               /* count */
    hs_synth_place *places;      /* streets, POIs, settlements */
    size_t nplaces;              /* count */
    hs_synth_postcode *postcodes;/* postcodes */
    size_t npostcodes;           /* count */
    hs_synth_incident *incidents;/* police.uk rows, sorted by month */
    size_t nincidents;           /* count */
    hs_synth_council_row *council; /* council ASB reports, sorted by month */
    size_t ncouncil;             /* count */
    double centre_x, centre_y;   /* the night-time economy centre */
} hs_synth_district;

/* The police.uk crime types, in the order used by hs_synth_incident.category. */
extern const char *const hs_synth_categories[];
extern const size_t hs_synth_ncategories;

/* Generate a district. Fails with HS_EINVAL for bad parameters, HS_ENOMEM. */
hs_status hs_synth_generate(const hs_synth_params *p, hs_synth_district **out, hs_error *err);
/* Free a district; d may be NULL. */
void hs_synth_free(hs_synth_district *d);

/* A deterministic 64-hex-character pseudo Crime ID for incident i (police.uk style). */
void hs_synth_crime_id(const hs_synth_district *d, size_t i, char out[65]);

#endif
