/* fuzz_support.h - what the fuzz targets share (header-only, static): the entry point's
 * prototype, scratch files, and the checks that turn a broken promise of a header into an
 * abort() the fuzzer (or the replay driver) reports.
 *
 * Must not: keep state between inputs other than a scratch path, or print on success (the
 * fuzzer runs millions of inputs). A check fails with a one-line message on stderr and
 * abort(), so libFuzzer saves the input and the replay test fails.
 */
#ifndef HS_FUZZ_SUPPORT_H
#define HS_FUZZ_SUPPORT_H

#include "engine/status.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* libFuzzer's entry point, defined by each fuzz_<name>.c; replay.c calls it too. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Scratch folder: $HS_FUZZ_TMP_DIR (e.g. /dev/shm for speed), else the build's folder. */
static inline const char *hs_fuzz_tmp_dir(void)
{
    const char *env = getenv("HS_FUZZ_TMP_DIR");
    return (env != NULL && env[0] != '\0') ? env : HS_FUZZ_DEFAULT_TMP_DIR;
}

/* Path of this process's scratch file name in the scratch folder (made when missing):
 * <dir>/<pid>-<name>. Returns buf. */
static inline const char *hs_fuzz_tmp_path(const char *name, char *buf, size_t n)
{
    const char *dir = hs_fuzz_tmp_dir();
    mkdir(dir, 0777);
    snprintf(buf, n, "%s/%ld-%s", dir, (long)getpid(), name);
    return buf;
}

/* Stop with a message: a promise of the API under test did not hold. */
static inline void hs_fuzz_fail(const char *what, const char *detail)
{
    fprintf(stderr, "fuzz check failed: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
    abort();
}

/* Write data to path (the fuzz input as a file); aborts when the scratch file cannot be
 * written, which is a set-up problem, not a finding. */
static inline void hs_fuzz_write_file(const char *path, const uint8_t *data, size_t size)
{
    FILE *f = fopen(path, "wb");
    if (f == NULL)
        hs_fuzz_fail("cannot create the scratch file", path);
    size_t w = size ? fwrite(data, 1, size, f) : 0;
    if (fclose(f) != 0 || w != size)
        hs_fuzz_fail("cannot write the scratch file", path);
}

/* The input as a NUL-terminated string (caller frees). Bytes after an embedded NUL are kept
 * but invisible to C string functions, as they would be for any caller. */
static inline char *hs_fuzz_cstr(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (s == NULL)
        hs_fuzz_fail("out of memory copying the input", NULL);
    if (size)
        memcpy(s, data, size);
    s[size] = '\0';
    return s;
}

/* With HS_FUZZ_VERBOSE set, print each call's outcome (to see what the seeds reach). */
static inline void hs_fuzz_note(hs_status st, const hs_error *err, const char *call)
{
    static int verbose = -1;
    if (verbose < 0)
        verbose = getenv("HS_FUZZ_VERBOSE") != NULL;
    if (verbose) {
        char line[1400];
        fprintf(stderr, "  %s: %s%s%s\n", call, hs_status_str(st), st != HS_OK ? ": " : "",
                st != HS_OK ? hs_error_format(err, line, sizeof line) : "");
    }
}

/* A failing call must say why: status.h promises err->code = the status and a message.
 * Also notes the outcome (hs_fuzz_note). */
static inline void hs_fuzz_check_error(hs_status st, const hs_error *err, const char *call)
{
    hs_fuzz_note(st, err, call);
    if (st == HS_OK)
        return;
    if (err->code != st)
        hs_fuzz_fail("error record's code differs from the returned status", call);
    if (err->what[0] == '\0')
        hs_fuzz_fail("failure without a message", call);
    if (memchr(err->what, '\0', sizeof err->what) == NULL ||
        memchr(err->file, '\0', sizeof err->file) == NULL)
        hs_fuzz_fail("error record not NUL-terminated", call);
}

#endif
