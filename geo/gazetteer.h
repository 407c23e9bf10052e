/* gazetteer.h - the geocoding gazetteer: one SQLite file of postcodes, named streets and
 * places, and police.uk snap points, with indexed lookups.
 *
 * Built by `hotspot gazetteer build` from the files analysts have:
 *   postcodes    OS Code-Point Open (headerless CSV, or with its "Postcode,..." / "PC,..."
 *                header line) or the ONS Postcode Directory (header with pcds, oseast1m,
 *                osnrth1m; osgrdind used when present);
 *   streets      OS Open Names (34 columns, headerless or with its "ID,NAMES_URI,..." header,
 *                UTF-8 BOM allowed): roads become streets, postcodes go to the postcode table,
 *                every other named feature becomes a place; NAME2 (the Welsh or Gaelic name)
 *                is stored as a second name of the same point;
 *   snap points  past police.uk street-level CSVs: "On or near X" + LSOA -> the coordinates
 *                police.uk published, counted per point; each LSOA's centre (mean of its
 *                learnt points) and radius (farthest learnt point from that centre) are kept
 *                for geocoding rows that carry only an LSOA.
 * Coordinates are stored in EPSG:27700 metres (police.uk lon/lat are transformed with PROJ,
 * network off). Names are stored normalised by hs_name_normalize (normalize.h).
 *
 * Storage: plain SQLite with B-tree indexes on the normalised name, postcode and LSOA code,
 * and SQLite's built-in R*Tree module (no SpatiaLite) for "named points near (x, y)". The
 * geocoder needs only boxes and planar distances in metres, which R*Tree and C give; loading
 * mod_spatialite on every per-thread connection would cost start-up time for nothing.
 *
 * Schema identification: PRAGMA application_id = HS_GAZETTEER_APPLICATION_ID, PRAGMA
 * user_version and meta.schema_version = HS_GAZETTEER_SCHEMA_VERSION. A `sources` table
 * records every input (kind, format, path, bytes, FNV-1a 64 checksum, row counts).
 *
 * Threads: a hs_gazetteer is one read-only connection with its prepared statements; use one
 * per thread. hs_gazetteer_build is single-threaded (PROJ work inside is parallel).
 */
#ifndef HS_GEO_GAZETTEER_H
#define HS_GEO_GAZETTEER_H

#include "engine/status.h"
#include "geo/normalize.h"

#include <stddef.h>
#include <stdint.h>

/* 'HSGZ': marks a SQLite file as a hotspot gazetteer. */
#define HS_GAZETTEER_APPLICATION_ID 0x4853475A
/* Version of the tables and their meaning; opening another version fails with HS_EDATA. */
#define HS_GAZETTEER_SCHEMA_VERSION 1
/* Bad rows kept in a report with their detail; more are only counted. */
#define HS_GAZETTEER_MAX_ISSUES 10000

/* ---- building --------------------------------------------------------------------------- */

/* What an input file provides (the `gazetteer build` flag it came from). */
typedef enum hs_gazetteer_input_kind {
    HS_GAZ_INPUT_POSTCODES = 1, /* --postcodes: Code-Point Open or ONS Postcode Directory */
    HS_GAZ_INPUT_STREETS,       /* --streets: OS Open Names */
    HS_GAZ_INPUT_SNAP_POINTS    /* --snap-points: police.uk street-level CSV */
} hs_gazetteer_input_kind;

typedef struct hs_gazetteer_input {
    hs_gazetteer_input_kind kind; /* what the file is given as */
    const char *path;             /* the file */
} hs_gazetteer_input;

/* Per-input counts of a build. */
typedef struct hs_gazetteer_source_stats {
    const char *path;             /* as given (owned by the report) */
    hs_gazetteer_input_kind kind; /* as given */
    const char *format;           /* "codepoint-open", "onspd", "os-open-names", "police.uk" */
    uint64_t bytes;               /* file size */
    uint64_t checksum;            /* FNV-1a 64 of the file's bytes */
    size_t rows;                  /* data rows read (header excluded) */
    size_t loaded;                /* rows stored (or, for snap points, counted into a point) */
    size_t skipped;               /* rows without coordinates ("No Location", PQI 90, ...) or
                                     repeats of a postcode already stored: not errors */
    size_t bad;                   /* malformed rows, each reported as an issue */
} hs_gazetteer_source_stats;

/* The build's log: sources and bad rows. Opaque; not thread-safe. */
typedef struct hs_gazetteer_report hs_gazetteer_report;

/* A new empty report, or NULL when out of memory. */
hs_gazetteer_report *hs_gazetteer_report_create(void);
/* Free a report; NULL does nothing. */
void hs_gazetteer_report_destroy(hs_gazetteer_report *r);
/* Number of inputs read (in the order the build read them: postcodes, streets, snap points,
 * each in the order given). */
size_t hs_gazetteer_report_n_sources(const hs_gazetteer_report *r);
/* Counts of input i (< n_sources); valid until the report is destroyed. */
const hs_gazetteer_source_stats *hs_gazetteer_report_source(const hs_gazetteer_report *r, size_t i);
/* Number of bad rows over all inputs (all of them, also those beyond HS_GAZETTEER_MAX_ISSUES). */
size_t hs_gazetteer_report_n_issues(const hs_gazetteer_report *r);
/* Bad row i (< min(n_issues, HS_GAZETTEER_MAX_ISSUES)) as an error record: file, row, line
 * and what was wrong (print it with hs_error_format). Returns NULL when i is out of range. */
const hs_error *hs_gazetteer_report_issue(const hs_gazetteer_report *r, size_t i);

