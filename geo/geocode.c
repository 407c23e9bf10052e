/* geocode.c - the geocoder cascade for one incident (see geocode.h for the order, scores and
 * reasons) and its result cache.
 *
 * Must not: print, transform given coordinates (geo/transform does), or let the cache change
 * a result: the cache key is every input of the query verbatim, so a hit returns exactly what
 * the cascade would compute.
 */
#include "geo/geocode.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define HS_GEOCODE_MAX_CANDIDATES  64   /* exact-name candidates looked at (nearest first) */
#define HS_GEOCODE_MAX_NEAR        4096 /* fuzzy candidates looked at (nearest first) */
#define HS_GEOCODE_MAX_NAMES       8    /* names tried per row (location, address parts) */
#define HS_SCORE_POSTCODE_IN_TEXT  0.95
#define HS_SCORE_ONE_ROAD_SECTIONS 0.95
#define HS_SCORE_BY_LOCALITY       0.9
#define HS_SCORE_BY_PROXIMITY      0.8
#define HS_SCORE_SNAP_OTHER_LSOA   0.6

void hs_geocode_params_default(hs_geocode_params *p)
{
    p->hint_radius_m = 2000.0;
    p->lsoa_margin_m = 1000.0;
    p->snap_other_max_m = 500.0;
    p->same_street_m = 1000.0;
    p->fuzzy_min_score = 0.9;
    p->cache_entries = 32768;
}

const char *hs_geocode_reason_str(hs_geocode_reason r)
{
    switch (r) {
    case HS_GEOCODE_PLACED:
        return "";
    case HS_GEOCODE_NO_LOCATION:
        return "no location";
    case HS_GEOCODE_INVALID_TEXT:
        return "location text is not valid UTF-8";
    case HS_GEOCODE_TEXT_TOO_LONG:
        return "location text too long";
    case HS_GEOCODE_INVALID_POSTCODE:
        return "invalid postcode";
    case HS_GEOCODE_POSTCODE_NOT_FOUND:
        return "postcode not in gazetteer";
    case HS_GEOCODE_STREET_NOT_FOUND:
        return "street not found";
    case HS_GEOCODE_STREET_TOO_FAR:
        return "street not found near the area";
    case HS_GEOCODE_AMBIGUOUS:
        return "ambiguous street name";
    }
    return "unknown reason";
}

/* ---- cache ------------------------------------------------------------------------------- */

typedef struct cache_entry {
    uint64_t hash;       /* FNV-1a 64 of the key */
    size_t key_off;      /* key bytes in the arena */
    size_t key_len;      /* key length */
    hs_geocode_result r; /* the answer */
} cache_entry;

typedef struct cache {
    size_t cap;         /* entries kept before the cache is emptied; 0 = off */
    size_t n;           /* entries in use */
    cache_entry *entry; /* entries, dense */
    uint32_t *slot;     /* open-addressing table: entry index + 1, 0 = empty */
    size_t mask;        /* slot count - 1 (a power of two, at least 2 * cap) */
    char *arena;        /* key bytes */
    size_t arena_len;   /* bytes used */
    size_t arena_cap;   /* bytes allocated */
} cache;

static uint64_t hash_bytes(const char *s, size_t n)
{
    uint64_t h = 14695981039346656037ull;
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ull;
    }
    return h;
}

static hs_status cache_init(cache *c, size_t cap)
{
    memset(c, 0, sizeof *c);
    if (cap == 0)
        return HS_OK;
    if (cap > UINT32_MAX / 4)
        return HS_EINVAL;
    size_t slots = 1;
    while (slots < 2 * cap)
        slots *= 2;
    c->cap = cap;
    c->mask = slots - 1;
    c->arena_cap = cap * 96;
    c->entry = malloc(cap * sizeof *c->entry);
    c->slot = calloc(slots, sizeof *c->slot);
    c->arena = malloc(c->arena_cap);
    return (c->entry && c->slot && c->arena) ? HS_OK : HS_ENOMEM;
}

static void cache_free(cache *c)
{
    free(c->entry);
    free(c->slot);
    free(c->arena);
}

