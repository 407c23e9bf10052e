/* rng.c - Philox4x32-10 keyed by (seed, unit, permutation): the exported block function (the
 * stream functions are inline in rng.h).
 *
 * Written from the description in Salmon et al. (SC'11), section 4: each round multiplies
 * counter words 0 and 2 by two fixed odd constants and feeds the high halves, XORed with
 * the other counter words and the round key, into the next round; the key is bumped by two
 * Weyl constants between rounds. Checked against the published known-answer vectors in
 * tests/unit/test_rng.c. No I/O, no allocation, no global state.
 */
#include "engine/rng.h"

void hs_rng_philox4x32_10(const uint32_t ctr[4], const uint32_t key[2], uint32_t out[4])
{
    out[0] = ctr[0];
    out[1] = ctr[1];
    out[2] = ctr[2];
    out[3] = ctr[3];
    hs_rng_block(out, key[0], key[1]);
}
