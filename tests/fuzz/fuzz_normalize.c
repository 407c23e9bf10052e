/* fuzz_normalize.c - libFuzzer target: the string functions of geo/normalize.h on arbitrary
 * bytes: postcodes (normalise, extract, district), names (normalise, strip house numbers,
 * street type, LSOA locality), UTF-8 validation, and Jaro-Winkler / name similarity on the
 * two halves of the input.
 *
 * Checks what normalize.h promises: a normalised postcode is canonical (normalising it again
 * gives it back) and its district is its outward code; extract finds only valid postcodes;
 * a normalised name fits its buffer, is valid UTF-8 when the input was, and has single
 * spaces between words; scores lie in [0, 1], a non-empty string scores 1 against itself.
 * hs_name_similarity gets normalised names, as its header requires. Seeds:
 * tests/fuzz/corpus/normalize/.
 */
#include "fuzz_support.h"
#include "geo/gazetteer.h"
#include "geo/normalize.h"

#include <math.h>

static void check_postcode(const char *pc)
{
    char again[HS_POSTCODE_SIZE], district[5];
    size_t n = strlen(pc);
    if (n < 6 || n > 8 || !hs_postcode_normalize(pc, again) || strcmp(again, pc) != 0)
        hs_fuzz_fail("a normalised postcode is not canonical", pc);
    if (!hs_postcode_district(pc, district) || strncmp(pc, district, strlen(district)) != 0 ||
        pc[strlen(district)] != ' ')
        hs_fuzz_fail("the district of a postcode is not its outward code", pc);
}

static void postcodes(const char *text)
{
    char pc[HS_POSTCODE_SIZE];
    if (hs_postcode_normalize(text, pc))
        check_postcode(pc);
    else if (pc[0] != '\0')
        hs_fuzz_fail("an invalid postcode left text in out", text);
    if (hs_postcode_extract(text, pc))
        check_postcode(pc);
    char district[5];
    (void)hs_postcode_district(text, district);
}

/* Words joined by single spaces, none leading or trailing. */
static void check_spacing(const char *name)
{
    size_t n = strlen(name);
    if (n > 0 && (name[0] == ' ' || name[n - 1] == ' ' || strstr(name, "  ") != NULL))
        hs_fuzz_fail("a normalised name with stray spaces", name);
}

/* Normalise text[0..len) into out (HS_NAME_SIZE) and check; returns 1 when it gave a name. */
static int name(const char *text, size_t len, char out[HS_NAME_SIZE])
{
    hs_status st = hs_name_normalize(text, len, out, HS_NAME_SIZE);
    if (st == HS_EDATA && hs_utf8_valid(text, len))
        hs_fuzz_fail("valid UTF-8 refused as invalid", NULL);
    if (st != HS_OK) {
        if (out[0] != '\0')
            hs_fuzz_fail("a failed normalisation left text in out", NULL);
        return 0;
    }
    if (strlen(out) >= HS_NAME_SIZE || !hs_utf8_valid(out, strlen(out)))
        hs_fuzz_fail("a normalised name overflows or is not UTF-8", out);
    check_spacing(out);
    const char *type = hs_name_street_type(out);
    if (type != NULL && (type <= out || type[-1] != ' '))
        hs_fuzz_fail("a street type that is not the last word", out);
    char stripped[HS_NAME_SIZE];
    memcpy(stripped, out, HS_NAME_SIZE);
    hs_name_strip_house_number(stripped);
    if (strlen(stripped) > strlen(out))
        hs_fuzz_fail("stripping house numbers lengthened a name", out);
    return 1;
}

static void check_score(double s, const char *what)
{
    if (!(s >= 0.0 && s <= 1.0))
        hs_fuzz_fail("a similarity outside [0, 1]", what);
}

static void similarity(const char *a, const char *b, const uint8_t *data, size_t half, size_t size)
{
    check_score(hs_jaro_winkler(a, b), "jaro_winkler");
    if (a[0] != '\0' && fabs(hs_jaro_winkler(a, a) - 1.0) > 1e-12)
        hs_fuzz_fail("a string is not identical to itself", a);
    char na[HS_NAME_SIZE], nb[HS_NAME_SIZE];
    if (name((const char *)data, half, na) && name((const char *)data + half, size - half, nb)) {
        check_score(hs_name_similarity(na, nb), "name_similarity");
        if (na[0] != '\0' && fabs(hs_name_similarity(na, na) - 1.0) > 1e-12)
            hs_fuzz_fail("a name is not similar to itself", na);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = hs_fuzz_cstr(data, size);
    (void)hs_utf8_valid((const char *)data, size);
    postcodes(text);
    char out[HS_NAME_SIZE], small[8];
    (void)name((const char *)data, size, out);
    if (hs_name_normalize((const char *)data, size, small, sizeof small) != HS_OK &&
        small[0] != '\0')
        hs_fuzz_fail("a name too long for a small buffer left text in it", NULL);
    char locality[HS_GAZ_LOCALITY_SIZE];
    if (hs_locality_from_lsoa_name(text, locality, sizeof locality) == HS_OK)
        check_spacing(locality);
    size_t half = size / 2;
    char *a = hs_fuzz_cstr(data, half), *b = hs_fuzz_cstr(data + half, size - half);
    similarity(a, b, data, half, size);
    free(b);
    free(a);
    free(text);
    return 0;
}
