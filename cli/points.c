/* points.c - shared pieces of the stand-alone commands kde, gistar and grid (see points.h):
 * option parsing and checking, reading and placing incident points, study-area polygons,
 * and the memory check before large grids.
 *
 * Must not: compute statistics (engine/ does), exit, or print results to stdout.
 */
#include "cli/points.h"

#include "cli/job.h"
#include "cli/log.h"
#include "geo/ingest.h"
#include "geo/place.h"

#include <cpl_conv.h>
#include <cpl_error.h>
#include <cpl_string.h>
#include <ctype.h>
#include <errno.h>
#include <gdal.h>
#include <math.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- options ------------------------------------------------------------------------------ */

/* The option argv[i] names (the text before '=' when there is one), or NULL. */
static hs_cli_opt *find_opt(hs_cli_opt *opts, size_t nopts, const char *arg, size_t len)
{
    for (size_t k = 0; k < nopts; k++) {
        const char *n = opts[k].name, *a = opts[k].alias;
        if ((strlen(n) == len && strncmp(n, arg, len) == 0) ||
            (a && strlen(a) == len && strncmp(a, arg, len) == 0))
            return &opts[k];
    }
    return NULL;
}

static void unknown_option(const char *command, const hs_cli_opt *opts, size_t nopts,
                           const char *arg, size_t len)
{
    char name[64];
    snprintf(name, sizeof name, "%.*s", (int)(len < 63 ? len : 63), arg);
    const char *best = NULL;
    size_t bd = 3;
    for (size_t k = 0; k < nopts; k++) {
        size_t d = hs_edit_distance(name, opts[k].name);
        if (d < bd) {
            bd = d;
            best = opts[k].name;
        }
    }
    hs_log_error("unknown option '%s' for %s%s%s%s (see `hotspot %s --help`)", name, command,
                 best ? " (did you mean " : "", best ? best : "", best ? "?)" : "", command);
}

/* Record value v for option o; -1 when a single option is given twice. */
static int set_opt(const char *command, hs_cli_opt *o, const char *v)
{
    if (o->value != NULL && !o->repeatable) {
        hs_log_error("%s: %s is given twice (it takes one value)", command, o->name);
        return -1;
    }
    if (o->repeatable) {
        if (o->nvalues == HS_CLI_MAX_REPEAT) {
            hs_log_error("%s: %s is given more than %d times", command, o->name, HS_CLI_MAX_REPEAT);
            return -1;
        }
        o->values[o->nvalues++] = v;
    }
    o->value = v;
    return 0;
}

int hs_cli_parse(const char *command, hs_cli_opt *opts, size_t nopts, int argc, char **argv,
                 const char **input)
{
    *input = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (a[0] != '-' || a[1] == '\0') {
            if (*input != NULL) {
                hs_log_error("%s takes one INPUT, got '%s' and '%s' (see `hotspot %s --help`)",
                             command, *input, a, command);
                return -1;
            }
            *input = a;
            continue;
        }
        const char *eq = strncmp(a, "--", 2) == 0 ? strchr(a, '=') : NULL;
        size_t len = eq ? (size_t)(eq - a) : strlen(a);
        hs_cli_opt *o = find_opt(opts, nopts, a, len);
        if (o == NULL) {
            unknown_option(command, opts, nopts, a, len);
            return -1;
        }
        const char *v = "";
        if (o->metavar == NULL && eq != NULL) {
            hs_log_error("%s: %s is a flag and takes no value, got '%s'", command, o->name, a);
            return -1;
        }
        if (o->metavar != NULL) {
            if (eq != NULL) {
                v = eq + 1;
            } else if (i + 1 < argc) {
                v = argv[++i];
            } else {
                hs_log_error("%s: %s needs a value %s", command, o->name, o->metavar);
                return -1;
            }
            if (v[0] == '\0') {
                hs_log_error("%s: %s needs a value %s, got an empty one", command, o->name,
                             o->metavar);
                return -1;
            }
        }
        if (set_opt(command, o, v) != 0)
            return -1;
    }
    if (*input == NULL) {
        hs_log_error("%s needs an INPUT file (see `hotspot %s --help`)", command, command);
        return -1;
    }
    return 0;
}

