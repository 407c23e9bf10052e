/* strpool.c - append-only string pool (see strpool.h). */
#include "geo/strpool.h"

#include <stdlib.h>
#include <string.h>

hs_status hs_strpool_init(hs_strpool *p)
{
    p->cap = 4096;
    p->data = malloc(p->cap);
    if (p->data == NULL)
        return HS_ENOMEM;
    p->data[0] = '\0';
    p->len = 1;
    return HS_OK;
}

void hs_strpool_free(hs_strpool *p)
{
    if (p == NULL)
        return;
    free(p->data);
    p->data = NULL;
    p->len = p->cap = 0;
}

hs_status hs_strpool_add(hs_strpool *p, const char *s, size_t len, size_t *off)
{
    if (len == 0) {
        *off = 0;
        return HS_OK;
    }
    if (p->len + len + 1 > p->cap) {
        size_t cap = p->cap;
        while (p->len + len + 1 > cap)
            cap *= 2;
        char *d = realloc(p->data, cap);
        if (d == NULL)
            return HS_ENOMEM;
        p->data = d;
        p->cap = cap;
    }
    memcpy(p->data + p->len, s, len);
    p->data[p->len + len] = '\0';
    *off = p->len;
    p->len += len + 1;
    return HS_OK;
}

const char *hs_strpool_get(const hs_strpool *p, size_t off)
{
    return p->data + off;
}
