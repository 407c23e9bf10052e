/* csvsplit.h - split CSV text that holds no quote character into records and fields.
 *
 * For text without a '"' this gives exactly the records and fields that libcsv (options
 * CSV_REPALL_NL | CSV_APPEND_NULL, default delimiter, space and terminator functions) reports
 * for the same text: every CR and every LF ends a record (a CRLF pair is a record followed by
 * an empty one); fields are separated by commas; spaces and tabs around a field are not part
 * of it; a record holding only spaces and tabs has no field at all. With a quote character
 * in the text the result is NOT libcsv's: check hs_csvsplit_unquoted first. Bytes are not
 * interpreted otherwise (no UTF-8 checks, NUL is an ordinary byte).
 * Pure functions over caller memory: thread-safe, no allocation, no I/O.
 */
#ifndef HS_GEO_CSVSPLIT_H
#define HS_GEO_CSVSPLIT_H

#include <stddef.h>

/* One field of a record: a view into the text, not NUL-terminated. */
typedef struct hs_csv_field {
    const char *s; /* first byte of the field (leading spaces and tabs skipped) */
    size_t len;    /* bytes, trailing spaces and tabs excluded; 0 for an empty field */
} hs_csv_field;

/* 1 when text[0..len) holds no '"' (the splitter then gives libcsv's result), else 0. */
int hs_csvsplit_unquoted(const char *text, size_t len);

/* Split the record that starts at text[*pos] (*pos < len). Stores its first cap fields in
 * fields and returns how many fields it has (0 for an empty or blank record). When that is
 * at most cap, *pos moves past the record's terminator and *term receives the terminator:
 * '\r', '\n', or -1 when the text ends without one. When it is more than cap nothing moves:
 * call again with room for that many fields. */
size_t hs_csvsplit_record(const char *text, size_t len, size_t *pos, hs_csv_field *fields,
                          size_t cap, int *term);

/* The first line start at or after at (at <= len): at itself when at == 0 or text[at - 1] is
 * a LF, else the position just after the next LF, or len when there is none. Used to cut the
 * text into byte ranges that start at line starts. */
size_t hs_csvsplit_line_start(const char *text, size_t len, size_t at);

#endif