int hs_cli_require(const char *command, const hs_cli_opt *o)
{
    if (o->value != NULL)
        return 0;
    hs_log_error("%s needs %s %s (see `hotspot %s --help`)", command, o->name,
                 o->metavar ? o->metavar : "", command);
    return -1;
}

int hs_cli_number(const char *opt, const char *text, double lo, int lo_open, double hi,
                  const char *expect, double *out)
{
    char *end = NULL;
    errno = 0;
    double v = strtod(text, &end);
    int ok = end != text && *end == '\0' && errno == 0 && isfinite(v) && v <= hi &&
             (lo_open ? v > lo : v >= lo);
    if (!ok) {
        hs_log_error("%s: expected %s, got '%s'", opt, expect, text);
        return -1;
    }
    *out = v;
    return 0;
}

int hs_cli_whole(const char *opt, const char *text, unsigned long long lo, unsigned long long hi,
                 const char *expect, unsigned long long *out)
{
    char *end = NULL;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 10);
    int ok = isdigit((unsigned char)text[0]) && *end == '\0' && errno == 0 && v >= lo && v <= hi;
    if (!ok) {
        hs_log_error("%s: expected %s, got '%s'", opt, expect, text);
        return -1;
    }
    *out = v;
    return 0;
}

int hs_cli_check_crs(const char *opt, const char *crs)
{
    OGRSpatialReferenceH srs = OSRNewSpatialReference(NULL);
    CPLPushErrorHandler(CPLQuietErrorHandler);
    int known = srs && OSRSetFromUserInput(srs, crs) == OGRERR_NONE;
    CPLPopErrorHandler();
    int rc = -1;
    if (!known)
        hs_log_error("%s: PROJ does not know '%s' (expected a projected CRS in metres such as "
                     "EPSG:27700)",
                     opt, crs);
    else if (!OSRIsProjected(srs))
        hs_log_error("%s: '%s' is not a projected CRS (expected one in metres such as "
                     "EPSG:27700; distances in degrees are meaningless)",
                     opt, crs);
    else if (fabs(OSRGetLinearUnits(srs, NULL) - 1.0) > 1e-9)
        hs_log_error("%s: '%s' is not in metres (expected a projected CRS in metres such as "
                     "EPSG:27700)",
                     opt, crs);
    else
        rc = 0;
    OSRDestroySpatialReference(srs);
    return rc;
}

int hs_cli_valid_name(const char *name)
{
    size_t n = strlen(name);
    int ok = n > 0 && n <= 56 && isalpha((unsigned char)name[0]);
    for (size_t i = 0; ok && i < n; i++)
        ok = isalnum((unsigned char)name[i]) || name[i] == '_';
    return ok;
}

int hs_cli_check_name(const char *opt, const char *name)
{
    if (!hs_cli_valid_name(name)) {
        hs_log_error("%s: expected a name of letters, digits and '_' starting with a letter "
                     "(at most 56 characters), got '%s'",
                     opt, name);
        return -1;
    }
    return 0;
}

int hs_cli_has_ext(const char *path, const char *ext)
{
    size_t n = strlen(path), m = strlen(ext);
    return n > m && strcasecmp(path + n - m, ext) == 0;
}

int hs_cli_gi_options(const char *permutations, const char *seed, const char *fdr,
                      const char *alpha_text, hs_gistar_params *gp, double *alpha)
{
    hs_gistar_params_default(gp);
    *alpha = 0.05;
    unsigned long long v;
    if (permutations) {
        if (hs_cli_whole("--permutations", permutations, 0, HS_GISTAR_MAX_PERMUTATIONS,
                         "a whole number from 0 to 99999 (e.g. 999)", &v))
            return -1;
        gp->permutations = (unsigned)v;
    }
    if (seed) {
        if (hs_cli_whole("--seed", seed, 0, UINT64_MAX, "a whole number >= 0", &v))
            return -1;
        gp->seed = (uint64_t)v;
    }
    gp->correction = fdr ? HS_GISTAR_BIN_ON_FDR : HS_GISTAR_BIN_ON_P;
    if (alpha_text && hs_cli_number("--alpha", alpha_text, 0.0, 1, 0.5,
                                    "a significance level in (0, 0.5], e.g. 0.05", alpha))
        return -1;
    return 0;
}

