/* job.c - job-file parsing and validation with libinih (see job.h).
 *
 * The key table below is the single source of truth: defaults, limits, help text and the
 * reference printed by `hotspot help job` all come from it. inih reads the file through a
 * line-counting reader so that every message can name the line. Debian's libinih limits a
 * line to 199 characters; longer lines are reported as errors, never truncated.
 */
#include "cli/job.h"

#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef enum key_kind {
    K_STR,       /* free text */
    K_PATH,      /* a path, resolved against the job folder */
    K_INT,       /* integer within [min, max] */
    K_REAL,      /* number within [min, max] */
    K_REAL_AUTO, /* number within [min, max], or "auto" (stored as 0) */
    K_BOOL,      /* yes/no/true/false/on/off/1/0 */
    K_CHOICE,    /* one of a '|'-separated list */
    K_WEIGHTS,   /* queen | rook | distance:D | knn:K */
    K_THRESHOLD, /* sd:K | top:P */
    K_LIST       /* ';'-separated list of categories */
} key_kind;

typedef enum key_target {
    T_JOB,    /* a field of hs_job */
    T_SOURCE, /* a field of hs_job_source ([incidents] / [incidents.NAME]) */
    T_GROUP   /* a field of hs_job_group ([group.NAME]) */
} key_target;

typedef struct key_def {
    const char *section; /* "job", "incidents", "group", ... (prefix for NAME sections) */
    const char *key;     /* key name */
    key_kind kind;       /* value kind */
    key_target target;   /* which struct the offset is into */
    size_t offset;       /* field offset */
    size_t size;         /* field size (strings) */
    const char *def;     /* default value text; NULL = required or none */
    double min, max;     /* numeric limits */
    const char *choices; /* K_CHOICE values, '|'-separated */
    const char *help;    /* one line for the reference */
} key_def;

#define JF(f) T_JOB, offsetof(hs_job, f), sizeof(((hs_job *)0)->f)
#define SF(f) T_SOURCE, offsetof(hs_job_source, f), sizeof(((hs_job_source *)0)->f)
#define GF(f) T_GROUP, offsetof(hs_job_group, f), 0

