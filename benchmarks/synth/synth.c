/* synth.c - seeded Canterbury-like district generator (see synth.h).
 * Must not: do I/O, depend on anything but libc/libm. Random numbers: splitmix64 on one
 * sequential stream per district (the generator is single-threaded by design). */
#include "benchmarks/synth/synth.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HS_PI 3.14159265358979323846

const char *const hs_synth_categories[] = {
    "Anti-social behaviour", "Bicycle theft",  "Burglary",
    "Criminal damage and arson", "Drugs",       "Other crime",
    "Other theft",           "Possession of weapons", "Public order",
    "Robbery",               "Shoplifting",    "Theft from the person",
    "Vehicle crime",         "Violence and sexual offences"};
const size_t hs_synth_ncategories = sizeof hs_synth_categories / sizeof hs_synth_categories[0];

enum { CAT_ASB = 0, CAT_OTHER_CRIME = 5, CAT_WEAPONS = 7, CAT_PUBLIC_ORDER = 8, CAT_ROBBERY = 9,
       CAT_SHOPLIFTING = 10, CAT_VIOLENCE = 13 };

/* Background shares of police.uk rows per category (roughly England and Wales 2024). */
static const double category_share[] = {0.24, 0.01, 0.04, 0.08, 0.02, 0.02, 0.06,
                                        0.01, 0.07, 0.01, 0.07, 0.01, 0.05, 0.30};

static const char *const ward_names[] = {
    "Abbey Fields", "Barton Hill",   "Castle",        "Dane John",     "Eastbridge",
    "Forstal",      "Greenfields",   "Harbledown",    "Hales Place",   "Kingsmead",
    "Littlebourne", "Marlowe",       "Northgate Fields", "Oaten Hill", "Riverside",
    "St Martin's",  "Sturry Road",   "Westgate Park", "Wincheap Green", "Blean Woods",
    "Chestfield Vale", "Tankerton Heights", "Reculver Marsh", "Seasalter Levels"};
#define NWARD_NAMES (sizeof ward_names / sizeof ward_names[0])

static const char *const street_first[] = {
    "Church", "Mill",     "Station",  "High",      "Park",     "Victoria", "King's",
    "Queen's", "St Peter's", "Orchard", "Castle",  "London",   "Dover",    "Canterbury",
    "Whitstable", "Sturry", "Nunnery", "Oaten",    "Ivy",      "Rose",     "Cherry",
    "Hawthorn", "Beech",    "Chestnut", "Forge",   "Vicarage", "Manor",    "Abbey",
    "Northgate", "Military", "New",     "Old Dover", "Broad",  "Lower",    "Upper",
    "St Dunstan's", "Rheims", "Ethelbert", "Hanover", "Burgate", "Palace", "Sun",
    "Best",     "Marlowe",  "Pound",    "Wincheap", "Hollow",   "Sandy",    "Blackberry",
    "Elm",      "Willow",   "Meadow",   "Chapel",   "School",   "Bridge",   "Water",
    "Tower",    "Windmill", "Cross",    "Bell"};
static const char *const street_suffix[] = {
    "Street", "Road", "Lane", "Avenue", "Close", "Way", "Gardens", "Crescent", "Drive",
    "Place",  "Hill", "Terrace"};
#define NFIRST (sizeof street_first / sizeof street_first[0])
#define NSUFFIX (sizeof street_suffix / sizeof street_suffix[0])

static const char *const poi_names[] = {
    "Supermarket", "Parking Area", "Petrol Station", "Shopping Area",
    "Sports/Recreation Area", "Bus/Coach Station", "Hospital", "Further/Higher Educational Building",
    "Police Station", "Conference/Exhibition Centre", "Theatre/Concert Hall", "Park/Open Space"};
#define NPOI (sizeof poi_names / sizeof poi_names[0])

/* ---- random numbers -------------------------------------------------------------------- */

typedef struct rng {
    uint64_t s; /* splitmix64 state */
} rng;

