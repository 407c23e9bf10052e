/* incidents.h - the incident table that flows through the pipeline, one entry per input row.
 *
 * Columns are parallel arrays (structure of arrays) so that the engine gets plain double
 * arrays and OpenMP loops write only their own slots. Ingest fills the "as read" columns;
 * geocoding, ward assignment and grouping fill the rest. Every input row has an entry, so
 * every row is accounted for: placed, failed (with a reason) or outside the study area.
 * Not thread-safe for appends; later stages write disjoint slots from parallel loops.
 */
#ifndef HS_GEO_INCIDENTS_H
#define HS_GEO_INCIDENTS_H

#include "engine/status.h"
#include "geo/strpool.h"

#include <stddef.h>
#include <stdint.h>

/* How a row was placed; the names are the incidents layer's geocode_method values. */
typedef enum hs_method {
    HS_METHOD_NONE = 0,    /* not placed */
    HS_METHOD_COORDINATES, /* the row's own coordinates */
    HS_METHOD_POSTCODE,    /* a postcode centroid */
    HS_METHOD_STREET,      /* a named street */
    HS_METHOD_PLACE,       /* a named place (village, suburb, POI) */
    HS_METHOD_SNAP_POINT,  /* a police.uk snap point learnt from past files */
    HS_METHOD_FUZZY        /* a fuzzy name match */
} hs_method;

/* Where a row ended up. */
typedef enum hs_row_state {
    HS_ROW_PENDING = 0, /* not yet processed */
    HS_ROW_PLACED,      /* has coordinates in the job CRS and a ward */
    HS_ROW_FAILED,      /* could not be placed: see reason */
    HS_ROW_OUTSIDE      /* placed, but outside every ward (outside the study area) */
} hs_row_state;

/* Name of a method ("coordinates", "postcode", ...); "" for HS_METHOD_NONE. */
const char *hs_method_name(hs_method m);

/* One input file or layer. */
typedef struct hs_source {
    char *path;       /* as given (owned) */
    char *name;       /* file name without folders: the `source` field of outputs (owned) */
    char *crs;        /* CRS of its coordinates, e.g. "EPSG:4326" (owned) */
    char *format;     /* "police.uk", "csv" or the OGR driver name (owned) */
    size_t rows;      /* data rows read from it */
    size_t blank;     /* blank lines skipped (not rows) */
} hs_source;

typedef struct hs_incidents {
    size_t n;                /* rows */
    size_t cap;              /* allocated rows */
    hs_strpool pool;         /* every string column's text */
    hs_source *sources;      /* input files, in reading order */
    size_t nsources;         /* number of sources */
    /* -- as read ------------------------------------------------------------------------ */
    uint32_t *source;        /* index into sources */
    int64_t *source_row;     /* data row in its source, first row after the header = 1 */
    int64_t *source_line;    /* physical line of the row's start in its source (CSV), else 0 */
    size_t *id;              /* incident id (Crime ID; may be empty, e.g. police.uk ASB) */
    size_t *month;           /* YYYY-MM */
    size_t *category;        /* crime type / category text */
    size_t *location;        /* location text ("On or near High Street", an address line) */
    size_t *postcode;        /* postcode as given */
    size_t *lsoa_code;       /* LSOA code (police.uk) */
    size_t *lsoa_name;       /* LSOA name (police.uk) */
    size_t *raw;             /* the raw row text for malformed rows, else empty */
    double *in_x;            /* given x / longitude in the source CRS; NaN when absent */
    double *in_y;            /* given y / latitude in the source CRS; NaN when absent */
    double *weight;          /* harm weight (mapped weight column), 1 when none */
    /* -- filled by later stages -------------------------------------------------------- */
    uint8_t *state;          /* hs_row_state */
    uint8_t *method;         /* hs_method */
    float *score;            /* geocode score 0..1 (1 for coordinates) */
    float *precision_m;      /* expected precision of the position, metres */
    size_t *reason;          /* failure reason text (state FAILED), else empty */
    double *x;               /* easting in the job CRS, metres; NaN until placed */
    double *y;               /* northing in the job CRS, metres; NaN until placed */
    int32_t *ward;           /* index into the ward table; -1 when none */
    uint32_t *groups;        /* bit g set when the row's category belongs to job group g */
} hs_incidents;

/* Initialise an empty table. */
hs_status hs_incidents_init(hs_incidents *t);
/* Free everything; t may be NULL. */
void hs_incidents_free(hs_incidents *t);
/* Add a source; *index receives its index. Strings are copied. */
hs_status hs_incidents_add_source(hs_incidents *t, const char *path, const char *crs,
                                  const char *format, uint32_t *index);
/* Append one empty row (all strings empty, coordinates NaN, state PENDING, ward -1);
 * *row receives its index. */
hs_status hs_incidents_append(hs_incidents *t, uint32_t source, int64_t source_row,
                              int64_t source_line, size_t *row);
/* Set a string column of row i from s[0..len). col points at one of the size_t* columns. */
hs_status hs_incidents_set_str(hs_incidents *t, size_t *col, size_t i, const char *s, size_t len);
/* The text of a string column entry. */
const char *hs_incidents_str(const hs_incidents *t, const size_t *col, size_t i);
/* Mark row i failed with a reason (copied). */
hs_status hs_incidents_fail(hs_incidents *t, size_t i, const char *reason);

/* Counts of rows by state. */
typedef struct hs_incident_counts {
    size_t rows_in;      /* all rows */
    size_t placed;       /* state PLACED */
    size_t failed;       /* state FAILED */
    size_t outside;      /* state OUTSIDE */
    size_t pending;      /* state PENDING (must be 0 after the pipeline) */
    size_t by_method[7]; /* placed rows per hs_method */
} hs_incident_counts;

void hs_incidents_count(const hs_incidents *t, hs_incident_counts *c);
/* placed / (placed + failed); 1 when there is nothing to place. */
double hs_incident_counts_hit_rate(const hs_incident_counts *c);

#endif
