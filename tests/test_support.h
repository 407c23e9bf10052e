/* test_support.h - small helpers shared by the test programs (header-only, static). */
#ifndef HS_TEST_SUPPORT_H
#define HS_TEST_SUPPORT_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Path of a scratch file for this test program: HS_TEST_TMP_DIR/<prog>-<pid>-<name>. */
static inline const char *hs_test_tmp(const char *name, char *buf, size_t n)
{
    mkdir(HS_TEST_TMP_DIR, 0777);
    snprintf(buf, n, "%s/%ld-%s", HS_TEST_TMP_DIR, (long)getpid(), name);
    return buf;
}

/* Write len bytes to path; returns 0 on success. */
static inline int hs_test_write(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (f == NULL)
        return -1;
    size_t w = fwrite(data, 1, len, f);
    return (fclose(f) == 0 && w == len) ? 0 : -1;
}

/* Read a whole file (caller frees); *len receives its size. NULL on failure. */
static inline unsigned char *hs_test_read(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *buf = malloc((size_t)n + 1);
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    if (buf) {
        buf[n] = 0;
        *len = (size_t)n;
    }
    return buf;
}

#endif