static const key_def keys[] = {
    {"job", "name", K_STR, JF(name), "", 0, 0, NULL,
     "job name, used in logs and run_info (default: the job file's name)"},
    {"job", "output", K_PATH, JF(output), "", 0, 0, NULL,
     "output GeoPackage, written atomically; parent folders are created "
     "(default: out/<name>/hotspots.gpkg)"},
    {"job", "crs", K_STR, JF(crs), "EPSG:27700", 0, 0, NULL,
     "CRS of the analysis (metres); British National Grid by default"},
    {"job", "min_hit_rate", K_REAL, JF(min_hit_rate), "0.85", 0, 1, NULL,
     "exit with code 6 when placed / (placed + failed) is below this"},
    {"job", "store", K_PATH, JF(store), "", 0, 0, NULL,
     "state store (SQLite) for incremental runs (default: beside the output, "
     "<output>.store.sqlite)"},
    {"job", "window_months", K_INT, JF(window_months), "0", 0, 1200, NULL,
     "analyse only the latest N months of incidents; 0 = all"},

    {"incidents", "path", K_PATH, SF(path), NULL, 0, 0, NULL,
     "incident file(s): a path or glob (*.csv); police.uk CSV, CSV or any OGR source"},
    {"incidents", "layer", K_STR, SF(layer), "", 0, 0, NULL, "layer of an OGR source"},
    {"incidents", "id", K_STR, SF(id), "", 0, 0, NULL, "column with the incident id"},
    {"incidents", "date", K_STR, SF(date), "", 0, 0, NULL,
     "column with the date or month (YYYY-MM[-DD] or DD/MM/YYYY)"},
    {"incidents", "category", K_STR, SF(category), "", 0, 0, NULL, "column with the category"},
    {"incidents", "x", K_STR, SF(x), "", 0, 0, NULL, "column with x or longitude"},
    {"incidents", "y", K_STR, SF(y), "", 0, 0, NULL, "column with y or latitude"},
    {"incidents", "source_crs", K_STR, SF(source_crs), "", 0, 0, NULL,
     "CRS of x/y (default: from the column names, else EPSG:4326)"},
    {"incidents", "address", K_STR, SF(address), "", 0, 0, NULL,
     "column with the location text or address"},
    {"incidents", "postcode", K_STR, SF(postcode), "", 0, 0, NULL, "column with the postcode"},
    {"incidents", "lsoa", K_STR, SF(lsoa), "", 0, 0, NULL, "column with the LSOA code"},
    {"incidents", "weight", K_STR, SF(weight), "", 0, 0, NULL,
     "column with a harm weight (number >= 0) used by KDE and patrol areas; default 1"},

    {"gazetteer", "path", K_PATH, JF(gazetteer), "", 0, 0, NULL,
     "gazetteer made by `hotspot gazetteer build`; without one, rows without coordinates "
     "fail"},

    {"wards", "path", K_PATH, JF(wards_path), NULL, 0, 0, NULL,
     "ward polygons (any OGR source); they define the study area"},
    {"wards", "layer", K_STR, JF(wards_layer), "", 0, 0, NULL, "layer (default: the first)"},
    {"wards", "code", K_STR, JF(wards_code), NULL, 0, 0, NULL, "field with the ward code"},
    {"wards", "name", K_STR, JF(wards_name), "", 0, 0, NULL, "field with the ward name"},
    {"wards", "population", K_STR, JF(wards_population), "", 0, 0, NULL,
     "field with residents (enables rates per 1,000)"},

    {"group", "categories", K_LIST, GF(categories), NULL, 0, 0, NULL,
     "[group.NAME]: categories of the group, separated by ';'"},

    {"kde", "radius", K_REAL_AUTO, JF(kde_radius_m), "250", 1, 100000, NULL,
     "kernel radius in metres, or auto (ArcGIS's default-bandwidth rule)"},
    {"kde", "cell", K_REAL, JF(kde_cell_m), "25", 0.5, 100000, NULL, "raster cell size, metres"},
    {"kde", "kernel", K_CHOICE, JF(kde_kernel), "quartic", 0, 0,
     "quartic|triweight|epanechnikov|triangular|uniform|gaussian", "kernel function"},
    {"kde", "scale", K_CHOICE, JF(kde_scale), "density", 0, 0, "density|raw",
     "density = incidents per km2; raw = unnormalised sum (QGIS 'Raw')"},
    {"kde", "edge_correction", K_BOOL, JF(kde_edge_correction), "no", 0, 0, NULL,
     "divide by the kernel mass inside the study area"},
    {"kde", "mask", K_BOOL, JF(kde_mask), "yes", 0, 0, NULL,
     "cells outside the study area are nodata"},
    {"kde", "hot_threshold", K_THRESHOLD, JF(kde_hot_threshold), "sd:2", 0, 0, NULL,
     "hot areas: sd:K (above mean + K sd of non-zero cells) or top:P (top P percent)"},

    {"gistar", "weights", K_WEIGHTS, JF(gistar_weights), "queen", 0, 0, NULL,
     "ward weights: queen, rook, distance:METRES or knn:K"},
    {"gistar", "grid_cell", K_REAL, JF(grid_cell_m), "100", 1, 100000, NULL,
     "fishnet cell size for grid Gi*, metres"},
    {"gistar", "grid_band", K_REAL_AUTO, JF(grid_band_m), "300", 1, 1000000, NULL,
     "distance band on the grid, metres, or auto (incremental spatial autocorrelation)"},
    {"gistar", "permutations", K_INT, JF(permutations), "999", 0, 99999, NULL,
     "conditional permutations for the wards' GiPseudoP; 0 = none"},
    {"gistar", "grid_permutations", K_INT, JF(grid_permutations), "0", 0, 99999, NULL,
     "conditional permutations for the grid's GiPseudoP (costly on fine grids); 0 = none"},
    {"gistar", "seed", K_INT, JF(seed), "1", 0, 4294967295.0, NULL, "random seed"},
    {"gistar", "fdr", K_BOOL, JF(fdr), "yes", 0, 0, NULL,
     "Benjamini-Hochberg false discovery rate for Gi_Bin"},
    {"gistar", "alpha", K_REAL, JF(alpha), "0.05", 0.0001, 0.5, NULL,
     "significance level for the summary counts of hot and cold spots"},
    {"gistar", "value", K_CHOICE, JF(gistar_value), "count", 0, 0, "count|rate",
     "ward Gi* on counts, or on rates per 1,000 residents ([wards] population needed)"},

    {"patrol", "areas", K_INT, JF(patrol_areas), "10", 0, 1000, NULL,
     "patrol areas to propose per group"},
    {"patrol", "max_area_km2", K_REAL, JF(patrol_max_area_km2), "0.25", 0.0001, 100, NULL,
     "size cap of one patrol area, km2"},
    {"patrol", "cell", K_REAL, JF(patrol_cell_m), "50", 1, 10000, NULL,
     "grid cell patrol areas are built from, metres"},
};
#define NKEYS (sizeof keys / sizeof keys[0])

