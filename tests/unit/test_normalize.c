/* test_normalize.c - postcodes (normalise, validate, extract), names (normalise, house
 * numbers, street types, LSOA localities), UTF-8 checks and fuzzy scores.
 * Expected postcodes follow the BS 7666 pattern by hand; Jaro-Winkler values are the
 * textbook pairs (Winkler 1990 / Wikipedia: MARTHA-MARHTA 0.961, DWAYNE-DUANE 0.84,
 * DIXON-DICKSONX 0.813) and the rest were computed with an independent Python
 * implementation of the same definition (window floor(max/2)-1, boost above 0.7). */
#include "geo/normalize.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* clang-format off: cmocka needs setjmp.h, stdarg.h and stddef.h first */
#include <cmocka.h>
/* clang-format on */

static void assert_postcode(const char *in, const char *expected)
{
    char out[HS_POSTCODE_SIZE];
    assert_int_equal(hs_postcode_normalize(in, out), 1);
    assert_string_equal(out, expected);
}

static void assert_not_postcode(const char *in)
{
    char out[HS_POSTCODE_SIZE] = "junk";
    assert_int_equal(hs_postcode_normalize(in, out), 0);
    assert_string_equal(out, "");
}

static void test_postcode_formats(void **state)
{
    (void)state;
    assert_postcode("ct1 2je", "CT1 2JE");
    assert_postcode("CT12JE", "CT1 2JE");
    assert_postcode("CT101AA", "CT10 1AA"); /* Code-Point's 7-character form */
    assert_postcode("  sw1a\t1aa ", "SW1A 1AA");
    assert_postcode("M1 1AE", "M1 1AE");     /* A9 */
    assert_postcode("B33 8TH", "B33 8TH");   /* A99 */
    assert_postcode("W1A 0AX", "W1A 0AX");   /* A9A */
    assert_postcode("CR2 6XH", "CR2 6XH");   /* AA9 */
    assert_postcode("DN55 1PT", "DN55 1PT"); /* AA99 */
    assert_postcode("EC1A 1BB", "EC1A 1BB"); /* AA9A */
    assert_postcode("gir0aa", "GIR 0AA");    /* the one special case */
}

static void test_postcode_rejects(void **state)
{
    (void)state;
    assert_not_postcode(NULL);
    assert_not_postcode("");
    assert_not_postcode("CT1");
    assert_not_postcode("CT1 2J");
    assert_not_postcode("CT1 2JE X");
    assert_not_postcode("CT1-2JE");        /* only whitespace may separate */
    assert_not_postcode("1CT 2JE");        /* outward starts with a letter */
    assert_not_postcode("CT12345");        /* inward is digit + two letters */
    assert_not_postcode("QT1 2JE");        /* Q never first */
    assert_not_postcode("AI1 1AA");        /* I never second */
    assert_not_postcode("W1I 0AX");        /* I cannot end an A9A outward code */
    assert_not_postcode("EC1C 1BB");       /* C cannot end an AA9A outward code */
    assert_not_postcode("CT1 2CE");        /* C never in the inward code */
    assert_not_postcode("CT1 2JO");        /* nor O */
    assert_not_postcode("CT1 2J\xc3\x89"); /* non-ASCII */
}

static void test_postcode_extract(void **state)
{
    (void)state;
    char pc[HS_POSTCODE_SIZE];
    assert_int_equal(hs_postcode_extract("12 High Street, Canterbury CT1 2JE", pc), 1);
    assert_string_equal(pc, "CT1 2JE");
    assert_int_equal(hs_postcode_extract("flat 2, broadstairs ct101aa", pc), 1);
    assert_string_equal(pc, "CT10 1AA");
    assert_int_equal(hs_postcode_extract("ct1  2je.", pc), 1);
    assert_string_equal(pc, "CT1 2JE");
    /* The last one wins: an address ends with its postcode. */
    assert_int_equal(hs_postcode_extract("was CT1 2JE, now CT5 1AA", pc), 1);
    assert_string_equal(pc, "CT5 1AA");
    assert_int_equal(hs_postcode_extract("Unit 5, 12345 Dover St", pc), 0);
    assert_int_equal(hs_postcode_extract("CT1,2JE", pc), 0); /* a comma splits it */
    assert_int_equal(hs_postcode_extract("On or near Supermarket", pc), 0);
    assert_int_equal(hs_postcode_extract(NULL, pc), 0);
    assert_string_equal(pc, "");
}

