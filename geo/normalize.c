/* normalize.c - postcodes, names and fuzzy scores for geocoding (see normalize.h).
 *
 * Must not: allocate, keep state, do I/O, or read past a NUL or an invalid UTF-8 sequence.
 * Sources: BS 7666 postcode pattern (per-position letter sets); Jaro (1989) and Winkler
 * (1990) for the similarity, written from their definitions.
 */
#include "geo/normalize.h"

#include <string.h>

/* ---- postcodes -------------------------------------------------------------------------- */

/* Letters allowed at each position of an outward code and in the inward code (BS 7666). */
#define HS_PC_FIRST  "ABCDEFGHIJKLMNOPRSTUWYZ" /* not Q V X */
#define HS_PC_SECOND "ABCDEFGHKLMNOPQRSTUVWXY" /* not I J Z */
#define HS_PC_THIRD  "ABCDEFGHJKPSTUW"         /* letter ending an A9A outward code */
#define HS_PC_FOURTH "ABEHMNPRVWXY"            /* letter ending an AA9A outward code */
#define HS_PC_INWARD "ABDEFGHJLNPQRSTUWXYZ"    /* not C I K M O V */

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static int is_upper(char c)
{
    return c >= 'A' && c <= 'Z';
}

static int is_alnum(char c)
{
    return is_digit(c) || is_upper(c) || (c >= 'a' && c <= 'z');
}

static char to_upper(char c)
{
    return (c >= 'a' && c <= 'z') ? (char)(c - 'a' + 'A') : c;
}

static char to_lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

static int in_set(char c, const char *set)
{
    return c != '\0' && strchr(set, c) != NULL;
}

static int outward_valid(const char *o, size_t n)
{
    if (n < 2 || n > 4 || !in_set(o[0], HS_PC_FIRST))
        return 0;
    if (n == 2)
        return is_digit(o[1]);
    if (n == 3) {
        if (is_digit(o[1]))
            return is_digit(o[2]) || in_set(o[2], HS_PC_THIRD); /* A99, A9A */
        return in_set(o[1], HS_PC_SECOND) && is_digit(o[2]);    /* AA9 */
    }
    if (!in_set(o[1], HS_PC_SECOND) || !is_digit(o[2]))
        return 0;
    return is_digit(o[3]) || in_set(o[3], HS_PC_FOURTH); /* AA99, AA9A */
}

static int inward_valid(const char *i)
{
    return is_digit(i[0]) && in_set(i[1], HS_PC_INWARD) && in_set(i[2], HS_PC_INWARD);
}

/* Check a compact upper-case postcode c[0..n) (no spaces) and write its canonical form. */
static int postcode_from_compact(const char *c, size_t n, char out[HS_POSTCODE_SIZE])
{
    out[0] = '\0';
    if (n < 5 || n > 7)
        return 0;
    size_t no = n - 3;
    int special = (n == 6 && memcmp(c, "GIR0AA", 6) == 0);
    if (!special && (!outward_valid(c, no) || !inward_valid(c + no)))
        return 0;
    memcpy(out, c, no);
    out[no] = ' ';
    memcpy(out + no + 1, c + no, 3);
    out[n + 1] = '\0';
    return 1;
}

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

int hs_postcode_normalize(const char *text, char out[HS_POSTCODE_SIZE])
{
    out[0] = '\0';
    if (text == NULL)
        return 0;
    char c[8];
    size_t n = 0;
    for (const char *p = text; *p; p++) {
        if (is_space(*p))
            continue;
        if (!is_alnum(*p) || n == sizeof c)
            return 0;
        c[n++] = to_upper(*p);
    }
    return postcode_from_compact(c, n, out);
}

/* The word (run of ASCII letters and digits) starting at or after s: *start and *len. */
static int next_word(const char *s, const char **start, size_t *len)
{
    while (*s && !is_alnum(*s))
        s++;
    if (*s == '\0')
        return 0;
    *start = s;
    size_t n = 0;
    while (is_alnum(s[n]))
        n++;
    *len = n;
    return 1;
}

/* 1 when only whitespace lies in [a, b). */
static int only_space(const char *a, const char *b)
{
    for (; a < b; a++)
        if (!is_space(*a))
            return 0;
    return 1;
}

/* Try the word w[0..wl) alone and together with the word after it; keep the candidate that
 * ends last in *best / *best_end. */
