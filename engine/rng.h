/* rng.h - counter-based random numbers keyed by (seed, unit, permutation).
 *
 * Every random draw of the engine is a pure function of (seed, unit, permutation, counter),
 * so results never depend on the thread count or on the order in which threads run: a
 * thread that handles unit i and permutation p re-creates exactly the stream any other
 * thread would. There is no global state and no per-thread stream.
 *
 * The generator is Philox4x32-10 (Salmon, Moraes, Dror & Shaw, "Parallel random numbers:
 * as easy as 1, 2, 3", SC'11): a 10-round bijection of a 128-bit counter under a 64-bit key.
 * Here the key is the seed and the counter is (draw counter, permutation, unit low word,
 * unit high word), so distinct (unit, permutation) pairs can never share a block.
 * Bounded integers use Lemire's multiply-and-reject method ("Fast random integer generation
 * in an interval", ACM TOMACS 2019), which is exactly unbiased.
 *
 * No I/O, no allocation. All functions are thread-safe on distinct hs_rng objects.
 */
#ifndef HS_ENGINE_RNG_H
#define HS_ENGINE_RNG_H

#include <stdint.h>

typedef struct hs_rng {
    uint32_t key[2]; /* the seed, split into two 32-bit words */
    uint32_t ctr[4]; /* counter block: draw counter, permutation, unit (low, high) */
    uint32_t out[4]; /* the current output block */
    unsigned used;   /* how many words of out have been handed out (4 = refill) */
} hs_rng;

/* One Philox4x32-10 block: out = philox(ctr, key). Exposed for the known-answer test. */
void hs_rng_philox4x32_10(const uint32_t ctr[4], const uint32_t key[2], uint32_t out[4]);

/* The draws below are inline: the permutation kernels call them billions of times.
 * Implementation details follow; the block function is written from Salmon et al. (SC'11),
 * section 4 (see rng.c). */
#define HS_PHILOX_M0 0xD2511F53u /* multiplier of counter word 0 */
#define HS_PHILOX_M1 0xCD9E8D57u /* multiplier of counter word 2 */
#define HS_PHILOX_W0 0x9E3779B9u /* key bump of key word 0 (golden ratio) */
#define HS_PHILOX_W1 0xBB67AE85u /* key bump of key word 1 (sqrt(3) - 1) */

/* Ten Philox rounds of c under key (k0, k1), in place. */
static inline void hs_rng_block(uint32_t c[4], uint32_t k0, uint32_t k1)
{
    for (int round = 0; round < 10; round++) {
        uint64_t p0 = (uint64_t)HS_PHILOX_M0 * c[0];
        uint64_t p1 = (uint64_t)HS_PHILOX_M1 * c[2];
        uint32_t n0 = (uint32_t)(p1 >> 32) ^ c[1] ^ k0;
        uint32_t n2 = (uint32_t)(p0 >> 32) ^ c[3] ^ k1;
        c[1] = (uint32_t)p1;
        c[3] = (uint32_t)p0;
        c[0] = n0;
        c[2] = n2;
        k0 += HS_PHILOX_W0;
        k1 += HS_PHILOX_W1;
    }
}

/* Start the stream of (seed, unit, permutation). Cheap (no block computed yet). */
static inline void hs_rng_init(hs_rng *r, uint64_t seed, uint64_t unit, uint32_t permutation)
{
    r->key[0] = (uint32_t)seed;
    r->key[1] = (uint32_t)(seed >> 32);
    r->ctr[0] = 0;
    r->ctr[1] = permutation;
    r->ctr[2] = (uint32_t)unit;
    r->ctr[3] = (uint32_t)(unit >> 32);
    r->used = 4;
}

/* Next 32 uniformly distributed bits of the stream. */
static inline uint32_t hs_rng_next_u32(hs_rng *r)
{
    if (r->used == 4) {
        r->out[0] = r->ctr[0];
        r->out[1] = r->ctr[1];
        r->out[2] = r->ctr[2];
        r->out[3] = r->ctr[3];
        hs_rng_block(r->out, r->key[0], r->key[1]);
        r->ctr[0]++; /* 2^32 blocks = 2^34 draws per (unit, permutation): never reached */
        r->used = 0;
    }
    return r->out[r->used++];
}

/* An integer uniformly distributed in [0, bound), exactly unbiased (Lemire: the high word
 * of x * bound is uniform once the low word is outside the short biased band
 * [0, 2^32 mod bound)). bound 0 returns 0. */
static inline uint32_t hs_rng_bounded(hs_rng *r, uint32_t bound)
{
    if (bound == 0)
        return 0;
    uint64_t m = (uint64_t)hs_rng_next_u32(r) * bound;
    if ((uint32_t)m < bound) {
        uint32_t threshold = (uint32_t)(-bound) % bound;
        while ((uint32_t)m < threshold)
            m = (uint64_t)hs_rng_next_u32(r) * bound;
    }
    return (uint32_t)(m >> 32);
}

/* A double uniformly distributed in [0, 1) with 53 random bits. */
static inline double hs_rng_uniform(hs_rng *r)
{
    uint64_t hi = hs_rng_next_u32(r) >> 5;                         /* 27 bits */
    uint64_t lo = hs_rng_next_u32(r) >> 6;                         /* 26 bits */
    return (double)((hi << 26) | lo) * (1.0 / 9007199254740992.0); /* / 2^53 */
}

#endif