static const hs_geocode_result *cache_get(const cache *c, const char *key, size_t len, uint64_t h)
{
    if (c->cap == 0)
        return NULL;
    for (size_t i = h & c->mask; c->slot[i] != 0; i = (i + 1) & c->mask) {
        const cache_entry *e = &c->entry[c->slot[i] - 1];
        if (e->hash == h && e->key_len == len && memcmp(c->arena + e->key_off, key, len) == 0)
            return &e->r;
    }
    return NULL;
}

/* Remember r under key; when full, start again empty (simple, and results do not change). */
static void cache_put(cache *c, const char *key, size_t len, uint64_t h, const hs_geocode_result *r)
{
    if (c->cap == 0 || len > c->arena_cap)
        return;
    if (c->n == c->cap || c->arena_len + len > c->arena_cap) {
        memset(c->slot, 0, (c->mask + 1) * sizeof *c->slot);
        c->n = 0;
        c->arena_len = 0;
    }
    size_t i = h & c->mask;
    while (c->slot[i] != 0)
        i = (i + 1) & c->mask;
    cache_entry *e = &c->entry[c->n];
    e->hash = h;
    e->key_off = c->arena_len;
    e->key_len = len;
    e->r = *r;
    memcpy(c->arena + c->arena_len, key, len);
    c->arena_len += len;
    c->slot[i] = (uint32_t)(++c->n);
}

/* ---- the geocoder ------------------------------------------------------------------------- */

struct hs_geocoder {
    hs_gazetteer *g;          /* this geocoder's connection */
    hs_geocode_params p;      /* parameters */
    hs_gazetteer_entry *cand; /* exact-name candidates (HS_GEOCODE_MAX_CANDIDATES) */
    hs_gazetteer_entry *near; /* fuzzy candidates (HS_GEOCODE_MAX_NEAR) */
    cache cache;              /* query -> result */
    char *key;                /* the current query's cache key */
    size_t key_cap;           /* bytes allocated for key */
    size_t rows;              /* rows geocoded */
    size_t hits;              /* rows answered from the cache */
};

static hs_status check_params(const hs_geocode_params *p, hs_error *err)
{
    if (!(p->hint_radius_m > 0.0) || !(p->lsoa_margin_m >= 0.0) || !(p->snap_other_max_m >= 0.0) ||
        !(p->same_street_m >= 0.0) || !(p->fuzzy_min_score > 0.0 && p->fuzzy_min_score <= 1.0))
        return hs_error_set(err, HS_EINVAL, NULL, 0, 0,
                            "geocoder parameters out of range: radii must be >= 0 (hint "
                            "radius > 0) and the fuzzy score in (0, 1]");
    return HS_OK;
}

hs_status hs_geocoder_create(const char *gazetteer_path, const hs_geocode_params *p,
                             hs_geocoder **out, hs_error *err)
{
    *out = NULL;
    hs_geocode_params defaults;
    hs_geocode_params_default(&defaults);
    if (p == NULL)
        p = &defaults;
    hs_status st = check_params(p, err);
    if (st != HS_OK)
        return st;
    hs_geocoder *gc = calloc(1, sizeof *gc);
    if (gc == NULL)
        return hs_error_set(err, HS_ENOMEM, NULL, 0, 0, "out of memory for a geocoder");
    gc->p = *p;
    st = hs_gazetteer_open(gazetteer_path, &gc->g, err);
    if (st != HS_OK)
        goto fail;
    gc->cand = malloc(HS_GEOCODE_MAX_CANDIDATES * sizeof *gc->cand);
    gc->near = malloc(HS_GEOCODE_MAX_NEAR * sizeof *gc->near);
    gc->key_cap = 1024;
    gc->key = malloc(gc->key_cap);
    st = cache_init(&gc->cache, p->cache_entries);
    if (st == HS_EINVAL) {
        st = hs_error_set(err, st, NULL, 0, 0, "geocoder cache of %zu entries is too large",
                          p->cache_entries);
        goto fail;
    }
    if (st != HS_OK || gc->cand == NULL || gc->near == NULL || gc->key == NULL) {
        st = hs_error_set(err, HS_ENOMEM, NULL, 0, 0, "out of memory for a geocoder");
        goto fail;
    }
    *out = gc;
    return HS_OK;
fail:
    hs_geocoder_destroy(gc);
    return st;
}

void hs_geocoder_destroy(hs_geocoder *gc)
{
    if (gc == NULL)
        return;
    cache_free(&gc->cache);
    free(gc->key);
    free(gc->near);
    free(gc->cand);
    hs_gazetteer_close(gc->g);
    free(gc);
}

