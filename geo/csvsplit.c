/* csvsplit.c - records and fields of unquoted CSV text, as libcsv reports them (see
 * csvsplit.h).
 *
 * Why this exists next to libcsv: libcsv is a byte-at-a-time state machine behind two
 * callbacks per field, and it copies every field into its own buffer. On the police.uk files
 * (no quote character at all) it is the largest single cost of ingest; bench_ingest measures
 * both on the same file (figures in benchmarks/RESULTS.md, "Ingest"). This splitter hands out
 * views into the caller's text instead and can start at any line start, so ingest can parse
 * byte ranges in parallel. It must not be used on text holding a '"' (ingest falls back to
 * libcsv), and must not change what a record or field is: tests/unit/test_ingest_paths.c
 * compares whole tables from both paths, byte for byte.
 */
#include "geo/csvsplit.h"

#include <string.h>

#if defined(__SSE2__)
#    include <emmintrin.h>
#endif

/* Byte classes: 0 field text, 1 the delimiter, 2 a record terminator (libcsv's CR and LF). */
static const unsigned char byte_class[256] = {['\n'] = 2, ['\r'] = 2, [','] = 1};

/* libcsv's default space function: space and tab only. */
static int is_blank(unsigned char c)
{
    return c == ' ' || c == '\t';
}

/* The first delimiter or terminator in u[p..len), or len. 16 bytes at a time where SSE2 is
 * there (every x86-64): fields are short, but the byte loop costs a branch per byte. */
static size_t next_special(const unsigned char *u, size_t p, size_t len)
{
#if defined(__SSE2__)
    const __m128i comma = _mm_set1_epi8(','), cr = _mm_set1_epi8('\r');
    const __m128i lf = _mm_set1_epi8('\n');
    for (; p + 16 <= len; p += 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(u + p));
        __m128i hit = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, comma), _mm_cmpeq_epi8(v, cr)),
                                   _mm_cmpeq_epi8(v, lf));
        unsigned bits = (unsigned)_mm_movemask_epi8(hit);
        if (bits != 0)
            return p + (size_t)__builtin_ctz(bits);
    }
#endif
    while (p < len && byte_class[u[p]] == 0)
        p++;
    return p;
}

int hs_csvsplit_unquoted(const char *text, size_t len)
{
    return memchr(text, '"', len) == NULL;
}

size_t hs_csvsplit_record(const char *text, size_t len, size_t *pos, hs_csv_field *fields,
                          size_t cap, int *term)
{
    const unsigned char *u = (const unsigned char *)text;
    size_t p = *pos, n = 0;
    for (;;) {
        size_t a = p;
        p = next_special(u, p, len);
        size_t b = p;
        while (a < b && is_blank(u[a]))
            a++;
        while (b > a && is_blank(u[b - 1]))
            b--;
        int last = p == len || byte_class[u[p]] == 2;
        /* Nothing but blanks and no delimiter: libcsv reports a record without fields. */
        if (!(n == 0 && last && a == b)) {
            if (n < cap) {
                fields[n].s = text + a;
                fields[n].len = b - a;
            }
            n++;
        }
        if (last)
            break;
        p++;
    }
    if (n <= cap) {
        *term = p == len ? -1 : (int)u[p];
        *pos = p == len ? len : p + 1;
    }
    return n;
}

size_t hs_csvsplit_line_start(const char *text, size_t len, size_t at)
{
    if (at == 0 || at >= len)
        return at < len ? at : len;
    const char *lf = memchr(text + at - 1, '\n', len - (at - 1));
    return lf ? (size_t)(lf - text) + 1 : len;
}