hs_status hs_cli_open_failure(const char *path, const char *what, hs_error *err)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return hs_error_set(err, HS_EDATA, path, 0, 0, "cannot open: %s", strerror(errno));
    fclose(f);
    const char *msg = CPLGetLastErrorMsg();
    return hs_error_set(err, HS_EDATA, path, 0, 0, "cannot open as %s%s%s", what,
                        msg[0] ? ": " : "", msg);
}

hs_status hs_cli_no_layer(GDALDatasetH ds, const char *path, const char *layer, hs_error *err)
{
    char list[512] = "";
    for (int k = 0; k < GDALDatasetGetLayerCount(ds); k++)
        snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", k ? ", " : "",
                 OGR_L_GetName(GDALDatasetGetLayer(ds, k)));
    return hs_error_set(err, HS_EINVAL, path, 0, 0, "--layer: no layer '%s' (layers: %s)", layer,
                        list);
}

/* ---- reading points ----------------------------------------------------------------------- */

/* Column names recognised for x, y and category when a CSV has to be read with a mapping
 * (geo/ingest recognises the same names only when nothing is mapped). */

/* The field names of the source's layer (CSLDestroy them). HS_EDATA naming the file when it
 * cannot be opened; the layer must exist. */
static hs_status list_fields(const char *path, const char *layer, int csv, char ***out,
                             hs_error *err)
{
    *out = NULL;
    const char *const csv_only[] = {"CSV", NULL};
    /* "CSV:" makes OGR read a .txt file as CSV too. */
    char *name = CPLStrdup(csv ? CPLSPrintf("CSV:%s", path) : path);
    CPLPushErrorHandler(CPLQuietErrorHandler);
    GDALDatasetH ds =
        GDALOpenEx(name, GDAL_OF_VECTOR | GDAL_OF_READONLY, csv ? csv_only : NULL, NULL, NULL);
    CPLPopErrorHandler();
    CPLFree(name);
    if (ds == NULL)
        return hs_cli_open_failure(path, "a vector data source", err);
    OGRLayerH l = layer && !csv ? GDALDatasetGetLayerByName(ds, layer) : GDALDatasetGetLayer(ds, 0);
    if (l == NULL) {
        hs_status st = layer ? hs_cli_no_layer(ds, path, layer, err)
                             : hs_error_set(err, HS_EDATA, path, 0, 0, "no layer to read");
        GDALClose(ds);
        return st;
    }
    OGRFeatureDefnH d = OGR_L_GetLayerDefn(l);
    char **names = NULL;
    for (int k = 0; k < OGR_FD_GetFieldCount(d); k++)
        names = CSLAddString(names, OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(d, k)));
    GDALClose(ds);
    *out = names;
    return HS_OK;
}

/* The first of names[] present in fields (ignoring case), as spelt in fields; NULL if none. */
static const char *pick_field(char **fields, const char *const *names)
{
    for (size_t k = 0; names[k]; k++)
        for (char **f = fields; f && *f; f++)
            if (strcasecmp(*f, names[k]) == 0)
                return *f;
    return NULL;
}

/* HS_EINVAL naming opt when field is not among fields (listing them). */
static hs_status need_field(char **fields, const char *field, const char *opt, const char *path,
                            hs_error *err)
{
    const char *one[] = {field, NULL};
    if (pick_field(fields, one) != NULL)
        return HS_OK;
    char list[512] = "";
    for (char **f = fields; f && *f; f++)
        snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", f == fields ? "" : ", ",
                 *f);
    return hs_error_set(err, HS_EINVAL, path, 0, 0, "%s: no column '%s' (columns: %s)", opt, field,
                        list);
}

/* Mapping for a CSV that is not police.uk when --weight or a category column is asked for:
 * only those are mapped; geo/ingest detects x/y (and their CRS) and the category by name. */
static hs_status map_csv(const char *path, char **fields, const hs_cli_read_params *p,
                         hs_column_map *m, hs_error *err)
{
    const char *const *names = (const char *const *)fields;
    size_t n = (size_t)CSLCount(fields);
    if (hs_ingest_detect_column(names, n, HS_INGEST_X) == NULL ||
        hs_ingest_detect_column(names, n, HS_INGEST_Y) == NULL)
        return hs_error_set(err, HS_EDATA, path, 1, 0,
                            "no coordinate columns (expected x/y, easting/northing or "
                            "longitude/latitude)");
    hs_status st = HS_OK;
    if (p->weight_field)
        st = need_field(fields, p->weight_field, "--weight", path, err);
    m->weight = p->weight_field;
    m->category = p->category_field;
    if (st == HS_OK && p->category_field)
        st = need_field(fields, p->category_field, "--category-field", path, err);
    return st;
}

