/* sha256.h - SHA-256 (FIPS 180-4) of files, for the input checksums in run_info: the same
 * hex digest `sha256sum` prints, so analysts can check which files a run read. */
#ifndef HS_CLI_SHA256_H
#define HS_CLI_SHA256_H

#include <stddef.h>
#include <stdint.h>

typedef struct hs_sha256 {
    uint32_t h[8];        /* chaining state */
    uint64_t bytes;       /* message length so far */
    unsigned char buf[64];/* pending block */
    size_t used;          /* bytes in buf */
} hs_sha256;

void hs_sha256_init(hs_sha256 *s);
void hs_sha256_update(hs_sha256 *s, const void *data, size_t n);
/* Finish and write the 64 hex digits and a NUL into hex. */
void hs_sha256_hex(hs_sha256 *s, char hex[65]);
/* SHA-256 of a whole file into hex; returns 0, or -1 when it cannot be read. */
int hs_sha256_file(const char *path, char hex[65]);

#endif