static void test_postcode_district(void **state)
{
    (void)state;
    char d[5];
    assert_int_equal(hs_postcode_district("CT1 2JE", d), 1);
    assert_string_equal(d, "CT1");
    assert_int_equal(hs_postcode_district("CT10 1AA", d), 1);
    assert_string_equal(d, "CT10");
    assert_int_equal(hs_postcode_district("CT12JE", d), 0);
}

static void test_utf8_validity(void **state)
{
    (void)state;
    assert_int_equal(hs_utf8_valid("caf\xc3\xa9", 5), 1);
    assert_int_equal(hs_utf8_valid("\xf0\x9f\x98\x80", 4), 1); /* U+1F600 */
    assert_int_equal(hs_utf8_valid("\xc3", 1), 0);             /* truncated */
    assert_int_equal(hs_utf8_valid("\xc0\xaf", 2), 0);         /* overlong '/' */
    assert_int_equal(hs_utf8_valid("\xed\xa0\x80", 3), 0);     /* surrogate U+D800 */
    assert_int_equal(hs_utf8_valid("\xf4\x90\x80\x80", 4), 0); /* above U+10FFFF */
    assert_int_equal(hs_utf8_valid("\xff", 1), 0);
}

static void assert_name(const char *in, const char *expected)
{
    char out[HS_NAME_SIZE];
    assert_int_equal(hs_name_normalize(in, strlen(in), out, sizeof out), HS_OK);
    assert_string_equal(out, expected);
}

static void test_name_normalisation(void **state)
{
    (void)state;
    /* police.uk and OS spellings of one street meet. */
    assert_name("On or near St Dunstan'S Street", "saint dunstans street");
    assert_name("St Dunstan's Street", "saint dunstans street");
    assert_name("St. Dunstan\xe2\x80\x99s St", "saint dunstans street"); /* U+2019 */
    assert_name("Saint Dunstans Street", "saint dunstans street");
    /* St is Saint unless it ends the name; types expand only at the end. */
    assert_name("High St", "high street");
    assert_name("St Peter's Rd", "saint peters road");
    assert_name("Upr Bridge St", "upper bridge street");
    assert_name("Wincheap Ave", "wincheap avenue");
    assert_name("Ave Maria Lane", "ave maria lane");
    assert_name("Marlowe Gdns", "marlowe gardens");
    /* Punctuation separates words; & is and. */
    assert_name("ON OR NEAR Sports/Recreation Area", "sports recreation area");
    assert_name("On or near Bus/Coach Station", "bus coach station");
    assert_name("Marks & Spencer", "marks and spencer");
    assert_name("  A28  ", "a28");
    /* Accents fold: e-acute, w-circumflex (Welsh), sharp s, ae ligature. */
    assert_name("Caf\xc3\xa9 Corner", "cafe corner");
    assert_name("Ffordd \xc5\xb4yn", "ffordd wyn");
    assert_name("Stra\xc3\x9f"
                "e",
                "strasse");
    assert_name("\xc3\x86thelred Way", "aethelred way");
    /* Other scripts are kept as they are; only ASCII is lower-cased. */
    assert_name("\xce\x91\xce\xb8\xce\xae\xce\xbd\xce\xb1 Road",
                "\xce\x91\xce\xb8\xce\xae\xce\xbd\xce\xb1 road");
    /* Nothing left. */
    assert_name("On or near", "");
    assert_name(" ,. ", "");
}

static void test_name_rejects_bad_text(void **state)
{
    (void)state;
    char out[HS_NAME_SIZE] = "junk";
    assert_int_equal(hs_name_normalize("Caf\xff Street", 12, out, sizeof out), HS_EDATA);
    assert_int_equal(hs_name_normalize("\xc0\xaf", 2, out, sizeof out), HS_EDATA);
    assert_int_equal(hs_name_normalize("a\xe2\x80", 3, out, sizeof out), HS_EDATA);
    char longer[300];
    memset(longer, 'a', sizeof longer - 1);
    longer[sizeof longer - 1] = '\0';
    assert_int_equal(hs_name_normalize(longer, strlen(longer), out, sizeof out), HS_EINVAL);
    assert_string_equal(out, "");
    /* 127 letters fit; the result must leave room for the NUL. */
    assert_int_equal(hs_name_normalize(longer, 127, out, sizeof out), HS_OK);
    assert_int_equal(strlen(out), 127);
    assert_int_equal(hs_name_normalize(longer, 128, out, sizeof out), HS_EINVAL);
    /* A slice: only the first len bytes count. */
    assert_int_equal(hs_name_normalize("High St, Canterbury", 7, out, sizeof out), HS_OK);
    assert_string_equal(out, "high street");
}