void hs_geocoder_stats(const hs_geocoder *gc, size_t *rows, size_t *cache_hits)
{
    if (rows)
        *rows = gc->rows;
    if (cache_hits)
        *cache_hits = gc->hits;
}

/* ---- a prepared query ---------------------------------------------------------------------- */

typedef struct area {
    int known;      /* a centre is known */
    double x, y;    /* centre, EPSG:27700 */
    double reach_m; /* farthest a street or fuzzy match may lie from the centre */
    int from_lsoa;  /* the centre is the LSOA's learnt centre */
} area;

typedef struct prepared {
    const hs_geocode_query *q;                      /* the query */
    char names[HS_GEOCODE_MAX_NAMES][HS_NAME_SIZE]; /* names to try, in order */
    size_t n_names;                                 /* how many */
    char locality[HS_GAZ_LOCALITY_SIZE];            /* normalised locality hint, or "" */
    area a;                                         /* where the row should be */
    hs_geocode_reason text_problem;                 /* INVALID_TEXT / TOO_LONG seen, else PLACED */
} prepared;

static int empty(const char *s)
{
    return s == NULL || s[0] == '\0';
}

/* Note a normalisation failure (the first one wins). */
static void note_text_problem(prepared *pq, hs_status ns)
{
    if (pq->text_problem == HS_GEOCODE_PLACED && ns != HS_OK)
        pq->text_problem = ns == HS_EDATA ? HS_GEOCODE_INVALID_TEXT : HS_GEOCODE_TEXT_TOO_LONG;
}

/* Add a name (normalised from text[0..len)) unless empty, a repeat, or there is no room. */
static void add_name(prepared *pq, const char *text, size_t len, int strip_numbers)
{
    if (pq->n_names == HS_GEOCODE_MAX_NAMES)
        return;
    char *out = pq->names[pq->n_names];
    hs_status ns = hs_name_normalize(text, len, out, HS_NAME_SIZE);
    note_text_problem(pq, ns);
    if (ns != HS_OK)
        return;
    if (strip_numbers)
        hs_name_strip_house_number(out);
    char pc[HS_POSTCODE_SIZE];
    if (out[0] == '\0' || hs_postcode_normalize(out, pc))
        return; /* nothing left, or only a postcode */
    for (size_t i = 0; i < pq->n_names; i++)
        if (strcmp(pq->names[i], out) == 0)
            return;
    pq->n_names++;
}

/* Add each comma-separated part of text, house numbers removed. */
static void add_parts(prepared *pq, const char *text)
{
    if (empty(text) || strchr(text, ',') == NULL)
        return;
    for (const char *s = text;;) {
        const char *e = strchr(s, ',');
        size_t len = e ? (size_t)(e - s) : strlen(s);
        add_name(pq, s, len, 1);
        if (e == NULL)
            break;
        s = e + 1;
    }
}

static void prepare_locality(prepared *pq)
{
    const hs_geocode_query *q = pq->q;
    hs_status ns = HS_OK;
    if (!empty(q->locality))
        ns = hs_name_normalize(q->locality, strlen(q->locality), pq->locality, sizeof pq->locality);
    else if (!empty(q->lsoa_name))
        ns = hs_locality_from_lsoa_name(q->lsoa_name, pq->locality, sizeof pq->locality);
    if (ns != HS_OK)
        pq->locality[0] = '\0';
}

static hs_status prepare_area(hs_geocoder *gc, prepared *pq, hs_error *err)
{
    const hs_geocode_query *q = pq->q;
    area *a = &pq->a;
    if (q->has_hint && isfinite(q->hint_x_m) && isfinite(q->hint_y_m)) {
        a->known = 1;
        a->x = q->hint_x_m;
        a->y = q->hint_y_m;
        a->reach_m = gc->p.hint_radius_m;
        return HS_OK;
    }
    if (empty(q->lsoa_code))
        return HS_OK;
    double radius;
    int found;
    hs_status st = hs_gazetteer_find_lsoa(gc->g, q->lsoa_code, &a->x, &a->y, &radius, &found, err);
    if (st == HS_OK && found) {
        a->known = 1;
        a->from_lsoa = 1;
        a->reach_m = radius + gc->p.lsoa_margin_m;
    }
    return st;
}

