/* normalize.h - pure string functions for geocoding: UK postcodes, street and place names,
 * fuzzy name similarity.
 *
 * No I/O, no allocation, no global state: every function is thread-safe. Inputs are
 * NUL-terminated UTF-8 (names) or ASCII (postcodes); invalid UTF-8 is reported, never read
 * past. The gazetteer build and the geocoder both go through these functions, so a name is
 * normalised the same way on both sides.
 *
 * Postcode format: the UK unit postcode as defined in BS 7666 (the pattern the government
 * data standards catalogue publishes): outward code A9, A99, AA9, AA99, A9A or AA9A, then
 * the inward code 9AA, with the letter restrictions per position, plus GIR 0AA.
 *
 * Fuzzy score: Jaro-Winkler similarity (M. A. Jaro, JASA 84(406), 1989; W. E. Winkler,
 * "String comparator metrics and enhanced decision rules in the Fellegi-Sunter model of
 * record linkage", 1990), on bytes, prefix scale 0.1, prefix up to 4 characters, applied
 * when the Jaro similarity exceeds 0.7 (Winkler's boost threshold).
 */
#ifndef HS_GEO_NORMALIZE_H
#define HS_GEO_NORMALIZE_H

#include "engine/status.h"

#include <stddef.h>

/* Size of a normalised postcode buffer: "AA9A 9AA" plus NUL. */
#define HS_POSTCODE_SIZE 9
/* Size of a normalised name buffer; longer names are refused (HS_EINVAL). */
#define HS_NAME_SIZE 128

/* Normalise a postcode ("ct1 2je", "CT12JE", "CT101AA", " CT10 1AA ") to its canonical form,
 * upper case with one space before the inward code ("CT1 2JE", "CT10 1AA"), and check it
 * against the UK format. Whitespace anywhere is ignored; nothing else is. Returns 1 and
 * fills out when valid; returns 0 (out = "") when not. text may be NULL (returns 0). */
int hs_postcode_normalize(const char *text, char out[HS_POSTCODE_SIZE]);

/* Find a postcode inside free text ("12 High Street, Canterbury CT1 2JE", "...ct1 2je").
 * Looks at words (runs of ASCII letters and digits): one word of 5-7 characters, or two
 * adjacent words of 2-4 and 3 characters. When several are present the last one wins (a
 * postcode ends an address). Returns 1 with the normalised postcode in out, else 0. */
int hs_postcode_extract(const char *text, char out[HS_POSTCODE_SIZE]);

/* The outward code (postcode district) of a normalised postcode: "CT1 2JE" -> "CT1".
 * out needs 5 bytes. Returns 1, or 0 when postcode is not normalised. */
int hs_postcode_district(const char *postcode, char out[5]);

/* 1 when s[0..len) is valid UTF-8 (no overlongs, no surrogates, at most U+10FFFF). */
int hs_utf8_valid(const char *s, size_t len);

/* Normalise a street or place name, text[0..len), for exact matching:
 *  - letters are lower-cased and Latin-1 and Latin Extended-A letters folded to ASCII
 *    (e-acute -> e, w-circumflex -> w, ae-ligature -> ae, sharp s -> ss);
 *  - apostrophes (' ` U+2018 U+2019 U+02BC) are dropped, so police.uk's "St Dunstan'S
 *    Street" and OS's "St Dunstan's Street" agree; "&" becomes "and"; any other punctuation,
 *    dash or space separates words;
 *  - a leading "On or near" (police.uk) is dropped;
 *  - "St" is "saint" except as the last word, where it is "street" ("St Peter's St" ->
 *    "saint peters street"); street-type abbreviations are expanded as the last word only
 *    (Rd road, Ave avenue, Ln lane, Cl close, Ct court, Dr drive, Cres crescent, Gdns
 *    gardens, Gr grove, Pl place, Sq square, Tce terrace, Pde parade, Hwy highway, Pk park,
 *    Wk walk, ...); Gt, Lt, Upr, Lwr become great, little, upper, lower anywhere;
 *  - words are joined by single spaces.
 * Non-ASCII letters outside the folding table are kept as they are (lower-case is ASCII
 * only). The result may be empty ("On or near", "  "). Returns HS_OK; HS_EDATA when text is
 * not valid UTF-8; HS_EINVAL when the result does not fit in n bytes (out is then ""). */
hs_status hs_name_normalize(const char *text, size_t len, char *out, size_t n);

/* Drop leading house numbers from a normalised address part, in place: words containing a
 * digit ("12", "12a", "3b") and "flat N", "unit N", "apartment N", "apt N", "no N" before
 * the street name. "12 high street" -> "high street"; "flat 3 12 high street" -> "high
 * street". A part made only of such words becomes "". */
void hs_name_strip_house_number(char *name);

/* The street-type word ending a normalised name ("road" for "maynard road"), or NULL when
 * the last word is not a street type. Points into name. */
const char *hs_name_street_type(const char *name);

/* Locality of a police.uk LSOA name: the district part, normalised ("Canterbury 012H" ->
 * "canterbury", "Folkestone and Hythe 001A" -> "folkestone and hythe"). Returns HS_OK,
 * HS_EDATA (not UTF-8) or HS_EINVAL (does not fit); out is "" when there is no district. */
hs_status hs_locality_from_lsoa_name(const char *lsoa_name, char *out, size_t n);

/* Jaro-Winkler similarity of a and b, in [0, 1]; 1 for equal strings (including two empty
 * ones), 0 when one is empty. Strings longer than HS_NAME_SIZE - 1 bytes are compared on
 * their first HS_NAME_SIZE - 1 bytes. */
double hs_jaro_winkler(const char *a, const char *b);

/* Fuzzy score of two normalised names, in [0, 1]. Names ending in a street type ("maynard
 * road") are compared on the words before it, and only when both end in the same type:
 * "maynerd road" / "maynard road" scores as "maynerd" / "maynard"; "... close" / "... road"
 * and "hospital lane" / "hospital" score 0, as they are different places however alike
 * their words. Names without a type are compared whole. The comparison is Jaro-Winkler. */
double hs_name_similarity(const char *a, const char *b);

#endif