static void try_postcode_at(const char *w, size_t wl, char best[HS_POSTCODE_SIZE],
                            const char **best_end)
{
    char c[8], pc[HS_POSTCODE_SIZE];
    if (wl >= 5 && wl <= 7) {
        for (size_t i = 0; i < wl; i++)
            c[i] = to_upper(w[i]);
        if (postcode_from_compact(c, wl, pc) && w + wl > *best_end) {
            memcpy(best, pc, sizeof pc);
            *best_end = w + wl;
        }
    }
    const char *w2;
    size_t wl2;
    if (wl < 2 || wl > 4 || !next_word(w + wl, &w2, &wl2) || wl2 != 3 || !only_space(w + wl, w2))
        return;
    for (size_t i = 0; i < wl; i++)
        c[i] = to_upper(w[i]);
    for (size_t i = 0; i < 3; i++)
        c[wl + i] = to_upper(w2[i]);
    if (postcode_from_compact(c, wl + 3, pc) && w2 + 3 > *best_end) {
        memcpy(best, pc, sizeof pc);
        *best_end = w2 + 3;
    }
}

int hs_postcode_extract(const char *text, char out[HS_POSTCODE_SIZE])
{
    out[0] = '\0';
    if (text == NULL)
        return 0;
    const char *best_end = NULL;
    const char *w;
    size_t wl;
    for (const char *p = text; next_word(p, &w, &wl); p = w + wl)
        try_postcode_at(w, wl, out, &best_end);
    return best_end != NULL;
}

int hs_postcode_district(const char *postcode, char out[5])
{
    out[0] = '\0';
    const char *sp = postcode ? strchr(postcode, ' ') : NULL;
    if (sp == NULL || sp - postcode < 2 || sp - postcode > 4)
        return 0;
    size_t n = (size_t)(sp - postcode);
    memcpy(out, postcode, n);
    out[n] = '\0';
    return 1;
}

/* ---- UTF-8 ------------------------------------------------------------------------------ */

/* Decode one code point at s (avail bytes). Returns its length (1..4) with *cp set, or 0
 * when the sequence is invalid (bad lead byte, truncated, overlong, surrogate, > U+10FFFF). */
static size_t utf8_decode(const unsigned char *s, size_t avail, unsigned long *cp)
{
    unsigned char c = s[0];
    size_t n;
    unsigned long v;
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    if ((c & 0xE0) == 0xC0) {
        n = 2;
        v = c & 0x1Fu;
    } else if ((c & 0xF0) == 0xE0) {
        n = 3;
        v = c & 0x0Fu;
    } else if ((c & 0xF8) == 0xF0) {
        n = 4;
        v = c & 0x07u;
    } else {
        return 0;
    }
    if (n > avail)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        v = (v << 6) | (s[i] & 0x3Fu);
    }
    static const unsigned long min_of_len[5] = {0, 0, 0x80, 0x800, 0x10000};
    if (v < min_of_len[n] || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
        return 0;
    *cp = v;
    return n;
}

int hs_utf8_valid(const char *s, size_t len)
{
    const unsigned char *u = (const unsigned char *)s;
    unsigned long cp;
    for (size_t i = 0; i < len;) {
        size_t k = utf8_decode(u + i, len - i, &cp);
        if (k == 0)
            return 0;
        i += k;
    }
    return 1;
}

/* ---- folding ---------------------------------------------------------------------------- */

/* Base letters of U+00C0..U+00FF and U+0100..U+017F; '*' = spelt out in fold_special,
 * ' ' = a separator (the multiplication and division signs). */
static const char latin1_fold[] = "aaaaaa*c"
                                  "eeeeiiii"
                                  "dnooooo "
                                  "ouuuuy**" /* U+00C0.. */
                                  "aaaaaa*c"
                                  "eeeeiiii"
                                  "dnooooo "
                                  "ouuuuy*y"; /* U+00E0.. */
static const char latin_ext_a_fold[] = "aaaaaa"
                                       "cccccccc"
                                       "dddd"
                                       "eeeeeeeeee"
                                       "gggggggg"
                                       "hhhh"
                                       "iiiiiiiiii"
                                       "**"
                                       "jj"
                                       "kkk"
                                       "llllllllll"
                                       "nnnnnnnnn"
                                       "oooooo"
                                       "**"
                                       "rrrrrr"
                                       "ssssssss"
                                       "tttttt"
                                       "uuuuuuuuuuuu"
                                       "ww"
                                       "yyy"
                                       "zzzzzz"
                                       "s";