static hs_status prepare(hs_geocoder *gc, const hs_geocode_query *q, prepared *pq, hs_error *err)
{
    memset(pq, 0, sizeof *pq);
    pq->q = q;
    /* police.uk writes "No Location" where it has none: that is no text, not a place name. */
    if (!empty(q->location) && strcasecmp(q->location, "No Location") != 0)
        add_name(pq, q->location, strlen(q->location), 0);
    add_parts(pq, q->location);
    add_parts(pq, q->address);
    if (!empty(q->address) && strchr(q->address, ',') == NULL)
        add_name(pq, q->address, strlen(q->address), 1);
    prepare_locality(pq);
    return prepare_area(gc, pq, err);
}

/* ---- results ------------------------------------------------------------------------------- */

/* Results are zeroed first, padding and name tail included, so that equal results are
 * equal bytes (callers compare outputs across thread counts with memcmp). */
static void result_fail(hs_geocode_result *r, hs_geocode_reason why)
{
    memset(r, 0, sizeof *r);
    r->x_m = r->y_m = NAN;
    r->method = HS_METHOD_NONE;
    r->score = 0.0;
    r->precision_m = NAN;
    r->reason = why;
    r->matched[0] = '\0';
}

static void result_place(hs_geocode_result *r, const hs_gazetteer_entry *e, hs_method m,
                         double score, double precision_m)
{
    memset(r, 0, sizeof *r);
    r->x_m = e->x_m;
    r->y_m = e->y_m;
    r->method = m;
    r->score = score;
    r->precision_m = precision_m;
    r->reason = HS_GEOCODE_PLACED;
    snprintf(r->matched, sizeof r->matched, "%s", e->name);
}

static double dist(double x0, double y0, double x1, double y1)
{
    return hypot(x1 - x0, y1 - y0);
}

static hs_method method_of(const hs_gazetteer_entry *e)
{
    switch (e->kind) {
    case HS_GAZ_STREET:
        return HS_METHOD_STREET;
    case HS_GAZ_SNAP:
        return HS_METHOD_SNAP_POINT;
    case HS_GAZ_POSTCODE:
        return HS_METHOD_POSTCODE;
    case HS_GAZ_PLACE:
        return HS_METHOD_PLACE;
    }
    return HS_METHOD_PLACE;
}

/* ---- step 1: snap point of the row's LSOA ------------------------------------------------- */

static hs_status try_snap_same_lsoa(hs_geocoder *gc, const prepared *pq, hs_geocode_result *r,
                                    int *placed, hs_error *err)
{
    *placed = 0;
    if (empty(pq->q->lsoa_code) || pq->n_names == 0)
        return HS_OK;
    size_t n;
    hs_status st = hs_gazetteer_find_name(gc->g, pq->names[0], HS_GAZ_SNAP, pq->q->lsoa_code, NULL,
                                          gc->cand, HS_GEOCODE_MAX_CANDIDATES, &n, err);
    if (st != HS_OK || n == 0)
        return st;
    /* Sorted by weight: the first is where most past incidents of this text were put. */
    const hs_gazetteer_entry *best = &gc->cand[0];
    double total = 0.0, spread = 0.0;
    for (size_t i = 0; i < n; i++) {
        total += (double)gc->cand[i].weight;
        double d = dist(best->x_m, best->y_m, gc->cand[i].x_m, gc->cand[i].y_m);
        spread = d > spread ? d : spread;
    }
    double prec = best->precision_m > spread ? best->precision_m : spread;
    result_place(r, best, HS_METHOD_SNAP_POINT, (double)best->weight / total, prec);
    *placed = 1;
    return HS_OK;
}

/* ---- step 2: postcodes ----------------------------------------------------------------------- */

/* Look up one normalised postcode; *why = POSTCODE_NOT_FOUND when absent. */
static hs_status try_postcode(hs_geocoder *gc, const char *pc, double score, hs_geocode_result *r,
                              int *placed, hs_geocode_reason *why, hs_error *err)
{
    hs_gazetteer_entry e;
    int found;
    hs_status st = hs_gazetteer_find_postcode(gc->g, pc, &e, &found, err);
    if (st == HS_OK && found) {
        result_place(r, &e, HS_METHOD_POSTCODE, score, e.precision_m);
        *placed = 1;
    } else if (st == HS_OK) {
        *why = HS_GEOCODE_POSTCODE_NOT_FOUND;
    }
    return st;
}