static hs_status make_map(const char *path, const hs_cli_read_params *p, char **fields,
                          hs_column_map *m, hs_error *err)
{
    int csv = hs_cli_has_ext(path, ".csv") || hs_cli_has_ext(path, ".txt");
    if (csv && hs_ingest_is_police_header((const char *const *)fields, (size_t)CSLCount(fields))) {
        if (p->weight_field)
            return hs_error_set(err, HS_EINVAL, path, 0, 0,
                                "--weight: a police.uk street-level CSV has fixed columns and "
                                "no weight; add the weight in a CSV of your own");
        if (p->category_field && strcasecmp(p->category_field, "Crime type") != 0)
            return hs_error_set(err, HS_EINVAL, path, 0, 0,
                                "--category-field: a police.uk CSV keeps its category in "
                                "'Crime type'");
        return HS_OK;
    }
    if (csv)
        return map_csv(path, fields, p, m, err);
    hs_status st = HS_OK;
    if (p->weight_field)
        st = need_field(fields, p->weight_field, "--weight", path, err);
    m->weight = p->weight_field;
    if (st == HS_OK && p->category_field)
        st = need_field(fields, p->category_field, "--category-field", path, err);
    m->category = p->category_field ? p->category_field
                                    : hs_ingest_detect_column((const char *const *)fields,
                                                              (size_t)CSLCount(fields),
                                                              HS_INGEST_CATEGORY);
    if (st == HS_OK && p->need_category && m->category == NULL)
        st = hs_error_set(err, HS_EINVAL, path, 0, 0,
                          "--category: the layer has no category field (expected one named "
                          "category or crime type; name it with --category-field)");
    return st;
}

/* Most distinct failure reasons counted apart in the summary. */
#define HS_CLI_REASONS 8

/* Log how many rows could not be placed, by reason, and the first rows (every row with -v). */
static void report_unplaced(const hs_incidents *t, const char *path)
{
    hs_incident_counts c;
    hs_incidents_count(t, &c);
    hs_log_info("read %s: %zu rows, %zu placed, %zu could not be placed", path, c.rows_in, c.placed,
                c.failed);
    const char *reason[HS_CLI_REASONS];
    size_t count[HS_CLI_REASONS], nr = 0, other = 0, shown = 0;
    size_t limit = hs_log_get_level() >= HS_LOG_VERBOSE ? (size_t)-1 : 3;
    for (size_t i = 0; i < t->n; i++) {
        if (t->state[i] != HS_ROW_FAILED)
            continue;
        const char *why = hs_incidents_str(t, t->reason, i);
        if (shown++ < limit)
            hs_log_warn("%s: row %lld: not placed: %s", t->sources[t->source[i]].name,
                        (long long)t->source_row[i], why);
        size_t k = 0;
        while (k < nr && strcmp(reason[k], why) != 0)
            k++;
        if (k == nr && nr < HS_CLI_REASONS) {
            reason[nr] = why;
            count[nr++] = 0;
        }
        if (k < nr)
            count[k]++;
        else
            other++;
    }
    if (shown <= limit)
        return;
    for (size_t k = 0; k < nr; k++)
        hs_log_warn("%zu row(s) not placed: %s", count[k], reason[k]);
    if (other)
        hs_log_warn("%zu row(s) not placed for other reasons (-v lists every row)", other);
}