_Static_assert(sizeof latin1_fold == 64 + 1, "one letter per code point U+00C0..U+00FF");
_Static_assert(sizeof latin_ext_a_fold == 128 + 1, "one letter per code point U+0100..U+017F");

/* Letters folded to two ASCII letters. */
static const char *fold_special(unsigned long cp)
{
    switch (cp) {
    case 0xC6:
    case 0xE6:
        return "ae";
    case 0xDE:
    case 0xFE:
        return "th";
    case 0xDF:
        return "ss";
    case 0x132:
    case 0x133:
        return "ij";
    case 0x152:
    case 0x153:
        return "oe";
    default:
        return NULL;
    }
}

/* What a code point becomes in a folded name: "" (dropped), " " (a separator), a short ASCII
 * string, or NULL to keep its UTF-8 bytes. buf holds single letters. */
static const char *fold_cp(unsigned long cp, char buf[2])
{
    buf[1] = '\0';
    if (cp < 0x80) {
        char c = (char)cp;
        if (is_alnum(c)) {
            buf[0] = to_lower(c);
            return buf;
        }
        if (c == '\'' || c == '`')
            return "";
        return c == '&' ? " and " : " ";
    }
    if (cp == 0x2018 || cp == 0x2019 || cp == 0x02BC || cp == 0xB4)
        return ""; /* apostrophes */
    if (cp == 0xA0 || (cp >= 0x2010 && cp <= 0x2015) || cp == 0x2212)
        return " "; /* no-break space, dashes, minus */
    const char *sp = fold_special(cp);
    if (sp != NULL)
        return sp;
    if (cp >= 0xC0 && cp <= 0xFF)
        buf[0] = latin1_fold[cp - 0xC0];
    else if (cp >= 0x100 && cp <= 0x17F)
        buf[0] = latin_ext_a_fold[cp - 0x100];
    else
        return NULL;
    return buf[0] == ' ' ? " " : buf;
}

/* Fold text[0..len) into out (size n): lower-case, accents folded, punctuation to spaces.
 * Returns HS_OK, HS_EDATA (invalid UTF-8) or HS_EINVAL (does not fit). */
static hs_status fold_text(const char *text, size_t len, char *out, size_t n)
{
    const unsigned char *u = (const unsigned char *)text;
    size_t o = 0;
    for (size_t i = 0; i < len;) {
        unsigned long cp;
        size_t k = utf8_decode(u + i, len - i, &cp);
        if (k == 0)
            return HS_EDATA;
        char one[2];
        const char *rep = fold_cp(cp, one);
        size_t rl = rep ? strlen(rep) : k;
        if (o + rl >= n)
            return HS_EINVAL;
        memcpy(out + o, rep ? rep : text + i, rl);
        o += rl;
        i += k;
    }
    out[o] = '\0';
    return HS_OK;
}

/* ---- words ------------------------------------------------------------------------------ */

#define HS_MAX_WORDS 64

typedef struct words {
    const char *w[HS_MAX_WORDS]; /* start of each word */
    size_t len[HS_MAX_WORDS];    /* its length */
    size_t n;                    /* number of words */
} words;

/* Split s at spaces. Returns 0 when there are more than HS_MAX_WORDS words. */
static int split_words(const char *s, words *ws)
{
    ws->n = 0;
    while (*s) {
        while (*s == ' ')
            s++;
        if (*s == '\0')
            break;
        if (ws->n == HS_MAX_WORDS)
            return 0;
        size_t k = 0;
        while (s[k] && s[k] != ' ')
            k++;
        ws->w[ws->n] = s;
        ws->len[ws->n] = k;
        ws->n++;
        s += k;
    }
    return 1;
}

static int word_is(const words *ws, size_t i, const char *s)
{
    return ws->len[i] == strlen(s) && memcmp(ws->w[i], s, ws->len[i]) == 0;
}

typedef struct abbrev {
    const char *abbr; /* as written, lower-case */
    const char *full; /* expansion */
} abbrev;

