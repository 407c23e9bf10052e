/* incidents.c - the incident table (see incidents.h). */
#include "geo/incidents.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const method_names[] = {"",       "coordinates", "postcode", "street",
                                           "place", "snap_point",  "fuzzy"};

const char *hs_method_name(hs_method m)
{
    if ((size_t)m >= sizeof method_names / sizeof method_names[0])
        return "";
    return method_names[m];
}

hs_status hs_incidents_init(hs_incidents *t)
{
    memset(t, 0, sizeof *t);
    return hs_strpool_init(&t->pool);
}

#define HS_INCIDENT_COLUMNS(X)                                                                     \
    X(source)                                                                                      \
    X(source_row)                                                                                  \
    X(source_line)                                                                                 \
    X(id)                                                                                          \
    X(month)                                                                                       \
    X(category)                                                                                    \
    X(location)                                                                                    \
    X(postcode)                                                                                    \
    X(lsoa_code)                                                                                   \
    X(lsoa_name)                                                                                   \
    X(raw)                                                                                         \
    X(in_x)                                                                                        \
    X(in_y)                                                                                        \
    X(weight)                                                                                      \
    X(state)                                                                                       \
    X(method)                                                                                      \
    X(score)                                                                                       \
    X(precision_m)                                                                                 \
    X(reason)                                                                                      \
    X(x)                                                                                           \
    X(y)                                                                                           \
    X(ward)                                                                                        \
    X(groups)

void hs_incidents_free(hs_incidents *t)
{
    if (t == NULL)
        return;
#define HS_FREE_COLUMN(c) free(t->c);
    HS_INCIDENT_COLUMNS(HS_FREE_COLUMN)
#undef HS_FREE_COLUMN
    for (size_t i = 0; i < t->nsources; i++) {
        free(t->sources[i].path);
        free(t->sources[i].name);
        free(t->sources[i].crs);
        free(t->sources[i].format);
    }
    free(t->sources);
    hs_strpool_free(&t->pool);
    memset(t, 0, sizeof *t);
}

static char *dup_str(const char *s)
{
    size_t n = strlen(s ? s : "") + 1;
    char *d = malloc(n);
    if (d)
        memcpy(d, s ? s : "", n);
    return d;
}

hs_status hs_incidents_add_source(hs_incidents *t, const char *path, const char *crs,
                                  const char *format, uint32_t *index)
{
    hs_source *s = realloc(t->sources, (t->nsources + 1) * sizeof *s);
    if (s == NULL)
        return HS_ENOMEM;
    t->sources = s;
    hs_source *src = &s[t->nsources];
    memset(src, 0, sizeof *src);
    const char *slash = strrchr(path, '/');
    src->path = dup_str(path);
    src->name = dup_str(slash ? slash + 1 : path);
    src->crs = dup_str(crs);
    src->format = dup_str(format);
    if (!src->path || !src->name || !src->crs || !src->format) {
        free(src->path);
        free(src->name);
        free(src->crs);
        free(src->format);
        return HS_ENOMEM;
    }
    *index = (uint32_t)t->nsources++;
    return HS_OK;
}

static hs_status grow(hs_incidents *t)
{
    size_t cap = t->cap ? t->cap * 2 : 1024;
    void *p;
#define HS_GROW_COLUMN(c)                                                                          \
    p = realloc(t->c, cap * sizeof *t->c);                                                         \
    if (p == NULL)                                                                                 \
        return HS_ENOMEM;                                                                          \
    t->c = p;
    HS_INCIDENT_COLUMNS(HS_GROW_COLUMN)
#undef HS_GROW_COLUMN
    t->cap = cap;
    return HS_OK;
}

hs_status hs_incidents_append(hs_incidents *t, uint32_t source, int64_t source_row,
                              int64_t source_line, size_t *row)
{
    if (t->n == t->cap) {
        hs_status st = grow(t);
        if (st != HS_OK)
            return st;
    }
    size_t i = t->n++;
    t->source[i] = source;
    t->source_row[i] = source_row;
    t->source_line[i] = source_line;
    t->id[i] = t->month[i] = t->category[i] = t->location[i] = 0;
    t->postcode[i] = t->lsoa_code[i] = t->lsoa_name[i] = t->raw[i] = t->reason[i] = 0;
    t->in_x[i] = t->in_y[i] = NAN;
    t->weight[i] = 1.0;
    t->x[i] = t->y[i] = NAN;
    t->state[i] = HS_ROW_PENDING;
    t->method[i] = HS_METHOD_NONE;
    t->score[i] = 0.0f;
    t->precision_m[i] = 0.0f;
    t->ward[i] = -1;
    t->groups[i] = 0;
    if (source < t->nsources)
        t->sources[source].rows++;
    *row = i;
    return HS_OK;
}

hs_status hs_incidents_set_str(hs_incidents *t, size_t *col, size_t i, const char *s, size_t len)
{
    return hs_strpool_add(&t->pool, s, len, &col[i]);
}

const char *hs_incidents_str(const hs_incidents *t, const size_t *col, size_t i)
{
    return hs_strpool_get(&t->pool, col[i]);
}

hs_status hs_incidents_fail(hs_incidents *t, size_t i, const char *reason)
{
    t->state[i] = HS_ROW_FAILED;
    t->method[i] = HS_METHOD_NONE;
    t->x[i] = t->y[i] = NAN;
    t->ward[i] = -1;
    return hs_strpool_add(&t->pool, reason, strlen(reason), &t->reason[i]);
}

void hs_incidents_count(const hs_incidents *t, hs_incident_counts *c)
{
    memset(c, 0, sizeof *c);
    c->rows_in = t->n;
    for (size_t i = 0; i < t->n; i++) {
        switch ((hs_row_state)t->state[i]) {
        case HS_ROW_PLACED:
            c->placed++;
            if (t->method[i] < 7)
                c->by_method[t->method[i]]++;
            break;
        case HS_ROW_FAILED:
            c->failed++;
            break;
        case HS_ROW_OUTSIDE:
            c->outside++;
            break;
        case HS_ROW_PENDING:
            c->pending++;
            break;
        }
    }
}

double hs_incident_counts_hit_rate(const hs_incident_counts *c)
{
    size_t d = c->placed + c->failed;
    return d == 0 ? 1.0 : (double)c->placed / (double)d;
}