hs_status hs_cli_points_read(const char *path, const hs_cli_read_params *p, hs_incidents *t,
                             hs_error *err)
{
    hs_status st = hs_incidents_init(t);
    if (st != HS_OK)
        return st;
    hs_ingest_params ip;
    hs_ingest_params_default(&ip);
    ip.layer = p->layer;
    char **fields = NULL;
    int csv = hs_cli_has_ext(path, ".csv") || hs_cli_has_ext(path, ".txt");
    if (!csv || p->weight_field || p->category_field) {
        st = list_fields(path, p->layer, csv, &fields, err);
        if (st == HS_OK)
            st = make_map(path, p, fields, &ip.map, err);
    }
    if (st == HS_OK)
        st = hs_ingest_file(t, path, &ip, NULL, err);
    hs_place_stats ps;
    if (st == HS_OK)
        st = hs_place_by_coordinates(t, p->crs, &ps, err);
    for (size_t i = 0; st == HS_OK && i < t->n; i++)
        if (t->state[i] == HS_ROW_PENDING)
            st = hs_incidents_fail(t, i,
                                   "no coordinates (these commands place rows by their "
                                   "coordinates only; geocode addresses first)");
    CSLDestroy(fields);
    if (st != HS_OK)
        return st;
    report_unplaced(t, path);
    hs_incident_counts c;
    hs_incidents_count(t, &c);
    if (c.placed == 0)
        return hs_error_set(err, HS_EDATA, path, 0, 0,
                            "none of its %zu rows could be placed (expected coordinates in "
                            "x/y, easting/northing or longitude/latitude columns, or point "
                            "geometries)",
                            c.rows_in);
    return HS_OK;
}

static int category_matches(const char *cat, const char *const *categories, size_t ncat)
{
    for (size_t k = 0; k < ncat; k++)
        if (strcasecmp(cat, categories[k]) == 0)
            return 1;
    return 0;
}

hs_status hs_cli_points_arrays(const hs_incidents *t, const char *const *categories, size_t ncat,
                               hs_cli_xyw *out, size_t *excluded)
{
    memset(out, 0, sizeof *out);
    size_t m = 0, left_out = 0;
    for (size_t i = 0; i < t->n; i++) {
        if (t->state[i] != HS_ROW_PLACED)
            continue;
        if (ncat && !category_matches(hs_incidents_str(t, t->category, i), categories, ncat))
            left_out++;
        else
            m++;
    }
    double *block = malloc(3 * (m ? m : 1) * sizeof *block);
    if (block == NULL)
        return HS_ENOMEM;
    size_t k = 0;
    for (size_t i = 0; i < t->n; i++) {
        if (t->state[i] != HS_ROW_PLACED ||
            (ncat && !category_matches(hs_incidents_str(t, t->category, i), categories, ncat)))
            continue;
        block[k] = t->x[i];
        block[m + k] = t->y[i];
        block[2 * m + k] = t->weight[i];
        k++;
    }
    out->x = block;
    out->y = block + m;
    out->w = block + 2 * m;
    out->n = m;
    if (excluded)
        *excluded = left_out;
    return HS_OK;
}

void hs_cli_xyw_free(hs_cli_xyw *p)
{
    if (p == NULL)
        return;
    free(p->x);
    memset(p, 0, sizeof *p);
}

void hs_cli_bbox(const double *x, const double *y, size_t n, double box[4])
{
    box[0] = box[2] = x[0];
    box[1] = box[3] = y[0];
    for (size_t i = 1; i < n; i++) {
        box[0] = fmin(box[0], x[i]);
        box[1] = fmin(box[1], y[i]);
        box[2] = fmax(box[2], x[i]);
        box[3] = fmax(box[3], y[i]);
    }
}

/* ---- study area --------------------------------------------------------------------------- */

/* 1 for ONS-style code field names: letters then two digits then "CD" (WD20CD, LAD23CD). */
static int ons_code_name(const char *s)
{
    size_t n = strlen(s), k = 0;
    while (k < n && isalpha((unsigned char)s[k]))
        k++;
    return k >= 2 && n == k + 4 && isdigit((unsigned char)s[k]) &&
           isdigit((unsigned char)s[k + 1]) && strcasecmp(s + k + 2, "CD") == 0;
}