/* Street types, expanded when they end a name. */
static const abbrev street_types[] = {
    {"rd", "road"},        {"ave", "avenue"},    {"av", "avenue"},      {"ln", "lane"},
    {"cl", "close"},       {"ct", "court"},      {"crt", "court"},      {"dr", "drive"},
    {"drv", "drive"},      {"cres", "crescent"}, {"cresc", "crescent"}, {"gdns", "gardens"},
    {"gdn", "garden"},     {"gr", "grove"},      {"gro", "grove"},      {"pl", "place"},
    {"sq", "square"},      {"tce", "terrace"},   {"ter", "terrace"},    {"terr", "terrace"},
    {"pde", "parade"},     {"hwy", "highway"},   {"pk", "park"},        {"wk", "walk"},
    {"wy", "way"},         {"mws", "mews"},      {"grn", "green"},      {"blvd", "boulevard"},
    {"cotts", "cottages"}, {"est", "estate"},    {"appr", "approach"},  {"st", "street"},
};

/* Words that qualify a name, expanded anywhere. */
static const abbrev qualifiers[] = {
    {"gt", "great"}, {"lt", "little"}, {"upr", "upper"}, {"upp", "upper"}, {"lwr", "lower"},
};

/* Full street-type words recognised by hs_name_street_type. */
static const char *const street_type_words[] = {
    "road",     "street",    "avenue",   "lane",   "close",  "court",   "drive",  "crescent",
    "gardens",  "garden",    "grove",    "place",  "square", "terrace", "parade", "highway",
    "park",     "walk",      "way",      "mews",   "hill",   "row",     "rise",   "green",
    "view",     "boulevard", "approach", "circus", "yard",   "path",    "wharf",  "quay",
    "cottages", "estate",    "gate",     "end",
};

static const char *lookup(const abbrev *t, size_t n, const words *ws, size_t i)
{
    for (size_t k = 0; k < n; k++)
        if (word_is(ws, i, t[k].abbr))
            return t[k].full;
    return NULL;
}

/* The spelling of word i in a normalised name (an expansion, or NULL to keep it). */
static const char *expand_word(const words *ws, size_t i)
{
    int last = (i + 1 == ws->n) && ws->n > 1;
    if (word_is(ws, i, "st") && !last)
        return "saint";
    const char *q = lookup(qualifiers, sizeof qualifiers / sizeof qualifiers[0], ws, i);
    if (q != NULL)
        return q;
    return last ? lookup(street_types, sizeof street_types / sizeof street_types[0], ws, i) : NULL;
}

/* Number of leading words to drop: police.uk's "on or near". */
static size_t prefix_words(const words *ws)
{
    if (ws->n >= 3 && word_is(ws, 0, "on") && word_is(ws, 1, "or") && word_is(ws, 2, "near"))
        return 3;
    return 0;
}

/* Join words[from..] with expansions into out (size n). Returns HS_OK or HS_EINVAL. */
static hs_status join_words(const words *ws, size_t from, char *out, size_t n)
{
    size_t o = 0;
    for (size_t i = from; i < ws->n; i++) {
        const char *full = expand_word(ws, i);
        size_t len = full ? strlen(full) : ws->len[i];
        if (o + len + (o > 0) >= n)
            return HS_EINVAL;
        if (o > 0)
            out[o++] = ' ';
        memcpy(out + o, full ? full : ws->w[i], len);
        o += len;
    }
    out[o] = '\0';
    return HS_OK;
}

hs_status hs_name_normalize(const char *text, size_t len, char *out, size_t n)
{
    if (n == 0)
        return HS_EINVAL;
    out[0] = '\0';
    if (text == NULL)
        return HS_OK;
    /* Folding may grow a word ("&" -> " and "), so allow room beyond HS_NAME_SIZE. */
    char folded[4 * HS_NAME_SIZE];
    hs_status st = fold_text(text, len, folded, sizeof folded);
    if (st != HS_OK)
        return st;
    words ws;
    if (!split_words(folded, &ws))
        return HS_EINVAL;
    st = join_words(&ws, prefix_words(&ws), out, n);
    if (st != HS_OK)
        out[0] = '\0';
    return st;
}

static int has_digit(const char *w, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (is_digit(w[i]))
            return 1;
    return 0;
}

/* 1 when word i introduces a unit number ("flat 3"). */
static int is_unit_word(const words *ws, size_t i)
{
    static const char *const unit_words[] = {"flat", "unit",   "apartment", "apt",
                                             "no",   "number", "room",      "suite"};
    for (size_t k = 0; k < sizeof unit_words / sizeof unit_words[0]; k++)
        if (word_is(ws, i, unit_words[k]))
            return 1;
    return 0;
}