static uint64_t next_u64(rng *r)
{
    uint64_t z = (r->s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static double uniform(rng *r)
{
    return (double)(next_u64(r) >> 11) * (1.0 / 9007199254740992.0);
}

static size_t below(rng *r, size_t n)
{
    return n ? (size_t)(uniform(r) * (double)n) : 0;
}

static double normal(rng *r)
{
    double u1 = uniform(r), u2 = uniform(r);
    if (u1 < 1e-300)
        u1 = 1e-300;
    return sqrt(-2.0 * log(u1)) * cos(2.0 * HS_PI * u2);
}

static size_t pick_weighted(rng *r, const double *w, size_t n)
{
    double total = 0.0;
    for (size_t i = 0; i < n; i++)
        total += w[i];
    double u = uniform(r) * total;
    for (size_t i = 0; i < n; i++) {
        if (u < w[i])
            return i;
        u -= w[i];
    }
    return n - 1;
}

/* ---- geometry -------------------------------------------------------------------------- */

static int ring_contains(const hs_synth_ward *w, double x, double y)
{
    int inside = 0;
    for (size_t i = 0, j = w->nring - 1; i < w->nring; j = i++) {
        double xi = w->ring_x[i], yi = w->ring_y[i], xj = w->ring_x[j], yj = w->ring_y[j];
        if (((yi > y) != (yj > y)) && (x < (xj - xi) * (y - yi) / (yj - yi) + xi))
            inside = !inside;
    }
    return inside;
}

static int ward_of(const hs_synth_district *d, double x, double y)
{
    for (size_t k = 0; k < d->nwards; k++)
        if (ring_contains(&d->wards[k], x, y))
            return (int)k;
    return -1;
}

/* Warp of the lattice: wards are smaller in the centre of the district. */
static double warp(double u)
{
    return u + 0.5 * sin(2.0 * HS_PI * u) / (2.0 * HS_PI);
}

enum { EDGE_SEGMENTS = 10 };

/* A noisy polyline of EDGE_SEGMENTS + 1 points from (x0,y0) to (x1,y1). */
static void make_edge(rng *r, double x0, double y0, double x1, double y1, double *ex, double *ey)
{
    double dx = x1 - x0, dy = y1 - y0;
    double len = sqrt(dx * dx + dy * dy);
    double nx = -dy / len, ny = dx / len;
    double amp = 0.035 * len;
    for (int k = 0; k <= EDGE_SEGMENTS; k++) {
        double t = (double)k / EDGE_SEGMENTS;
        double off = (k == 0 || k == EDGE_SEGMENTS) ? 0.0
                                                    : amp * sin(HS_PI * t) * (2.0 * uniform(r) - 1.0);
        ex[k] = x0 + t * dx + off * nx;
        ey[k] = y0 + t * dy + off * ny;
    }
}

static hs_status make_wards(hs_synth_district *d, rng *r)
{
    const hs_synth_params *p = &d->params;
    int wx = p->wards_x, wy = p->wards_y;
    size_t nv = (size_t)(wx + 1) * (size_t)(wy + 1);
    double *vx = malloc(nv * sizeof *vx), *vy = malloc(nv * sizeof *vy);
    /* Horizontal edges: (wx) x (wy+1); vertical edges: (wx+1) x (wy). */
    size_t nh = (size_t)wx * (size_t)(wy + 1), nvt = (size_t)(wx + 1) * (size_t)wy;
    size_t ep = EDGE_SEGMENTS + 1;
    double *hx = malloc(nh * ep * sizeof *hx), *hy = malloc(nh * ep * sizeof *hy);
    double *tx = malloc(nvt * ep * sizeof *tx), *ty = malloc(nvt * ep * sizeof *ty);
    d->nwards = (size_t)wx * (size_t)wy;
    d->wards = calloc(d->nwards, sizeof *d->wards);
    hs_status st = HS_OK;
    if (!vx || !vy || !hx || !hy || !tx || !ty || !d->wards) {
        st = HS_ENOMEM;
        goto done;
    }
    for (int j = 0; j <= wy; j++) {
        for (int i = 0; i <= wx; i++) {
            double u = (double)i / wx, v = (double)j / wy;
            double x = p->xmin_m + p->size_m * warp(u), y = p->ymin_m + p->size_m * warp(v);
            if (i > 0 && i < wx)
                x += (2.0 * uniform(r) - 1.0) * 0.15 * p->size_m / wx;
            if (j > 0 && j < wy)
                y += (2.0 * uniform(r) - 1.0) * 0.15 * p->size_m / wy;
            vx[(size_t)j * (size_t)(wx + 1) + (size_t)i] = x;
            vy[(size_t)j * (size_t)(wx + 1) + (size_t)i] = y;
        }
    }
#define V(i, j) ((size_t)(j) * (size_t)(wx + 1) + (size_t)(i))
    for (int j = 0; j <= wy; j++)
        for (int i = 0; i < wx; i++) {
            size_t e = ((size_t)j * (size_t)wx + (size_t)i) * ep;
            make_edge(r, vx[V(i, j)], vy[V(i, j)], vx[V(i + 1, j)], vy[V(i + 1, j)], hx + e, hy + e);
        }
    for (int j = 0; j < wy; j++)
        for (int i = 0; i <= wx; i++) {
            size_t e = ((size_t)j * (size_t)(wx + 1) + (size_t)i) * ep;
            make_edge(r, vx[V(i, j)], vy[V(i, j)], vx[V(i, j + 1)], vy[V(i, j + 1)], tx + e, ty + e);
        }
    for (int j = 0; j < wy && st == HS_OK; j++) {
        for (int i = 0; i < wx; i++) {
            size_t k = (size_t)j * (size_t)wx + (size_t)i;
            hs_synth_ward *w = &d->wards[k];
            w->nring = 4 * EDGE_SEGMENTS + 1;
            w->ring_x = malloc(w->nring * sizeof *w->ring_x);
            w->ring_y = malloc(w->nring * sizeof *w->ring_y);
            if (!w->ring_x || !w->ring_y) {
                st = HS_ENOMEM;
                break;
            }
            size_t o = 0;
            const double *bx = hx + ((size_t)j * (size_t)wx + (size_t)i) * ep;
            const double *by = hy + ((size_t)j * (size_t)wx + (size_t)i) * ep;
            const double *rx = tx + ((size_t)j * (size_t)(wx + 1) + (size_t)i + 1) * ep;
            const double *ry = ty + ((size_t)j * (size_t)(wx + 1) + (size_t)i + 1) * ep;
            const double *ux = hx + ((size_t)(j + 1) * (size_t)wx + (size_t)i) * ep;
            const double *uy = hy + ((size_t)(j + 1) * (size_t)wx + (size_t)i) * ep;
            const double *lx = tx + ((size_t)j * (size_t)(wx + 1) + (size_t)i) * ep;
            const double *ly = ty + ((size_t)j * (size_t)(wx + 1) + (size_t)i) * ep;
            for (int q = 0; q < EDGE_SEGMENTS; q++, o++) {
                w->ring_x[o] = bx[q];
                w->ring_y[o] = by[q];
            }
            for (int q = 0; q < EDGE_SEGMENTS; q++, o++) {
                w->ring_x[o] = rx[q];
                w->ring_y[o] = ry[q];
            }
            for (int q = EDGE_SEGMENTS; q > 0; q--, o++) {
                w->ring_x[o] = ux[q];
                w->ring_y[o] = uy[q];
            }
            for (int q = EDGE_SEGMENTS; q > 0; q--, o++) {
                w->ring_x[o] = lx[q];
                w->ring_y[o] = ly[q];
            }
            w->ring_x[o] = w->ring_x[0];
            w->ring_y[o] = w->ring_y[0];
            snprintf(w->code, sizeof w->code, "E05099%03zu", k + 1);
            if (k < NWARD_NAMES)
                snprintf(w->name, sizeof w->name, "%s", ward_names[k]);
            else
                snprintf(w->name, sizeof w->name, "%s %zu", ward_names[k % NWARD_NAMES],
                         k / NWARD_NAMES + 1);
            /* Central wards are small and dense; all have 3,000-11,000 residents. */
            w->population = floor(3000.0 + 8000.0 * uniform(r));
        }
    }
#undef V
done:
    free(vx);
    free(vy);
    free(hx);
    free(hy);
    free(tx);
    free(ty);
    return st;
}

static void ward_centroid(const hs_synth_ward *w, double *cx, double *cy)
{
    double sx = 0.0, sy = 0.0;
    for (size_t i = 0; i + 1 < w->nring; i++) {
        sx += w->ring_x[i];
        sy += w->ring_y[i];
    }
    *cx = sx / (double)(w->nring - 1);
    *cy = sy / (double)(w->nring - 1);
}

static hs_status make_lsoas(hs_synth_district *d)
{
    d->nlsoas = d->nwards * 4;
    d->lsoas = calloc(d->nlsoas, sizeof *d->lsoas);
    if (d->lsoas == NULL)
        return HS_ENOMEM;
    for (size_t k = 0; k < d->nlsoas; k++) {
        hs_synth_lsoa *l = &d->lsoas[k];
        l->ward = (int)(k / 4);
        snprintf(l->code, sizeof l->code, "E01099%03zu", k + 1);
        snprintf(l->name, sizeof l->name, "Canterbury %03zu%c", k / 4 + 1, (char)('A' + k % 4));
    }
    return HS_OK;
}

/* LSOA of a point: the quadrant of its ward around the ward's centroid. */
static int lsoa_of(const hs_synth_district *d, int ward, double x, double y)
{
    double cx, cy;
    ward_centroid(&d->wards[ward], &cx, &cy);
    int q = (x >= cx ? 1 : 0) + (y >= cy ? 2 : 0);
    return ward * 4 + q;
}

/* Towns: centre (Canterbury), north-west (Whitstable), north-east (Herne Bay). */
typedef struct town {
    const char *name; /* town name */
    double fx, fy;    /* position as a fraction of the district */
    double radius_f;  /* radius as a fraction of the district side */
} town;

static const town towns[] = {{"Canterbury", 0.50, 0.45, 0.16},
                             {"Whitstable", 0.28, 0.86, 0.11},
                             {"Herne Bay", 0.74, 0.88, 0.11}};
#define NTOWNS (sizeof towns / sizeof towns[0])

static const char *locality_of(const hs_synth_district *d, int ward, double x, double y)
{
    const hs_synth_params *p = &d->params;
    for (size_t t = 0; t < NTOWNS; t++) {
        double dx = x - (p->xmin_m + towns[t].fx * p->size_m);
        double dy = y - (p->ymin_m + towns[t].fy * p->size_m);
        if (sqrt(dx * dx + dy * dy) < towns[t].radius_f * p->size_m)
            return towns[t].name;
    }
    return d->wards[ward].name;
}

static hs_status add_place(hs_synth_district *d, size_t *cap, const hs_synth_place *pl)
{
    if (d->nplaces == *cap) {
        size_t c = *cap ? *cap * 2 : 256;
        hs_synth_place *n = realloc(d->places, c * sizeof *n);
        if (n == NULL)
            return HS_ENOMEM;
        d->places = n;
        *cap = c;
    }
    d->places[d->nplaces++] = *pl;
    return HS_OK;
}

/* A random point inside ward k. */
static void point_in_ward(const hs_synth_district *d, rng *r, int k, double *x, double *y)
{
    const hs_synth_ward *w = &d->wards[k];
    double x0 = INFINITY, y0 = INFINITY, x1 = -INFINITY, y1 = -INFINITY;
    for (size_t i = 0; i < w->nring; i++) {
        x0 = fmin(x0, w->ring_x[i]);
        x1 = fmax(x1, w->ring_x[i]);
        y0 = fmin(y0, w->ring_y[i]);
        y1 = fmax(y1, w->ring_y[i]);
    }
    for (int tries = 0; tries < 1000; tries++) {
        *x = x0 + uniform(r) * (x1 - x0);
        *y = y0 + uniform(r) * (y1 - y0);
        if (ward_of(d, *x, *y) == k)
            return;
    }
    ward_centroid(w, x, y);
}

static int name_taken(const hs_synth_district *d, const char *name, const char *locality)
{
    for (size_t i = 0; i < d->nplaces; i++)
        if (strcmp(d->places[i].name, name) == 0 && strcmp(d->places[i].locality, locality) == 0)
            return 1;
    return 0;
}

static hs_status make_places(hs_synth_district *d, rng *r)
{
    const hs_synth_params *p = &d->params;
    size_t cap = 0;
    hs_status st = HS_OK;
    double *wpop = malloc(d->nwards * sizeof *wpop);
    if (wpop == NULL)
        return HS_ENOMEM;
    for (size_t k = 0; k < d->nwards; k++)
        wpop[k] = d->wards[k].population;
    /* Settlements: the towns and one village per ward outside them. */
    for (size_t t = 0; t < NTOWNS && st == HS_OK; t++) {
        hs_synth_place pl = {.kind = HS_SYNTH_SETTLEMENT};
        pl.x = p->xmin_m + towns[t].fx * p->size_m;
        pl.y = p->ymin_m + towns[t].fy * p->size_m;
        pl.ward = ward_of(d, pl.x, pl.y);
        if (pl.ward < 0)
            continue;
        pl.lsoa = lsoa_of(d, pl.ward, pl.x, pl.y);
        snprintf(pl.name, sizeof pl.name, "%s", towns[t].name);
        snprintf(pl.locality, sizeof pl.locality, "%s", towns[t].name);
        snprintf(pl.district_ward, sizeof pl.district_ward, "%s", d->wards[pl.ward].name);
        pl.xmin = pl.x - 1500;
        pl.xmax = pl.x + 1500;
        pl.ymin = pl.y - 1500;
        pl.ymax = pl.y + 1500;
        st = add_place(d, &cap, &pl);
    }
    /* Streets: 30 per ward on average, placed by population. */
    size_t nstreets = 30 * d->nwards;
    for (size_t s = 0; s < nstreets && st == HS_OK; s++) {
        hs_synth_place pl = {.kind = HS_SYNTH_STREET};
        pl.ward = (int)pick_weighted(r, wpop, d->nwards);
        point_in_ward(d, r, pl.ward, &pl.x, &pl.y);
        pl.lsoa = lsoa_of(d, pl.ward, pl.x, pl.y);
        snprintf(pl.locality, sizeof pl.locality, "%s", locality_of(d, pl.ward, pl.x, pl.y));
        snprintf(pl.district_ward, sizeof pl.district_ward, "%s", d->wards[pl.ward].name);
        for (int tries = 0; tries < 50; tries++) {
            snprintf(pl.name, sizeof pl.name, "%s %s", street_first[below(r, NFIRST)],
                     street_suffix[below(r, NSUFFIX)]);
            if (!name_taken(d, pl.name, pl.locality))
                break;
        }
        double half = 60.0 + 190.0 * uniform(r), a = HS_PI * uniform(r);
        pl.xmin = pl.x - fabs(cos(a)) * half;
        pl.xmax = pl.x + fabs(cos(a)) * half;
        pl.ymin = pl.y - fabs(sin(a)) * half;
        pl.ymax = pl.y + fabs(sin(a)) * half;
        st = add_place(d, &cap, &pl);
    }
    /* POIs: three per ward, and the night-time economy in the centre. */
    for (size_t k = 0; k < 3 * d->nwards + 12 && st == HS_OK; k++) {
        hs_synth_place pl = {.kind = HS_SYNTH_POI};
        if (k < 3 * d->nwards) {
            pl.ward = (int)(k / 3);
            point_in_ward(d, r, pl.ward, &pl.x, &pl.y);
            snprintf(pl.name, sizeof pl.name, "%s", poi_names[below(r, NPOI)]);
        } else {
            double ang = 2.0 * HS_PI * uniform(r), rad = 250.0 * sqrt(uniform(r));
            pl.x = d->centre_x + rad * cos(ang);
            pl.y = d->centre_y + rad * sin(ang);
            pl.ward = ward_of(d, pl.x, pl.y);
            if (pl.ward < 0)
                continue;
            snprintf(pl.name, sizeof pl.name, "%s", k % 3 == 0 ? "Shopping Area" : "Nightclub");
        }
        pl.lsoa = lsoa_of(d, pl.ward, pl.x, pl.y);
        snprintf(pl.locality, sizeof pl.locality, "%s", locality_of(d, pl.ward, pl.x, pl.y));
        snprintf(pl.district_ward, sizeof pl.district_ward, "%s", d->wards[pl.ward].name);
        pl.xmin = pl.xmax = pl.x;
        pl.ymin = pl.ymax = pl.y;
        st = add_place(d, &cap, &pl);
    }
    free(wpop);
    return st;
}

/* Postcode outward code by locality and position. */
static int outward_of(const hs_synth_district *d, const hs_synth_place *pl)
{
    if (strcmp(pl->locality, "Canterbury") == 0)
        return pl->y < d->centre_y ? 1 : 2;
    if (strcmp(pl->locality, "Whitstable") == 0)
        return 5;
    if (strcmp(pl->locality, "Herne Bay") == 0)
        return 6;
    return pl->x > d->centre_x ? 3 : 4;
}

static hs_status make_postcodes(hs_synth_district *d, rng *r)
{
    static const char unit_letters[] = "ABDEFGHJLNPQRSTUWXYZ"; /* letters used in inward codes */
    size_t cap = d->nplaces * 4, counter[10] = {0};
    d->postcodes = calloc(cap, sizeof *d->postcodes);
    if (d->postcodes == NULL)
        return HS_ENOMEM;
    for (size_t i = 0; i < d->nplaces; i++) {
        const hs_synth_place *pl = &d->places[i];
        if (pl->kind != HS_SYNTH_STREET)
            continue;
        size_t np = 1 + below(r, 3);
        for (size_t k = 0; k < np && d->npostcodes < cap; k++) {
            hs_synth_postcode *pc = &d->postcodes[d->npostcodes];
            int out = outward_of(d, pl);
            size_t c = counter[out]++;
            snprintf(pc->code, sizeof pc->code, "CT%d %zu%c%c", out, 1 + (c / 400) % 9,
                     unit_letters[(c / 20) % 20], unit_letters[c % 20]);
            double t = uniform(r);
            pc->x = floor(pl->xmin + t * (pl->xmax - pl->xmin) + 20.0 * normal(r));
            pc->y = floor(pl->ymin + t * (pl->ymax - pl->ymin) + 20.0 * normal(r));
            if (ward_of(d, pc->x, pc->y) < 0) {
                pc->x = floor(pl->x);
                pc->y = floor(pl->y);
            }
            pc->place = (int)i;
            d->npostcodes++;
        }
    }
    return HS_OK;
}

/* Places within radius of (x, y); weight by kind. Returns the count written to idx. */
static size_t places_near(const hs_synth_district *d, double x, double y, double radius,
                          size_t *idx, double *w, const char *favour, double favour_weight)
{
    size_t n = 0;
    for (size_t i = 0; i < d->nplaces; i++) {
        const hs_synth_place *pl = &d->places[i];
        if (pl->kind == HS_SYNTH_SETTLEMENT)
            continue;
        double dx = pl->x - x, dy = pl->y - y;
        double dist = sqrt(dx * dx + dy * dy);
        if (dist > radius)
            continue;
        idx[n] = i;
        w[n] = exp(-0.5 * (dist / (0.5 * radius)) * (dist / (0.5 * radius)));
        if (favour && strcmp(pl->name, favour) == 0)
            w[n] *= favour_weight;
        n++;
    }
    return n;
}

static hs_status make_incidents(hs_synth_district *d, rng *r)
{
    const hs_synth_params *p = &d->params;
    size_t n = p->incidents_per_year;
    size_t n_violence = n / 10, n_estate_a = n / 20, n_estate_b = n / 25;
    size_t n_outside = (size_t)((double)n * p->outside_share);
    size_t n_malformed = 12 * p->malformed_per_month;
    size_t total = n + n_outside + n_malformed;
    d->incidents = calloc(total, sizeof *d->incidents);
    size_t *idx = malloc(d->nplaces * sizeof *idx);
    double *w = malloc(d->nplaces * sizeof *w);
    double *wpop = malloc(d->nwards * sizeof *wpop);
    size_t **ward_places = calloc(d->nwards, sizeof *ward_places);
    size_t *ward_nplaces = calloc(d->nwards, sizeof *ward_nplaces);
    hs_status st = HS_OK;
    if (!d->incidents || !idx || !w || !wpop || !ward_places || !ward_nplaces) {
        st = HS_ENOMEM;
        goto done;
    }
    for (size_t k = 0; k < d->nwards; k++) {
        wpop[k] = d->wards[k].population;
        ward_places[k] = malloc(d->nplaces * sizeof **ward_places);
        if (ward_places[k] == NULL) {
            st = HS_ENOMEM;
            goto done;
        }
    }
    for (size_t i = 0; i < d->nplaces; i++)
        if (d->places[i].kind != HS_SYNTH_SETTLEMENT && d->places[i].ward >= 0)
            ward_places[d->places[i].ward][ward_nplaces[d->places[i].ward]++] = i;
    double ea_x = p->xmin_m + 0.36 * p->size_m, ea_y = p->ymin_m + 0.62 * p->size_m;
    double eb_x = p->xmin_m + 0.68 * p->size_m, eb_y = p->ymin_m + 0.33 * p->size_m;
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        hs_synth_incident *inc = &d->incidents[m];
        inc->month = (uint8_t)(1 + below(r, 12));
        size_t np = 0;
        if (i < n_violence) {
            np = places_near(d, d->centre_x, d->centre_y, 500.0, idx, w, "Nightclub", 8.0);
            double u = uniform(r);
            inc->category = u < 0.70   ? CAT_VIOLENCE
                            : u < 0.90 ? CAT_PUBLIC_ORDER
                            : u < 0.95 ? CAT_ROBBERY
                                       : CAT_WEAPONS;
            inc->planted = 1;
        } else if (i < n_violence + n_estate_a + n_estate_b) {
            int a = i < n_violence + n_estate_a;
            np = places_near(d, a ? ea_x : eb_x, a ? ea_y : eb_y, 350.0, idx, w, NULL, 1.0);
            inc->category = CAT_ASB;
            inc->planted = (uint8_t)(a ? 2 : 3);
        }
        if (np > 0) {
            inc->place = (int32_t)idx[pick_weighted(r, w, np)];
        } else {
            inc->category = (uint8_t)pick_weighted(r, category_share, hs_synth_ncategories);
            inc->planted = 0;
            int k = (int)pick_weighted(r, wpop, d->nwards);
            if (ward_nplaces[k] == 0)
                continue;
            inc->place = (int32_t)ward_places[k][below(r, ward_nplaces[k])];
        }
        inc->x = d->places[inc->place].x;
        inc->y = d->places[inc->place].y;
        double u = uniform(r);
        inc->kind = u < p->no_location_share ? HS_SYNTH_ROW_NO_LOCATION
                    : u < p->no_location_share + p->text_only_share ? HS_SYNTH_ROW_TEXT_ONLY
                                                                    : HS_SYNTH_ROW_NORMAL;
        if (inc->kind == HS_SYNTH_ROW_NO_LOCATION && uniform(r) < 0.6)
            inc->category = CAT_OTHER_CRIME;
        m++;
    }
    /* Rows of a neighbouring district: a band 1-8 km outside the district. */
    for (size_t i = 0; i < n_outside; i++, m++) {
        hs_synth_incident *inc = &d->incidents[m];
        inc->month = (uint8_t)(1 + below(r, 12));
        inc->category = (uint8_t)pick_weighted(r, category_share, hs_synth_ncategories);
        inc->place = -1;
        inc->kind = HS_SYNTH_ROW_OUTSIDE;
        double ang = 2.0 * HS_PI * uniform(r), side = 0.5 * p->size_m;
        double rad = side * sqrt(2.0) + 1000.0 + 7000.0 * uniform(r);
        inc->x = floor(p->xmin_m + side + rad * cos(ang));
        inc->y = floor(p->ymin_m + side + rad * sin(ang));
    }
    /* Malformed rows, spread over the months. */
    static const uint8_t bad_kinds[] = {HS_SYNTH_ROW_RAGGED, HS_SYNTH_ROW_BAD_NUMBER,
                                        HS_SYNTH_ROW_SWAPPED, HS_SYNTH_ROW_BAD_UTF8};
    for (size_t i = 0; i < n_malformed && d->nplaces > 0; i++, m++) {
        hs_synth_incident *inc = &d->incidents[m];
        inc->month = (uint8_t)(1 + i % 12);
        inc->category = (uint8_t)pick_weighted(r, category_share, hs_synth_ncategories);
        do {
            inc->place = (int32_t)below(r, d->nplaces);
        } while (d->places[inc->place].kind == HS_SYNTH_SETTLEMENT);
        inc->x = d->places[inc->place].x;
        inc->y = d->places[inc->place].y;
        inc->kind = bad_kinds[(i / 12) % 4];
    }
    d->nincidents = m;
done:
    if (ward_places)
        for (size_t k = 0; k < d->nwards; k++)
            free(ward_places[k]);
    free(ward_places);
    free(ward_nplaces);
    free(idx);
    free(w);
    free(wpop);
    return st;
}

static hs_status make_council(hs_synth_district *d, rng *r)
{
    const hs_synth_params *p = &d->params;
    d->council = calloc(p->council_rows ? p->council_rows : 1, sizeof *d->council);
    if (d->council == NULL)
        return HS_ENOMEM;
    double ea_x = p->xmin_m + 0.36 * p->size_m, ea_y = p->ymin_m + 0.62 * p->size_m;
    for (size_t i = 0; i < p->council_rows && d->npostcodes > 0; i++) {
        hs_synth_council_row *c = &d->council[d->ncouncil];
        size_t pc = below(r, d->npostcodes);
        if (uniform(r) < 0.4) {
            /* Estate A generates many council reports: take the nearest of a few draws. */
            double best = INFINITY;
            for (int t = 0; t < 12; t++) {
                size_t q = below(r, d->npostcodes);
                double dx = d->postcodes[q].x - ea_x, dy = d->postcodes[q].y - ea_y;
                if (dx * dx + dy * dy < best) {
                    best = dx * dx + dy * dy;
                    pc = q;
                }
            }
        }
        c->postcode = (int32_t)pc;
        c->place = d->postcodes[pc].place;
        c->month = (uint8_t)(1 + below(r, 12));
        c->day = (uint8_t)(1 + below(r, 28));
        c->house = (uint16_t)(1 + below(r, 120));
        double u = uniform(r);
        c->kind = u < 0.55   ? HS_SYNTH_COUNCIL_POSTCODE
                  : u < 0.70 ? HS_SYNTH_COUNCIL_POSTCODE_IN_TEXT
                  : u < 0.90 ? HS_SYNTH_COUNCIL_STREET_ONLY
                  : u < 0.96 ? HS_SYNTH_COUNCIL_TYPO
                             : HS_SYNTH_COUNCIL_UNKNOWN;
        if (c->kind <= HS_SYNTH_COUNCIL_POSTCODE_IN_TEXT) {
            c->x = d->postcodes[pc].x;
            c->y = d->postcodes[pc].y;
        } else if (c->kind != HS_SYNTH_COUNCIL_UNKNOWN) {
            c->x = d->places[c->place].x;
            c->y = d->places[c->place].y;
        } else {
            c->x = c->y = NAN;
        }
        d->ncouncil++;
    }
    return HS_OK;
}

static int cmp_incident_month(const void *a, const void *b)
{
    const hs_synth_incident *x = a, *y = b;
    return (x->month > y->month) - (x->month < y->month);
}

static int cmp_council_date(const void *a, const void *b)
{
    const hs_synth_council_row *x = a, *y = b;
    int kx = x->month * 32 + x->day, ky = y->month * 32 + y->day;
    return (kx > ky) - (kx < ky);
}

/* Stable sort by key: qsort is not stable, so sort (key, index) pairs via a merge sort. */
static hs_status stable_sort(void *base, size_t n, size_t size,
                             int (*cmp)(const void *, const void *))
{
    if (n < 2)
        return HS_OK;
    char *a = base;
    char *tmp = malloc(n * size);
    if (tmp == NULL)
        return HS_ENOMEM;
    for (size_t width = 1; width < n; width *= 2) {
        for (size_t lo = 0; lo < n; lo += 2 * width) {
            size_t mid = lo + width < n ? lo + width : n;
            size_t hi = lo + 2 * width < n ? lo + 2 * width : n;
            size_t i = lo, j = mid, k = lo;
            while (i < mid && j < hi) {
                if (cmp(a + j * size, a + i * size) < 0)
                    memcpy(tmp + (k++) * size, a + (j++) * size, size);
                else
                    memcpy(tmp + (k++) * size, a + (i++) * size, size);
            }
            while (i < mid)
                memcpy(tmp + (k++) * size, a + (i++) * size, size);
            while (j < hi)
                memcpy(tmp + (k++) * size, a + (j++) * size, size);
        }
        memcpy(a, tmp, n * size);
    }
    free(tmp);
    return HS_OK;
}

void hs_synth_params_default(hs_synth_params *p)
{
    memset(p, 0, sizeof *p);
    p->seed = 20250101;
    p->xmin_m = 605000.0;
    p->ymin_m = 148000.0;
    p->size_m = 20000.0;
    p->wards_x = 5;
    p->wards_y = 4;
    p->year = 2025;
    p->incidents_per_year = 20000;
    p->council_rows = 1500;
    p->no_location_share = 0.015;
    p->text_only_share = 0.03;
    p->outside_share = 0.03;
    p->malformed_per_month = 4;
}

hs_status hs_synth_generate(const hs_synth_params *p, hs_synth_district **out, hs_error *err)
{
    *out = NULL;
    if (p->wards_x < 1 || p->wards_y < 1 || !(p->size_m > 0.0) || p->wards_x > 1000 ||
        p->wards_y > 1000)
        return hs_error_set(err, HS_EINVAL, NULL, 0, 0,
                            "synth: need 1..1000 wards each way and a positive size");
    if (p->no_location_share + p->text_only_share >= 1.0 || p->no_location_share < 0.0 ||
        p->text_only_share < 0.0 || p->outside_share < 0.0)
        return hs_error_set(err, HS_EINVAL, NULL, 0, 0, "synth: row shares must be in [0, 1)");
    hs_synth_district *d = calloc(1, sizeof *d);
    if (d == NULL)
        return HS_ENOMEM;
    d->params = *p;
    d->centre_x = p->xmin_m + 0.50 * p->size_m;
    d->centre_y = p->ymin_m + 0.45 * p->size_m;
    rng r = {.s = p->seed};
    hs_status st = make_wards(d, &r);
    if (st == HS_OK)
        st = make_lsoas(d);
    if (st == HS_OK)
        st = make_places(d, &r);
    if (st == HS_OK)
        st = make_postcodes(d, &r);
    if (st == HS_OK)
        st = make_incidents(d, &r);
    if (st == HS_OK)
        st = make_council(d, &r);
    if (st == HS_OK)
        st = stable_sort(d->incidents, d->nincidents, sizeof *d->incidents, cmp_incident_month);
    if (st == HS_OK)
        st = stable_sort(d->council, d->ncouncil, sizeof *d->council, cmp_council_date);
    if (st != HS_OK) {
        hs_synth_free(d);
        return hs_error_set(err, st, NULL, 0, 0, "synth: %s", hs_status_str(st));
    }
    *out = d;
    return HS_OK;
}

void hs_synth_free(hs_synth_district *d)
{
    if (d == NULL)
        return;
    for (size_t k = 0; k < d->nwards; k++) {
        free(d->wards[k].ring_x);
        free(d->wards[k].ring_y);
    }
    free(d->wards);
    free(d->lsoas);
    free(d->places);
    free(d->postcodes);
    free(d->incidents);
    free(d->council);
    free(d);
}

void hs_synth_crime_id(const hs_synth_district *d, size_t i, char out[65])
{
    rng r = {.s = d->params.seed ^ (0xA5A5A5A5ULL + (uint64_t)i * 0x9E3779B97F4A7C15ULL)};
    for (int k = 0; k < 4; k++)
        snprintf(out + 16 * k, 17, "%016llx", (unsigned long long)next_u64(&r));
}