static const char *const sections[] = {"job", "incidents", "gazetteer", "wards",
                                       "group", "kde", "gistar", "patrol"};
#define NSECTIONS (sizeof sections / sizeof sections[0])

size_t hs_edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 63 || lb > 63)
        return 64;
    size_t row[64];
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t prev = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t cur = row[j];
            size_t cost = tolower((unsigned char)a[i - 1]) == tolower((unsigned char)b[j - 1]) ? 0 : 1;
            size_t best = prev + cost;
            if (row[j] + 1 < best)
                best = row[j] + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            prev = cur;
        }
    }
    return row[lb];
}

/* ---- parse state ------------------------------------------------------------------------ */

typedef struct parse_state {
    hs_job *job;        /* being filled */
    FILE *f;            /* the file */
    long line;          /* current line */
    int too_long;       /* a line exceeded inih's limit */
    hs_error *err;      /* first error goes here */
    hs_status status;   /* first error */
    hs_job_source *source; /* current [incidents*] section */
    hs_job_group *group;   /* current [group.*] section */
    char section[128];  /* current section name as written */
    unsigned char seen_sources[HS_JOB_MAX_SOURCES]; /* sources with a path */
} parse_state;

static char *line_reader(char *str, int num, void *stream)
{
    parse_state *s = stream;
    char *r = fgets(str, num, s->f);
    if (r == NULL)
        return NULL;
    s->line++;
    size_t len = strlen(r);
    if (len == (size_t)num - 1 && r[len - 1] != '\n' && !feof(s->f)) {
        s->too_long = 1;
        /* Skip the rest of the line so that counting stays right. */
        int c;
        while ((c = fgetc(s->f)) != EOF && c != '\n')
            ;
        r[0] = '\0';
    }
    return r;
}