void hs_name_strip_house_number(char *name)
{
    words ws;
    if (!split_words(name, &ws))
        return;
    size_t i = 0;
    while (i < ws.n) {
        if (has_digit(ws.w[i], ws.len[i]))
            i++;
        else if (i + 1 < ws.n && is_unit_word(&ws, i) && has_digit(ws.w[i + 1], ws.len[i + 1]))
            i += 2;
        else
            break;
    }
    if (i == 0)
        return;
    if (i == ws.n) {
        name[0] = '\0';
        return;
    }
    memmove(name, ws.w[i], strlen(ws.w[i]) + 1);
}

const char *hs_name_street_type(const char *name)
{
    const char *sp = strrchr(name, ' ');
    if (sp == NULL)
        return NULL; /* a one-word name has no type: "Coppergate" */
    const char *last = sp + 1;
    for (size_t k = 0; k < sizeof street_type_words / sizeof street_type_words[0]; k++)
        if (strcmp(last, street_type_words[k]) == 0)
            return last;
    return NULL;
}

/* 1 when s[0..len) is an LSOA suffix: three digits and a capital letter ("012H"). */
static int is_lsoa_suffix(const char *s, size_t len)
{
    return len == 4 && is_digit(s[0]) && is_digit(s[1]) && is_digit(s[2]) && is_upper(s[3]);
}

hs_status hs_locality_from_lsoa_name(const char *lsoa_name, char *out, size_t n)
{
    if (n == 0)
        return HS_EINVAL;
    out[0] = '\0';
    if (lsoa_name == NULL)
        return HS_OK;
    size_t len = strlen(lsoa_name);
    while (len > 0 && is_space(lsoa_name[len - 1]))
        len--;
    size_t cut = len;
    while (cut > 0 && lsoa_name[cut - 1] != ' ')
        cut--;
    if (cut > 0 && is_lsoa_suffix(lsoa_name + cut, len - cut))
        len = cut - 1;
    return hs_name_normalize(lsoa_name, len, out, n);
}

/* ---- similarity ------------------------------------------------------------------------- */

double hs_jaro_winkler(const char *a, const char *b)
{
    size_t la = strnlen(a, HS_NAME_SIZE - 1), lb = strnlen(b, HS_NAME_SIZE - 1);
    if (la == 0 || lb == 0)
        return (la == 0 && lb == 0) ? 1.0 : 0.0;
    size_t window = (la > lb ? la : lb) / 2;
    window = window > 0 ? window - 1 : 0;
    unsigned char used_a[HS_NAME_SIZE] = {0}, used_b[HS_NAME_SIZE] = {0};
    size_t m = 0;
    for (size_t i = 0; i < la; i++) {
        size_t lo = i > window ? i - window : 0;
        size_t hi = i + window + 1 < lb ? i + window + 1 : lb;
        for (size_t j = lo; j < hi; j++) {
            if (!used_b[j] && a[i] == b[j]) {
                used_a[i] = used_b[j] = 1;
                m++;
                break;
            }
        }
    }
    if (m == 0)
        return 0.0;
    size_t half_t = 0, k = 0;
    for (size_t i = 0; i < la; i++) {
        if (!used_a[i])
            continue;
        while (!used_b[k])
            k++;
        half_t += a[i] != b[k];
        k++;
    }
    double dm = (double)m;
    double jaro = (dm / (double)la + dm / (double)lb + (dm - (double)half_t / 2.0) / dm) / 3.0;
    if (jaro <= 0.7)
        return jaro;
    size_t prefix = 0;
    while (prefix < 4 && prefix < la && prefix < lb && a[prefix] == b[prefix])
        prefix++;
    return jaro + (double)prefix * 0.1 * (1.0 - jaro);
}

double hs_name_similarity(const char *a, const char *b)
{
    const char *ta = hs_name_street_type(a), *tb = hs_name_street_type(b);
    if ((ta == NULL) != (tb == NULL) || (ta != NULL && strcmp(ta, tb) != 0))
        return 0.0;
    if (ta == NULL)
        return hs_jaro_winkler(a, b);
    /* Compare what precedes the shared type: "maynerd" with "maynard", not the whole name,
     * whose common ending would lift any pair of "... road"s. */
    char sa[HS_NAME_SIZE], sb[HS_NAME_SIZE];
    size_t la = (size_t)(ta - a) - 1, lb = (size_t)(tb - b) - 1;
    memcpy(sa, a, la);
    sa[la] = '\0';
    memcpy(sb, b, lb);
    sb[lb] = '\0';
    return hs_jaro_winkler(sa, sb);
}