static hs_status try_postcodes(hs_geocoder *gc, const prepared *pq, hs_geocode_result *r,
                               int *placed, hs_geocode_reason *why, hs_error *err)
{
    const hs_geocode_query *q = pq->q;
    char pc[HS_POSTCODE_SIZE], tried[HS_POSTCODE_SIZE] = "";
    hs_status st = HS_OK;
    *placed = 0;
    if (!empty(q->postcode)) {
        if (hs_postcode_normalize(q->postcode, pc)) {
            st = try_postcode(gc, pc, 1.0, r, placed, why, err);
            memcpy(tried, pc, sizeof pc);
        } else {
            *why = HS_GEOCODE_INVALID_POSTCODE;
        }
    }
    const char *texts[2] = {q->address, q->location};
    for (size_t i = 0; i < 2 && st == HS_OK && !*placed; i++)
        if (!empty(texts[i]) && hs_postcode_extract(texts[i], pc) && strcmp(pc, tried) != 0) {
            st = try_postcode(gc, pc, HS_SCORE_POSTCODE_IN_TEXT, r, placed, why, err);
            memcpy(tried, pc, sizeof pc);
        }
    return st;
}

/* ---- step 3: exact street or place name ------------------------------------------------------ */

static int locality_matches(const hs_gazetteer_entry *e, const char *loc)
{
    return strcmp(e->place, loc) == 0 || strcmp(e->district, loc) == 0 ||
           strcmp(e->county, loc) == 0 ||
           (e->postcode_district[0] != '\0' && strcasecmp(e->postcode_district, loc) == 0);
}

/* Keep in idx the candidates of the row's locality, if any has it. Returns how many kept and
 * sets *narrowed when the locality removed some. */
static size_t by_locality(const hs_gazetteer_entry *c, size_t n, const char *loc, size_t *idx,
                          int *narrowed)
{
    size_t m = 0;
    for (size_t i = 0; i < n && loc[0] != '\0'; i++)
        if (locality_matches(&c[i], loc))
            idx[m++] = i;
    *narrowed = m > 0 && m < n;
    if (m > 0)
        return m;
    for (size_t i = 0; i < n; i++)
        idx[i] = i;
    return n;
}

/* Largest distance between two of the chosen candidates. */
static double spread_of(const hs_gazetteer_entry *c, const size_t *idx, size_t m)
{
    double s = 0.0;
    for (size_t i = 0; i < m; i++)
        for (size_t j = i + 1; j < m; j++) {
            double d = dist(c[idx[i]].x_m, c[idx[i]].y_m, c[idx[j]].x_m, c[idx[j]].y_m);
            s = d > s ? d : s;
        }
    return s;
}

/* The candidate nearest to the mean of the chosen ones (first on ties). */
static size_t central(const hs_gazetteer_entry *c, const size_t *idx, size_t m)
{
    double mx = 0.0, my = 0.0;
    for (size_t i = 0; i < m; i++) {
        mx += c[idx[i]].x_m;
        my += c[idx[i]].y_m;
    }
    mx /= (double)m;
    my /= (double)m;
    size_t best = idx[0];
    double bd = dist(mx, my, c[best].x_m, c[best].y_m);
    for (size_t i = 1; i < m; i++) {
        double d = dist(mx, my, c[idx[i]].x_m, c[idx[i]].y_m);
        if (d < bd) {
            bd = d;
            best = idx[i];
        }
    }
    return best;
}

/* Choose among n exact-name candidates (sorted nearest to the area centre first when the
 * area is known). Returns 1 and places r, or 0 with *why set. */