/* Build a gazetteer at path from n inputs. The file is written next to path under a
 * temporary name and renamed into place at the end, so path is either the complete new
 * gazetteer or untouched. Inputs are read postcodes first, then streets, then snap points
 * (each group in the given order); the first source to give a postcode wins, so Code-Point or
 * ONSPD coordinates take precedence over Open Names postcode points.
 * Bad rows (ragged, invalid UTF-8, unparsable or out-of-range coordinates, invalid postcode)
 * are counted and listed in report (may be NULL) and never stop the build.
 * Fails with HS_EINVAL (no inputs), HS_EDATA (a file that cannot be read, is empty, is not of
 * the format its flag expects, or yields no usable row; err names the file, the line and what
 * was expected), HS_EDEP (PROJ cannot transform lon/lat to EPSG:27700), HS_EIO (path cannot be
 * written) or HS_ENOMEM. */
hs_status hs_gazetteer_build(const char *path, const hs_gazetteer_input *inputs, size_t n,
                             hs_gazetteer_report *report, hs_error *err);

/* ---- lookups ---------------------------------------------------------------------------- */

/* One read-only connection to a gazetteer with its prepared statements. Not thread-safe:
 * open one per thread. */
typedef struct hs_gazetteer hs_gazetteer;

/* Kinds of named points; also usable as a bit mask in lookups. */
typedef enum hs_gazetteer_kind {
    HS_GAZ_STREET = 1,  /* a road (OS Open Names transportNetwork road or road section) */
    HS_GAZ_PLACE = 2,   /* any other named feature: town, suburb, hamlet, station, school... */
    HS_GAZ_SNAP = 4,    /* a police.uk snap point learnt for one LSOA */
    HS_GAZ_POSTCODE = 8 /* a postcode unit centroid (find_postcode only) */
} hs_gazetteer_kind;

#define HS_GAZ_LSOA_SIZE     16 /* an LSOA code ("E01024009") plus NUL, with room */
#define HS_GAZ_LOCALITY_SIZE 48 /* a normalised locality name plus NUL */

/* A gazetteer entry as lookups return it. */
typedef struct hs_gazetteer_entry {
    int64_t id;                          /* row id: stable, used to break ties */
    hs_gazetteer_kind kind;              /* what it is */
    double x_m;                          /* easting, EPSG:27700 */
    double y_m;                          /* northing, EPSG:27700 */
    double precision_m;                  /* how far the true place may be from (x, y) */
    long weight;                         /* snap points: incidents learnt there; else 1 */
    char name[HS_NAME_SIZE];             /* normalised name, or the postcode */
    char lsoa_code[HS_GAZ_LSOA_SIZE];    /* snap points: their LSOA; else "" */
    char place[HS_GAZ_LOCALITY_SIZE];    /* populated place (town, village), normalised */
    char district[HS_GAZ_LOCALITY_SIZE]; /* district or borough, normalised */
    char county[HS_GAZ_LOCALITY_SIZE];   /* county or unitary authority, normalised */
    char postcode_district[5];           /* outward code, e.g. "CT5"; "" when unknown */
} hs_gazetteer_entry;

/* Open the gazetteer at path read-only. Fails with HS_EDATA, naming the file and what was
 * expected, when it is missing, not an SQLite file, not a hotspot gazetteer (e.g. a
 * GeoPackage) or of another schema version; HS_ENOMEM. *out is NULL on failure. */
hs_status hs_gazetteer_open(const char *path, hs_gazetteer **out, hs_error *err);
/* Close a connection; NULL does nothing. */
void hs_gazetteer_close(hs_gazetteer *g);

/* A value of the meta table ("schema_version", "sources", ...) into out (size n); "" when
 * absent. Returns HS_OK, or HS_EDATA on an SQLite error. */
hs_status hs_gazetteer_meta(hs_gazetteer *g, const char *key, char *out, size_t n, hs_error *err);

/* Look up a normalised postcode ("CT1 2JE"). *found = 1 and out filled (kind POSTCODE,
 * name = the postcode, postcode_district set) when present, else *found = 0. Returns HS_OK,
 * or HS_EDATA on an SQLite error. */
hs_status hs_gazetteer_find_postcode(hs_gazetteer *g, const char *postcode, hs_gazetteer_entry *out,
                                     int *found, hs_error *err);

/* Centre and radius of an LSOA's learnt snap points (metres). *found = 0 when the gazetteer
 * learnt nothing for it. Returns HS_OK, or HS_EDATA on an SQLite error. */
hs_status hs_gazetteer_find_lsoa(hs_gazetteer *g, const char *lsoa_code, double *x_m, double *y_m,
                                 double *radius_m, int *found, hs_error *err);

/* Named points whose normalised name equals name and whose kind is in the mask kinds; when
 * lsoa_code is not NULL only snap points of that LSOA. Order: by distance from near_xy
 * ({x, y}, metres) when not NULL, else by descending weight; then by id. At most cap entries
 * are written to out; *n receives how many. Returns HS_OK, or HS_EDATA on an SQLite error. */
hs_status hs_gazetteer_find_name(hs_gazetteer *g, const char *name, unsigned kinds,
                                 const char *lsoa_code, const double *near_xy,
                                 hs_gazetteer_entry *out, size_t cap, size_t *n, hs_error *err);

/* Named points of a kind in kinds within radius_m of (x_m, y_m), nearest first (then by id);
 * at most cap written to out, *n receives how many. Uses the R*Tree. Returns HS_OK, or
 * HS_EDATA on an SQLite error. */
hs_status hs_gazetteer_find_near(hs_gazetteer *g, double x_m, double y_m, double radius_m,
                                 unsigned kinds, hs_gazetteer_entry *out, size_t cap, size_t *n,
                                 hs_error *err);

#endif
