/* test_sha256.c - SHA-256 against the FIPS 180-4 example vectors and sha256sum. */
#include "cli/sha256.h"
#include "tests/test_support.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

static void digest(const char *msg, size_t n, char hex[65])
{
    hs_sha256 s;
    hs_sha256_init(&s);
    hs_sha256_update(&s, msg, n);
    hs_sha256_hex(&s, hex);
}

static void test_fips_vectors(void **state)
{
    (void)state;
    char hex[65];
    digest("abc", 3, hex);
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    digest("", 0, hex);
    assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    digest(two, strlen(two), hex);
    assert_string_equal(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

static void test_file_in_pieces_matches_sha256sum(void **state)
{
    (void)state;
    /* One million 'a' (FIPS 180-4 example), fed in odd-sized pieces and as a file. */
    static char a[1000000];
    memset(a, 'a', sizeof a);
    hs_sha256 s;
    hs_sha256_init(&s);
    for (size_t off = 0; off < sizeof a; off += 777)
        hs_sha256_update(&s, a + off, sizeof a - off < 777 ? sizeof a - off : 777);
    char hex[65];
    hs_sha256_hex(&s, hex);
    const char *want = "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0";
    assert_string_equal(hex, want);
    char path[512];
    hs_test_tmp("million_a.bin", path, sizeof path);
    assert_int_equal(hs_test_write(path, a, sizeof a), 0);
    assert_int_equal(hs_sha256_file(path, hex), 0);
    assert_string_equal(hex, want);
    assert_int_equal(hs_sha256_file("/nonexistent/file", hex), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fips_vectors),
        cmocka_unit_test(test_file_in_pieces_matches_sha256sum),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