static int choose_candidate(const hs_geocoder *gc, const prepared *pq, const hs_gazetteer_entry *c,
                            size_t n, hs_geocode_result *r, hs_geocode_reason *why)
{
    size_t idx[HS_GEOCODE_MAX_CANDIDATES];
    int narrowed;
    size_t m = by_locality(c, n, pq->locality, idx, &narrowed);
    double spread = spread_of(c, idx, m);
    int one_road = spread <= gc->p.same_street_m;
    double score = n == 1                  ? 1.0
                   : one_road && !narrowed ? HS_SCORE_ONE_ROAD_SECTIONS
                   : one_road              ? HS_SCORE_BY_LOCALITY
                                           : HS_SCORE_BY_PROXIMITY;
    if (pq->a.known) {
        const hs_gazetteer_entry *e = &c[idx[0]];
        if (dist(pq->a.x, pq->a.y, e->x_m, e->y_m) > pq->a.reach_m) {
            *why = HS_GEOCODE_STREET_TOO_FAR;
            return 0;
        }
        result_place(r, e, method_of(e), score, e->precision_m);
        return 1;
    }
    if (!one_road) {
        *why = HS_GEOCODE_AMBIGUOUS;
        return 0;
    }
    const hs_gazetteer_entry *e = &c[central(c, idx, m)];
    double prec = e->precision_m > spread / 2.0 ? e->precision_m : spread / 2.0;
    result_place(r, e, method_of(e), score, prec);
    return 1;
}

/* The strongest of two failure reasons of the name steps. */
static hs_geocode_reason stronger(hs_geocode_reason a, hs_geocode_reason b)
{
    return a > b ? a : b;
}

static hs_status try_name(hs_geocoder *gc, const prepared *pq, const char *name,
                          hs_geocode_result *r, int *placed, hs_geocode_reason *why, hs_error *err)
{
    size_t n;
    double centre[2] = {pq->a.x, pq->a.y};
    hs_status st = hs_gazetteer_find_name(gc->g, name, HS_GAZ_STREET | HS_GAZ_PLACE, NULL,
                                          pq->a.known ? centre : NULL, gc->cand,
                                          HS_GEOCODE_MAX_CANDIDATES, &n, err);
    if (st != HS_OK)
        return st;
    hs_geocode_reason w = HS_GEOCODE_STREET_NOT_FOUND;
    *placed = n > 0 && choose_candidate(gc, pq, gc->cand, n, r, &w);
    if (!*placed)
        *why = stronger(*why, w);
    return HS_OK;
}

static hs_status try_names(hs_geocoder *gc, const prepared *pq, hs_geocode_result *r, int *placed,
                           hs_geocode_reason *why, hs_error *err)
{
    hs_status st = HS_OK;
    *placed = 0;
    for (size_t i = 0; i < pq->n_names && st == HS_OK && !*placed; i++)
        st = try_name(gc, pq, pq->names[i], r, placed, why, err);
    return st;
}

/* ---- step 4: snap point of another LSOA ------------------------------------------------------ */

static hs_status try_snap_other_lsoa(hs_geocoder *gc, const prepared *pq, hs_geocode_result *r,
                                     int *placed, hs_geocode_reason *why, hs_error *err)
{
    *placed = 0;
    if (!pq->a.known || !pq->a.from_lsoa || pq->n_names == 0)
        return HS_OK;
    size_t n;
    double centre[2] = {pq->a.x, pq->a.y};
    hs_status st = hs_gazetteer_find_name(gc->g, pq->names[0], HS_GAZ_SNAP, NULL, centre, gc->cand,
                                          1, &n, err);
    if (st != HS_OK || n == 0)
        return st;
    const hs_gazetteer_entry *e = &gc->cand[0];
    if (dist(pq->a.x, pq->a.y, e->x_m, e->y_m) > gc->p.snap_other_max_m) {
        *why = stronger(*why, HS_GEOCODE_STREET_TOO_FAR);
        return HS_OK;
    }
    result_place(r, e, HS_METHOD_SNAP_POINT, HS_SCORE_SNAP_OTHER_LSOA, e->precision_m);
    *placed = 1;
    return HS_OK;
}

/* ---- step 5: fuzzy ------------------------------------------------------------------------------
 */

