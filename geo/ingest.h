/* ingest.h - read incident rows from files into an hs_incidents table.
 *
 * police.uk street-level CSVs are recognised by their header and need no mapping; other CSVs
 * are read with a column mapping; anything else is opened with OGR (GeoPackage, Shapefile,
 * GeoJSON, ...) and its point geometry used. CSVs are parsed with libcsv (RFC 4180 quoting,
 * CRLF or LF, a UTF-8 BOM is skipped), or, while the text holds no quote character, by an
 * equivalent parallel splitter (csvsplit.h). Every data row gets a table entry, including
 * malformed ones, which are marked failed with a reason and keep their raw text: no row is
 * dropped.
 * Invalid UTF-8 is replaced by U+FFFD so that outputs stay valid text.
 * Does not validate or transform coordinates (see transform.h) and does no geocoding.
 * Not thread-safe: one ingest at a time per table.
 */
#ifndef HS_GEO_INGEST_H
#define HS_GEO_INGEST_H

#include "engine/status.h"
#include "geo/incidents.h"

/* Column names of a non-police.uk source; NULL = not present. */
typedef struct hs_column_map {
    const char *id;         /* incident id */
    const char *date;       /* month or date; the first 7 characters (YYYY-MM) are kept */
    const char *category;   /* category / crime type */
    const char *x;          /* x or longitude (in source_crs) */
    const char *y;          /* y or latitude (in source_crs) */
    const char *address;    /* location text or free-text address */
    const char *postcode;   /* postcode */
    const char *lsoa;       /* LSOA code */
    const char *weight;     /* harm weight (a number >= 0; empty = 1) */
    const char *source_crs; /* CRS of x/y, e.g. "EPSG:4326"; NULL = EPSG:4326 for CSV */
} hs_column_map;

/* Which tokenizer reads a CSV file. Both give byte-identical tables (test_ingest_paths). */
typedef enum hs_csv_tokenizer {
    HS_CSV_AUTO = 0, /* the splitter of csvsplit.h, in parallel over byte ranges, while the
                        text holds no '"'; libcsv from the first block that holds one */
    HS_CSV_LIBCSV    /* libcsv for the whole file, on the calling thread (the reference) */
} hs_csv_tokenizer;

typedef struct hs_ingest_params {
    hs_column_map map;          /* mapping for non-police.uk sources */
    const char *layer;          /* OGR layer to read; NULL = the first layer */
    hs_csv_tokenizer tokenizer; /* CSV tokenizer; HS_CSV_AUTO by default */
} hs_ingest_params;

/* Defaults: no mapping, first layer, HS_CSV_AUTO. */
void hs_ingest_params_default(hs_ingest_params *p);

/* Per-call statistics, for logs. */
typedef struct hs_ingest_stats {
    size_t rows;       /* data rows added */
    size_t malformed;  /* rows added already failed (ragged, unreadable) */
    size_t bad_utf8;   /* rows whose text had invalid UTF-8 replaced */
    size_t blank;      /* blank lines skipped (not data rows) */
} hs_ingest_stats;

/* 1 when the header fields (n of them) are the police.uk street-level header. */
int hs_ingest_is_police_header(const char *const *fields, size_t n);

/* Columns a non-police.uk CSV reader recognises by their usual names when they are not
 * mapped (see hs_ingest_detect_column). */
typedef enum hs_ingest_role {
    HS_INGEST_X,       /* longitude, lon, long, easting, x */
    HS_INGEST_Y,       /* latitude, lat, northing, y */
    HS_INGEST_CATEGORY /* category, crime type, crime_type, type, offence */
} hs_ingest_role;

/* The header field (of n) the reader takes for role when no mapping names it: the first of
 * the role's names found, ignoring case; NULL when none. */
const char *hs_ingest_detect_column(const char *const *fields, size_t n, hs_ingest_role role);

/* Read every row of the file at path into t (appending). Fails with HS_EDATA (unreadable or
 * empty file, no header, a mapped column missing from the header) naming the file and what
 * was expected; rows already appended by earlier calls are untouched. stats may be NULL.
 * A CSV without quote characters is parsed by OpenMP threads (omp_get_max_threads()); the
 * table is byte-identical at any thread count. p may be NULL (defaults). */
hs_status hs_ingest_file(hs_incidents *t, const char *path, const hs_ingest_params *p,
                         hs_ingest_stats *stats, hs_error *err);

#endif