/* The code field: ward_code or code, else an ONS code, else the first text field. */
static hs_status detect_code_field(const char *path, const char *layer, char *out, size_t n,
                                   hs_error *err)
{
    CPLPushErrorHandler(CPLQuietErrorHandler);
    GDALDatasetH ds = GDALOpenEx(path, GDAL_OF_VECTOR | GDAL_OF_READONLY, NULL, NULL, NULL);
    CPLPopErrorHandler();
    if (ds == NULL)
        return hs_cli_open_failure(path, "polygons", err);
    OGRLayerH l = layer ? GDALDatasetGetLayerByName(ds, layer) : GDALDatasetGetLayer(ds, 0);
    if (l == NULL) {
        GDALClose(ds);
        return hs_error_set(err, HS_EDATA, path, 0, 0, "no layer '%s'", layer ? layer : "(first)");
    }
    OGRFeatureDefnH d = OGR_L_GetLayerDefn(l);
    int nf = OGR_FD_GetFieldCount(d), best = -1, rank = 4;
    for (int k = 0; k < nf; k++) {
        OGRFieldDefnH f = OGR_FD_GetFieldDefn(d, k);
        const char *name = OGR_Fld_GetNameRef(f);
        int r = strcasecmp(name, "ward_code") == 0 || strcasecmp(name, "code") == 0 ? 1
                : ons_code_name(name)                                               ? 2
                : OGR_Fld_GetType(f) == OFTString                                   ? 3
                                                                                    : 4;
        if (r < rank) {
            rank = r;
            best = k;
        }
    }
    if (best >= 0)
        snprintf(out, n, "%s", OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(d, best)));
    GDALClose(ds);
    if (best < 0)
        return hs_error_set(err, HS_EDATA, path, 0, 0,
                            "the polygons have no text field to use as their code; name one "
                            "with the --*-code option");
    return HS_OK;
}

hs_status hs_cli_wards_read(const char *path, const char *layer, const char *code_field,
                            const char *crs, hs_wards *w, hs_error *err)
{
    char detected[256];
    if (code_field == NULL) {
        hs_status st = detect_code_field(path, layer, detected, sizeof detected, err);
        if (st != HS_OK)
            return st;
        code_field = detected;
        hs_log_verbose("%s: polygons identified by their field %s", path, code_field);
    }
    hs_wards_params wp = {.layer = layer, .code_field = code_field, .crs = crs};
    hs_status st = hs_wards_read(path, &wp, w, err);
    if (st == HS_OK && w->nrepaired)
        hs_log_warn("%s: %zu invalid polygon(s) repaired with GEOSMakeValid: %s", path,
                    w->nrepaired, w->repaired);
    return st;
}

hs_status hs_cli_keep_in_wards(const hs_wards *w, hs_cli_xyw *p, size_t *removed, hs_error *err)
{
    int32_t *ward = malloc((p->n ? p->n : 1) * sizeof *ward);
    if (ward == NULL)
        return HS_ENOMEM;
    hs_status st = hs_wards_assign(w, p->x, p->y, p->n, ward, err);
    size_t k = 0;
    for (size_t i = 0; st == HS_OK && i < p->n; i++) {
        if (ward[i] < 0)
            continue;
        p->x[k] = p->x[i];
        p->y[k] = p->y[i];
        p->w[k] = p->w[i];
        k++;
    }
    free(ward);
    if (st != HS_OK)
        return st;
    *removed = p->n - k;
    p->n = k;
    return HS_OK;
}

/* ---- memory ------------------------------------------------------------------------------- */

size_t hs_cli_mem_available(void)
{
    FILE *f = fopen("/proc/meminfo", "r");
    if (f == NULL)
        return 0;
    char line[256];
    unsigned long long kb = 0;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "MemAvailable: %llu kB", &kb) == 1)
            break;
    fclose(f);
    return (size_t)kb * 1024u;
}

size_t hs_cli_max_cells(double bytes_per_cell)
{
    size_t avail = hs_cli_mem_available();
    if (avail == 0 || !(bytes_per_cell > 0.0))
        return HS_GRID_MAX_CELLS_DEFAULT;
    double cells = 0.9 * (double)avail / bytes_per_cell;
    return cells >= (double)SIZE_MAX ? SIZE_MAX : (size_t)cells;
}

hs_status hs_cli_grid_fits(const hs_grid *g, double bytes_per_cell, const char *cell_opt,
                           hs_error *err)
{
    double cells = (double)g->nx * (double)g->ny;
    size_t limit = hs_cli_max_cells(bytes_per_cell);
    if (cells <= (double)limit)
        return HS_OK;
    return hs_error_set(err, HS_EINVAL, NULL, 0, 0,
                        "a grid of %zu x %zu = %.0f cells of %g m would need %.1f GB "
                        "(%.0f bytes per cell), and %.1f GB are available: use a larger %s "
                        "or a smaller extent",
                        g->nx, g->ny, cells, g->cell_m, cells * bytes_per_cell / 1e9,
                        bytes_per_cell, (double)hs_cli_mem_available() / 1e9, cell_opt);
}
