/* strpool.h - an append-only pool of NUL-terminated strings addressed by offset.
 *
 * Millions of incident rows each carry a handful of short strings; one growing buffer and
 * size_t offsets avoid a malloc per string. Offset 0 is always the empty string. Offsets stay
 * valid when the pool grows (pointers do not). Not thread-safe: one writer at a time.
 */
#ifndef HS_GEO_STRPOOL_H
#define HS_GEO_STRPOOL_H

#include "engine/status.h"

#include <stddef.h>

typedef struct hs_strpool {
    char *data;  /* the strings, each NUL-terminated; data[0] == '\0' */
    size_t len;  /* bytes in use */
    size_t cap;  /* bytes allocated */
} hs_strpool;

/* Initialise an empty pool (holding only the empty string at offset 0). */
hs_status hs_strpool_init(hs_strpool *p);
/* Free the pool's memory; p may be NULL. */
void hs_strpool_free(hs_strpool *p);
/* Append s[0..len) plus a NUL; *off receives its offset (0 for an empty string, which is
 * not stored again). Fails with HS_ENOMEM. */
hs_status hs_strpool_add(hs_strpool *p, const char *s, size_t len, size_t *off);
/* The string at offset off (valid until the next add). */
const char *hs_strpool_get(const hs_strpool *p, size_t off);

#endif