static hs_status fail(parse_state *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static hs_status fail(parse_state *s, const char *fmt, ...)
{
    if (s->status != HS_OK)
        return s->status;
    char what[700];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    s->status = hs_error_set(s->err, HS_EINVAL, s->job->file, s->line, 0, "%s", what);
    return s->status;
}

static const char *base_section(const char *section, char *name, size_t n)
{
    const char *dot = strchr(section, '.');
    name[0] = '\0';
    if (dot) {
        snprintf(name, n, "%s", dot + 1);
        static char base[64];
        snprintf(base, sizeof base, "%.*s", (int)(dot - section), section);
        return base;
    }
    return section;
}

static const char *suggest_section(const char *sec)
{
    const char *best = NULL;
    size_t bd = 3;
    for (size_t i = 0; i < NSECTIONS; i++) {
        size_t d = hs_edit_distance(sec, sections[i]);
        if (d < bd) {
            bd = d;
            best = sections[i];
        }
    }
    return best;
}

static const char *suggest_key(const char *sec, const char *key)
{
    const char *best = NULL;
    size_t bd = 3;
    for (size_t i = 0; i < NKEYS; i++) {
        if (strcmp(keys[i].section, sec) != 0)
            continue;
        size_t d = hs_edit_distance(key, keys[i].key);
        if (d < bd) {
            bd = d;
            best = keys[i].key;
        }
    }
    return best;
}

static int parse_bool(const char *v, int *out)
{
    static const char *const yes[] = {"yes", "true", "on", "1"};
    static const char *const no[] = {"no", "false", "off", "0"};
    for (size_t i = 0; i < 4; i++) {
        if (strcasecmp(v, yes[i]) == 0) {
            *out = 1;
            return 1;
        }
        if (strcasecmp(v, no[i]) == 0) {
            *out = 0;
            return 1;
        }
    }
    return 0;
}

static int parse_real(const char *v, double *out)
{
    char *end;
    errno = 0;
    double d = strtod(v, &end);
    while (*end == ' ')
        end++;
    if (end == v || *end != '\0' || errno == ERANGE || !isfinite(d))
        return 0;
    *out = d;
    return 1;
}

static int choice_ok(const char *choices, const char *v)
{
    size_t n = strlen(v);
    for (const char *p = choices; *p;) {
        const char *bar = strchr(p, '|');
        size_t len = bar ? (size_t)(bar - p) : strlen(p);
        if (len == n && strncasecmp(p, v, n) == 0)
            return 1;
        p += len + (bar ? 1 : 0);
    }
    return 0;
}

static void copy_str(char *dst, size_t size, const char *v)
{
    snprintf(dst, size, "%s", v);
}

/* Validate a weights spec: queen | rook | distance:D (D > 0) | knn:K (1..1000). */
static int weights_ok(const char *v)
{
    if (strcasecmp(v, "queen") == 0 || strcasecmp(v, "rook") == 0)
        return 1;
    double d;
    if (strncasecmp(v, "distance:", 9) == 0)
        return parse_real(v + 9, &d) && d > 0;
    if (strncasecmp(v, "knn:", 4) == 0)
        return parse_real(v + 4, &d) && d >= 1 && d <= 1000 && floor(d) == d;
    return 0;
}

static int threshold_ok(const char *v)
{
    double d;
    if (strncasecmp(v, "sd:", 3) == 0)
        return parse_real(v + 3, &d) && d >= 0 && d <= 100;
    if (strncasecmp(v, "top:", 4) == 0)
        return parse_real(v + 4, &d) && d > 0 && d <= 100;
    return 0;
}

static hs_status set_value(parse_state *s, const key_def *k, void *base, const char *v)
{
    char *field = (char *)base + k->offset;
    double d;
    int b;
    switch (k->kind) {
    case K_STR:
    case K_PATH:
        if (strlen(v) >= k->size)
            return fail(s, "[%s] %s: value is longer than %zu characters", s->section, k->key,
                        k->size - 1);
        copy_str(field, k->size, v);
        return HS_OK;
    case K_CHOICE:
        if (!choice_ok(k->choices, v))
            return fail(s, "[%s] %s: '%s' is not one of %s", s->section, k->key, v, k->choices);
        copy_str(field, k->size, v);
        for (char *p = field; *p; p++)
            *p = (char)tolower((unsigned char)*p);
        return HS_OK;
    case K_WEIGHTS:
        if (!weights_ok(v))
            return fail(s, "[%s] %s: '%s' is not queen, rook, distance:METRES or knn:K",
                        s->section, k->key, v);
        copy_str(field, k->size, v);
        return HS_OK;
    case K_THRESHOLD:
        if (!threshold_ok(v))
            return fail(s, "[%s] %s: '%s' is not sd:K (K >= 0) or top:P (0 < P <= 100)",
                        s->section, k->key, v);
        copy_str(field, k->size, v);
        return HS_OK;
    case K_BOOL:
        if (!parse_bool(v, &b))
            return fail(s, "[%s] %s: '%s' is not yes or no", s->section, k->key, v);
        *(int *)(void *)field = b;
        return HS_OK;
    case K_REAL_AUTO:
        if (strcasecmp(v, "auto") == 0) {
            *(double *)(void *)field = 0.0;
            return HS_OK;
        }
        /* fall through */
    case K_REAL:
        if (!parse_real(v, &d))
            return fail(s, "[%s] %s: '%s' is not a number%s", s->section, k->key, v,
                        k->kind == K_REAL_AUTO ? " or auto" : "");
        if (d < k->min || d > k->max)
            return fail(s, "[%s] %s: %s is outside %g..%g", s->section, k->key, v, k->min,
                        k->max);
        *(double *)(void *)field = d;
        return HS_OK;
    case K_INT:
        if (!parse_real(v, &d) || floor(d) != d)
            return fail(s, "[%s] %s: '%s' is not a whole number", s->section, k->key, v);
        if (d < k->min || d > k->max)
            return fail(s, "[%s] %s: %s is outside %g..%g", s->section, k->key, v, k->min,
                        k->max);
        if (k->offset == offsetof(hs_job, seed) && k->target == T_JOB)
            *(uint64_t *)(void *)field = (uint64_t)d;
        else
            *(int *)(void *)field = (int)d;
        return HS_OK;
    case K_LIST: {
        hs_job_group *g = base;
        g->ncategories = 0;
        const char *p = v;
        while (*p) {
            const char *sep = strpbrk(p, ";|");
            size_t len = sep ? (size_t)(sep - p) : strlen(p);
            while (len > 0 && isspace((unsigned char)*p)) {
                p++;
                len--;
            }
            size_t l2 = len;
            while (l2 > 0 && isspace((unsigned char)p[l2 - 1]))
                l2--;
            if (l2 > 0) {
                if (g->ncategories == HS_JOB_MAX_CATEGORIES)
                    return fail(s, "[%s] %s: more than %d categories", s->section, k->key,
                                HS_JOB_MAX_CATEGORIES);
                if (l2 >= sizeof g->categories[0])
                    return fail(s, "[%s] %s: a category is longer than %zu characters",
                                s->section, k->key, sizeof g->categories[0] - 1);
                snprintf(g->categories[g->ncategories++], sizeof g->categories[0], "%.*s",
                         (int)l2, p);
            }
            p += len + (sep ? 1 : 0);
            if (sep && !*p)
                break;
        }
        if (g->ncategories == 0)
            return fail(s, "[%s] %s: no categories given", s->section, k->key);
        return HS_OK;
    }
    }
    return fail(s, "internal: unknown key kind");
}

static void apply_defaults(parse_state *s, const char *section, key_target target, void *base)
{
    for (size_t i = 0; i < NKEYS; i++) {
        if (strcmp(keys[i].section, section) != 0 || keys[i].target != target || !keys[i].def)
            continue;
        set_value(s, &keys[i], base, keys[i].def);
    }
}

static int valid_name(const char *n)
{
    if (!*n)
        return 0;
    for (const char *p = n; *p; p++)
        if (!(isalnum((unsigned char)*p) || *p == '_'))
            return 0;
    return 1;
}

static int on_entry(void *user, const char *section, const char *name, const char *value)
{
    parse_state *s = user;
    if (s->status != HS_OK)
        return 1;
    if (s->too_long) {
        fail(s, "line is longer than 199 characters (the INI reader's limit)");
        return 1;
    }
    char sub[128];
    const char *base = base_section(section, sub, sizeof sub);
    snprintf(s->section, sizeof s->section, "%s", section);
    int known = 0;
    for (size_t i = 0; i < NSECTIONS; i++)
        if (strcmp(base, sections[i]) == 0)
            known = 1;
    if (!known) {
        const char *sg = suggest_section(base);
        fail(s, "unknown section [%s]%s%s%s", section, sg ? " (did you mean [" : "",
             sg ? sg : "", sg ? (strcmp(sg, "group") == 0 ? ".NAME]?)" : "]?)") : "");
        return 1;
    }
    if (strcmp(base, "group") == 0 && !valid_name(sub)) {
        fail(s, "section [%s]: a group needs a name of letters, digits and _ ([group.asb])",
             section);
        return 1;
    }
    if (strcmp(base, "incidents") != 0 && strcmp(base, "group") != 0 && sub[0]) {
        fail(s, "section [%s]: [%s] takes no name", section, base);
        return 1;
    }
    const key_def *k = NULL;
    for (size_t i = 0; i < NKEYS; i++)
        if (strcmp(keys[i].section, base) == 0 && strcmp(keys[i].key, name) == 0)
            k = &keys[i];
    if (k == NULL) {
        const char *sg = suggest_key(base, name);
        fail(s, "[%s] unknown key '%s'%s%s%s", section, name, sg ? " (did you mean '" : "",
             sg ? sg : "", sg ? "'?)" : "");
        return 1;
    }
    void *target = s->job;
    if (k->target == T_SOURCE) {
        hs_job *j = s->job;
        size_t idx = j->nsources;
        for (size_t i = 0; i < j->nsources; i++)
            if (strcmp(j->sources[i].name, sub) == 0)
                idx = i;
        if (idx == j->nsources) {
            if (j->nsources == HS_JOB_MAX_SOURCES) {
                fail(s, "more than %d [incidents] sections", HS_JOB_MAX_SOURCES);
                return 1;
            }
            memset(&j->sources[idx], 0, sizeof j->sources[idx]);
            snprintf(j->sources[idx].name, sizeof j->sources[idx].name, "%s", sub);
            apply_defaults(s, "incidents", T_SOURCE, &j->sources[idx]);
            j->nsources++;
        }
        target = &j->sources[idx];
        if (strcmp(name, "path") == 0)
            s->seen_sources[idx] = 1;
    } else if (k->target == T_GROUP) {
        hs_job *j = s->job;
        size_t idx = j->ngroups;
        for (size_t i = 0; i < j->ngroups; i++)
            if (strcmp(j->groups[i].name, sub) == 0)
                idx = i;
        if (idx == j->ngroups) {
            if (j->ngroups == HS_JOB_MAX_GROUPS) {
                fail(s, "more than %d groups", HS_JOB_MAX_GROUPS);
                return 1;
            }
            memset(&j->groups[idx], 0, sizeof j->groups[idx]);
            snprintf(j->groups[idx].name, sizeof j->groups[idx].name, "%s", sub);
            j->ngroups++;
        }
        target = &j->groups[idx];
    }
    if (value[0] == '\0' && k->def == NULL) {
        fail(s, "[%s] %s: a value is required", section, name);
        return 1;
    }
    set_value(s, k, target, value);
    return 1;
}

/* Remove "." segments and "dir/.." pairs from a path, lexically ("data/demo/../../out/x" ->
 * "out/x"); leading ".." of a relative path stay. In place. */
static void normalize_path(char *path)
{
    char *seg[512];
    size_t nseg = 0;
    int absolute = path[0] == '/';
    char *save = NULL;
    char copy[8192];
    snprintf(copy, sizeof copy, "%s", path);
    for (char *tok = strtok_r(copy, "/", &save); tok && nseg < 512; tok = strtok_r(NULL, "/", &save)) {
        if (strcmp(tok, ".") == 0)
            continue;
        if (strcmp(tok, "..") == 0 && nseg > 0 && strcmp(seg[nseg - 1], "..") != 0) {
            nseg--;
            continue;
        }
        if (strcmp(tok, "..") == 0 && absolute)
            continue;
        seg[nseg++] = tok;
    }
    char out[8192];
    size_t o = 0;
    out[0] = '\0';
    if (absolute)
        out[o++] = '/';
    for (size_t k = 0; k < nseg; k++) {
        int w = snprintf(out + o, sizeof out - o, "%s%s", k ? "/" : "", seg[k]);
        if (w < 0 || (size_t)w >= sizeof out - o)
            return;
        o += (size_t)w;
    }
    if (o == 0)
        snprintf(out, sizeof out, ".");
    else
        out[o] = '\0';
    memcpy(path, out, strlen(out) + 1);
}

/* Resolve a relative path against dir, in place. */
static hs_status resolve(char *path, size_t size, const char *dir, const char *file,
                         const char *what)
{
    if (path[0] == '\0' || path[0] == '/' || dir[0] == '\0')
        return HS_OK;
    char buf[8192];
    int n = snprintf(buf, sizeof buf, "%s/%s", dir, path);
    if (n < 0 || (size_t)n >= size)
        return HS_EINVAL;
    (void)file;
    (void)what;
    memcpy(path, buf, (size_t)n + 1);
    normalize_path(path);
    return HS_OK;
}

hs_status hs_job_load(const char *path, const char *base_dir, hs_job *job, hs_error *err)
{
    memset(job, 0, sizeof *job);
    snprintf(job->file, sizeof job->file, "%s", path);
    const char *slash = strrchr(path, '/');
    if (base_dir)
        snprintf(job->dir, sizeof job->dir, "%s", base_dir);
    else if (slash)
        snprintf(job->dir, sizeof job->dir, "%.*s", (int)(slash - path), path);
    else
        snprintf(job->dir, sizeof job->dir, ".");
    parse_state s;
    memset(&s, 0, sizeof s);
    s.job = job;
    s.err = err;
    apply_defaults(&s, "job", T_JOB, job);
    for (size_t i = 0; i < NSECTIONS; i++)
        apply_defaults(&s, sections[i], T_JOB, job);
    s.f = fopen(path, "r");
    if (s.f == NULL)
        return hs_error_set(err, HS_EINVAL, path, 0, 0, "cannot open the job file: %s",
                            strerror(errno));
    int rc = ini_parse_stream(line_reader, &s, on_entry, &s);
    fclose(s.f);
    if (s.status == HS_OK && s.too_long)
        fail(&s, "line is longer than 199 characters (the INI reader's limit)");
    if (s.status != HS_OK)
        return s.status;
    if (rc != 0) {
        s.line = rc;
        return fail(&s, "not valid INI syntax (expected [section] or key = value)");
    }
    s.line = 0;
    if (job->nsources == 0)
        return fail(&s, "no [incidents] section: set [incidents] path = FILE or GLOB");
    for (size_t i = 0; i < job->nsources; i++)
        if (!s.seen_sources[i])
            return fail(&s, "[incidents%s%s] has no path", job->sources[i].name[0] ? "." : "",
                        job->sources[i].name);
    if (job->wards_path[0] == '\0')
        return fail(&s, "[wards] path is required (the ward polygons define the study area)");
    if (job->wards_code[0] == '\0')
        return fail(&s, "[wards] code is required (the field with the ward code)");
    if (strcmp(job->gistar_value, "rate") == 0 && job->wards_population[0] == '\0')
        return fail(&s, "[gistar] value = rate needs [wards] population (the field with "
                        "residents)");
    for (size_t i = 0; i < job->ngroups; i++)
        if (job->groups[i].ncategories == 0)
            return fail(&s, "[group.%s] has no categories", job->groups[i].name);
    if (job->name[0] == '\0') {
        const char *b = slash ? slash + 1 : path;
        const char *dot = strrchr(b, '.');
        snprintf(job->name, sizeof job->name, "%.*s", (int)(dot ? dot - b : (long)strlen(b)), b);
    }
    if (job->output[0] == '\0')
        snprintf(job->output, sizeof job->output, "out/%s/hotspots.gpkg", job->name);
    hs_status st = resolve(job->output, sizeof job->output, job->dir, path, "output");
    if (st == HS_OK)
        st = resolve(job->gazetteer, sizeof job->gazetteer, job->dir, path, "gazetteer");
    if (st == HS_OK)
        st = resolve(job->wards_path, sizeof job->wards_path, job->dir, path, "wards");
    for (size_t i = 0; st == HS_OK && i < job->nsources; i++)
        st = resolve(job->sources[i].path, sizeof job->sources[i].path, job->dir, path,
                     "incidents");
    if (st == HS_OK && job->store[0] == '\0') {
        if ((size_t)snprintf(job->store, sizeof job->store, "%s.store.sqlite", job->output) >=
            sizeof job->store)
            st = HS_EINVAL;
    } else if (st == HS_OK) {
        st = resolve(job->store, sizeof job->store, job->dir, path, "store");
    }
    if (st != HS_OK)
        return fail(&s, "a path becomes too long once joined to the job folder %s", job->dir);
    return HS_OK;
}

void hs_job_print_reference(FILE *out)
{
    const char *last = "";
    for (size_t i = 0; i < NKEYS; i++) {
        const key_def *k = &keys[i];
        if (strcmp(k->section, last) != 0) {
            if (strcmp(k->section, "group") == 0)
                fprintf(out, "\n[group.NAME]   (one per category group: asb, violence, ...)\n");
            else if (strcmp(k->section, "incidents") == 0)
                fprintf(out, "\n[incidents]   (or several [incidents.NAME] sections)\n");
            else
                fprintf(out, "\n[%s]\n", k->section);
            last = k->section;
        }
        const char *def = k->def == NULL ? "(required)" : (k->def[0] ? k->def : "(none)");
        fprintf(out, "  %-18s default %-12s %s\n", k->key, def, k->help);
    }
}

void hs_job_visit(const hs_job *job, hs_job_visit_fn fn, void *user)
{
    char buf[8192], key[256];
    for (size_t i = 0; i < NKEYS; i++) {
        const key_def *k = &keys[i];
        size_t nbase = 1;
        if (k->target == T_SOURCE)
            nbase = job->nsources;
        else if (k->target == T_GROUP)
            nbase = job->ngroups;
        for (size_t b = 0; b < nbase; b++) {
            const char *base = (const char *)job;
            if (k->target == T_SOURCE) {
                base = (const char *)&job->sources[b];
                snprintf(key, sizeof key, "incidents%s%s.%s", job->sources[b].name[0] ? "." : "",
                         job->sources[b].name, k->key);
            } else if (k->target == T_GROUP) {
                base = (const char *)&job->groups[b];
                snprintf(key, sizeof key, "group.%s.%s", job->groups[b].name, k->key);
            } else {
                snprintf(key, sizeof key, "%s.%s", k->section, k->key);
            }
            const char *field = base + k->offset;
            switch (k->kind) {
            case K_STR:
            case K_PATH:
            case K_CHOICE:
            case K_WEIGHTS:
            case K_THRESHOLD:
                snprintf(buf, sizeof buf, "%s", field);
                break;
            case K_BOOL:
                snprintf(buf, sizeof buf, "%s", *(const int *)(const void *)field ? "yes" : "no");
                break;
            case K_INT:
                if (k->target == T_JOB && k->offset == offsetof(hs_job, seed))
                    snprintf(buf, sizeof buf, "%llu",
                             (unsigned long long)*(const uint64_t *)(const void *)field);
                else
                    snprintf(buf, sizeof buf, "%d", *(const int *)(const void *)field);
                break;
            case K_REAL:
            case K_REAL_AUTO: {
                double d = *(const double *)(const void *)field;
                if (k->kind == K_REAL_AUTO && d == 0.0)
                    snprintf(buf, sizeof buf, "auto");
                else
                    snprintf(buf, sizeof buf, "%.17g", d);
                break;
            }
            case K_LIST: {
                const hs_job_group *g = (const hs_job_group *)(const void *)base;
                size_t o = 0;
                buf[0] = '\0';
                for (size_t c = 0; c < g->ncategories && o < sizeof buf; c++)
                    o += (size_t)snprintf(buf + o, sizeof buf - o, "%s%s", c ? "; " : "",
                                          g->categories[c]);
                break;
            }
            }
            fn(key, buf, user);
        }
    }
}