static void assert_stripped(const char *in, const char *expected)
{
    char s[HS_NAME_SIZE];
    strcpy(s, in);
    hs_name_strip_house_number(s);
    assert_string_equal(s, expected);
}

static void test_house_numbers(void **state)
{
    (void)state;
    assert_stripped("12 high street", "high street");
    assert_stripped("12a high street", "high street");
    assert_stripped("flat 3 12 high street", "high street");
    assert_stripped("unit 5 wincheap estate", "wincheap estate");
    assert_stripped("high street", "high street");
    assert_stripped("flat high street", "flat high street"); /* no number after "flat" */
    assert_stripped("12", "");
}

static void test_street_type_and_locality(void **state)
{
    (void)state;
    assert_string_equal(hs_name_street_type("maynard road"), "road");
    assert_string_equal(hs_name_street_type("the close"), "close");
    assert_null(hs_name_street_type("coppergate"));
    assert_null(hs_name_street_type("road"));
    assert_null(hs_name_street_type("high street north"));
    char loc[48];
    assert_int_equal(hs_locality_from_lsoa_name("Canterbury 012H", loc, sizeof loc), HS_OK);
    assert_string_equal(loc, "canterbury");
    assert_int_equal(hs_locality_from_lsoa_name("Folkestone and Hythe 001A", loc, sizeof loc),
                     HS_OK);
    assert_string_equal(loc, "folkestone and hythe");
    assert_int_equal(hs_locality_from_lsoa_name("Canterbury", loc, sizeof loc), HS_OK);
    assert_string_equal(loc, "canterbury");
    assert_int_equal(hs_locality_from_lsoa_name("", loc, sizeof loc), HS_OK);
    assert_string_equal(loc, "");
}

static void test_jaro_winkler(void **state)
{
    (void)state;
    assert_float_equal(hs_jaro_winkler("MARTHA", "MARHTA"), 0.9611111111, 1e-9);
    assert_float_equal(hs_jaro_winkler("DWAYNE", "DUANE"), 0.84, 1e-9);
    assert_float_equal(hs_jaro_winkler("DIXON", "DICKSONX"), 0.8133333333, 1e-9);
    assert_float_equal(hs_jaro_winkler("DICKSONX", "DIXON"), 0.8133333333, 1e-9);
    /* Jaro 0.667 is below the 0.7 boost threshold: no prefix bonus. */
    assert_float_equal(hs_jaro_winkler("abcd", "abxy"), 0.6666666667, 1e-9);
    assert_float_equal(hs_jaro_winkler("coppergate", "copergate"), 0.9766666667, 1e-9);
    assert_float_equal(hs_jaro_winkler("same", "same"), 1.0, 0.0);
    assert_float_equal(hs_jaro_winkler("", ""), 1.0, 0.0);
    assert_float_equal(hs_jaro_winkler("abc", ""), 0.0, 0.0);
    assert_float_equal(hs_jaro_winkler("abc", "xyz"), 0.0, 0.0);
}

static void test_name_similarity(void **state)
{
    (void)state;
    /* Same type: the words before it are compared. */
    assert_float_equal(hs_name_similarity("maynerd road", "maynard road"), 0.9428571429, 1e-9);
    assert_float_equal(hs_name_similarity("leycroft close", "beecroft close"), 0.8333333333, 1e-9);
    assert_float_equal(hs_name_similarity("saint andrews close", "saint dunstans close"),
                       0.8667032967, 1e-9);
    /* Different types, or a type on one side only: different places. */
    assert_float_equal(hs_name_similarity("maynard close", "maynard road"), 0.0, 0.0);
    assert_float_equal(hs_name_similarity("hospital lane", "hospital"), 0.0, 0.0);
    /* No type: whole names. */
    assert_float_equal(hs_name_similarity("coppergate", "copergate"), 0.9766666667, 1e-9);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_postcode_formats),
        cmocka_unit_test(test_postcode_rejects),
        cmocka_unit_test(test_postcode_extract),
        cmocka_unit_test(test_postcode_district),
        cmocka_unit_test(test_utf8_validity),
        cmocka_unit_test(test_name_normalisation),
        cmocka_unit_test(test_name_rejects_bad_text),
        cmocka_unit_test(test_house_numbers),
        cmocka_unit_test(test_street_type_and_locality),
        cmocka_unit_test(test_jaro_winkler),
        cmocka_unit_test(test_name_similarity),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