static hs_status try_fuzzy(hs_geocoder *gc, const prepared *pq, hs_geocode_result *r, int *placed,
                           hs_error *err)
{
    *placed = 0;
    if (!pq->a.known || pq->n_names == 0)
        return HS_OK;
    size_t n;
    hs_status st = hs_gazetteer_find_near(gc->g, pq->a.x, pq->a.y, pq->a.reach_m,
                                          HS_GAZ_STREET | HS_GAZ_PLACE | HS_GAZ_SNAP, gc->near,
                                          HS_GEOCODE_MAX_NEAR, &n, err);
    if (st != HS_OK)
        return st;
    size_t best = n;
    double best_score = 0.0;
    for (size_t i = 0; i < n; i++) {
        /* The same name was judged by the exact steps (too far, or ambiguous): not a
         * spelling variant to rescue here. */
        if (strcmp(pq->names[0], gc->near[i].name) == 0)
            continue;
        double s = hs_name_similarity(pq->names[0], gc->near[i].name);
        if (s > best_score) { /* strict: the nearest wins ties */
            best_score = s;
            best = i;
        }
    }
    if (best == n || best_score < gc->p.fuzzy_min_score)
        return HS_OK;
    result_place(r, &gc->near[best], HS_METHOD_FUZZY, best_score, gc->near[best].precision_m);
    *placed = 1;
    return HS_OK;
}

/* ---- the cascade -------------------------------------------------------------------------------
 */

/* The reason to report when nothing placed the row. */
static hs_geocode_reason final_reason(const prepared *pq, hs_geocode_reason postcode_why,
                                      hs_geocode_reason name_why)
{
    if (postcode_why != HS_GEOCODE_PLACED)
        return postcode_why;
    if (pq->n_names > 0)
        return name_why != HS_GEOCODE_PLACED ? name_why : HS_GEOCODE_STREET_NOT_FOUND;
    if (pq->text_problem != HS_GEOCODE_PLACED)
        return pq->text_problem;
    return HS_GEOCODE_NO_LOCATION;
}

static hs_status cascade(hs_geocoder *gc, const prepared *pq, hs_geocode_result *r, hs_error *err)
{
    hs_geocode_reason pc_why = HS_GEOCODE_PLACED, name_why = HS_GEOCODE_PLACED;
    int placed = 0;
    hs_status st = try_snap_same_lsoa(gc, pq, r, &placed, err);
    if (st == HS_OK && !placed)
        st = try_postcodes(gc, pq, r, &placed, &pc_why, err);
    if (st == HS_OK && !placed)
        st = try_names(gc, pq, r, &placed, &name_why, err);
    if (st == HS_OK && !placed)
        st = try_snap_other_lsoa(gc, pq, r, &placed, &name_why, err);
    if (st == HS_OK && !placed)
        st = try_fuzzy(gc, pq, r, &placed, err);
    if (st == HS_OK && !placed)
        result_fail(r, final_reason(pq, pc_why, name_why));
    return st;
}

/* The cache key: every input verbatim, separated by 0x1F (unit separator). */
static size_t make_key(hs_geocoder *gc, const hs_geocode_query *q)
{
    char hint[64] = "";
    if (q->has_hint)
        snprintf(hint, sizeof hint, "%.17g,%.17g", q->hint_x_m, q->hint_y_m);
    const char *parts[] = {q->location,  q->address,  q->postcode, q->lsoa_code,
                           q->lsoa_name, q->locality, hint};
    size_t len = 0;
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++)
        len += (parts[i] ? strlen(parts[i]) : 0) + 1;
    if (len > gc->key_cap) {
        char *k = realloc(gc->key, len);
        if (k == NULL)
            return 0; /* no cache for this row */
        gc->key = k;
        gc->key_cap = len;
    }
    size_t o = 0;
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
        size_t l = parts[i] ? strlen(parts[i]) : 0;
        memcpy(gc->key + o, parts[i] ? parts[i] : "", l);
        o += l;
        gc->key[o++] = '\x1f';
    }
    return o;
}

hs_status hs_geocode_one(hs_geocoder *gc, const hs_geocode_query *q, hs_geocode_result *r,
                         hs_error *err)
{
    gc->rows++;
    size_t klen = make_key(gc, q);
    uint64_t h = hash_bytes(gc->key, klen);
    const hs_geocode_result *hit = klen ? cache_get(&gc->cache, gc->key, klen, h) : NULL;
    if (hit != NULL) {
        *r = *hit;
        gc->hits++;
        return HS_OK;
    }
    prepared pq;
    result_fail(r, HS_GEOCODE_NO_LOCATION);
    hs_status st = prepare(gc, q, &pq, err);
    if (st == HS_OK)
        st = cascade(gc, &pq, r, err);
    if (st != HS_OK) {
        result_fail(r, HS_GEOCODE_NO_LOCATION);
        return st;
    }
    if (klen)
        cache_put(&gc->cache, gc->key, klen, h, r);
    return HS_OK;
}
