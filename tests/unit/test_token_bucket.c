/* Unit tests for the token bucket: refill, the burst cap, unlimited,
 * fractions of a token, huge values, requests larger than the burst. */
#include "check.h"
#include "../../hypervisor/vmm/token_bucket.h"

#include <stdint.h>

#define S TOKEN_BUCKET_NS_PER_S
#define T0 (1000 * S) /* an arbitrary start on the clock */

static void test_starts_full_then_waits(void)
{
    struct token_bucket b;
    token_bucket_init(&b, 1000, T0);
    CHECK_EQ_INT(token_bucket_wait_ns(&b, 1000, T0), 0);
    token_bucket_take(&b, 1000);
    /* Empty: one token arrives every millisecond. */
    CHECK_EQ_INT(token_bucket_wait_ns(&b, 1, T0), S / 1000);
    CHECK_EQ_INT(token_bucket_wait_ns(&b, 500, T0), S / 2);
    CHECK_EQ_INT(token_bucket_wait_ns(&b, 1, T0 + S / 1000 - 1), 1);
    CHECK_EQ_INT(token_bucket_wait_ns(&b, 1, T0 + S / 1000), 0);
    CHECK_EQ_INT(token_bucket_wait_ns(&b, 500, T0 + S / 2), 0);
    CHECK_EQ_INT(b.tokens, 500);
}

static void test_burst_cap(void)
{
    struct token_bucket b;
    token_bucket_init(&b, 100, T0);
    token_bucket_take(&b, 100);
    /* An hour idle fills the bucket to one second's worth, no more. */
    CHECK_EQ_INT(token_bucket_wait_ns(&b, 100, T0 + 3600 * S), 0);
    CHECK_EQ_INT(b.tokens, 100);
    CHECK_EQ_INT(b.frac, 0);
    token_bucket_take(&b, 100);
    CHECK(token_bucket_wait_ns(&b, 1, T0 + 3600 * S) > 0);
}

static void test_unlimited(void)
{
    struct token_bucket b;
    token_bucket_init(&b, 0, T0);
    for (int i = 0; i < 1000; i++) {
        CHECK_EQ_INT(token_bucket_wait_ns(&b, UINT64_MAX, T0), 0);
        token_bucket_take(&b, UINT64_MAX);
    }
    CHECK_EQ_INT(b.debt, 0);
}

/* 3 tokens a second refilled every millisecond: the fractions add up to
 * 3 tokens a second, not 0. */
static void test_fractions_carry(void)
{
    struct token_bucket b;
    token_bucket_init(&b, 3, T0);
    token_bucket_take(&b, 3);
    unsigned passed = 0;
    for (uint64_t t = T0; t <= T0 + 10 * S; t += S / 1000)
        if (token_bucket_wait_ns(&b, 1, t) == 0) {
            token_bucket_take(&b, 1);
            passed++;
        }
    CHECK_EQ_INT(passed, 30);
}

static void test_larger_than_burst_passes_with_debt(void)
{
    struct token_bucket b;
    token_bucket_init(&b, 1000, T0);
    /* Full bucket: a request of 5 bursts goes, and leaves 4 s of debt. */
    CHECK_EQ_INT(token_bucket_wait_ns(&b, 5000, T0), 0);
    token_bucket_take(&b, 5000);
    CHECK_EQ_INT(b.debt, 4000);
    /* Nothing passes until the debt is paid and a token arrived. */
    CHECK_EQ_INT(token_bucket_wait_ns(&b, 1, T0), 4 * S + S / 1000);
    CHECK(token_bucket_wait_ns(&b, 1, T0 + 4 * S) > 0);
    CHECK_EQ_INT(token_bucket_wait_ns(&b, 1, T0 + 4 * S + S / 1000), 0);
    /* Not full: a large request waits for a full bucket, then goes. */
    uint64_t wait = token_bucket_wait_ns(&b, 5000, T0 + 4 * S + S / 1000);
    CHECK_EQ_INT(wait, S - S / 1000);
    CHECK_EQ_INT(token_bucket_wait_ns(&b, 5000, T0 + 5 * S), 0);
}

/* Over a long run the rate is exact whatever the request sizes. */
static void test_long_run_rate(void)
{
    struct token_bucket b;
    token_bucket_init(&b, 4 << 20, T0);
    uint64_t t = T0, moved = 0;
    static const uint64_t sizes[] = { 4096, 1 << 20, 3 << 20, 512, 9 << 20 };
    for (unsigned i = 0; t < T0 + 100 * S; i++) {
        uint64_t n = sizes[i % 5];
        uint64_t wait = token_bucket_wait_ns(&b, n, t);
        t += wait;
        CHECK_EQ_INT(token_bucket_wait_ns(&b, n, t), 0);
        token_bucket_take(&b, n);
        moved += n;
    }
    /* 100 s at 4 MiB/s plus the first full bucket, give or take the last
     * request (at most 9 MiB taken on credit). */
    uint64_t expect = 101ULL * (4 << 20);
    CHECK(moved >= expect && moved <= expect + (9 << 20));
}

static void test_huge_values(void)
{
    struct token_bucket b;
    token_bucket_init(&b, UINT64_MAX, T0);
    CHECK_EQ_INT(token_bucket_wait_ns(&b, UINT64_MAX, T0), 0);
    token_bucket_take(&b, UINT64_MAX);
    /* Years later at an absurd rate: full, no overflow. */
    CHECK_EQ_INT(token_bucket_wait_ns(&b, 1, UINT64_MAX), 0);
    CHECK(b.tokens == UINT64_MAX);
    /* One token a second, asked for everything: waits for a full bucket
     * (1 s) and not for 2^64 seconds. */
    token_bucket_init(&b, 1, T0);
    token_bucket_take(&b, 1);
    CHECK_EQ_INT(token_bucket_wait_ns(&b, UINT64_MAX, T0), S);
    CHECK_EQ_INT(token_bucket_wait_ns(&b, UINT64_MAX, T0 + S), 0);
    token_bucket_take(&b, UINT64_MAX);
    CHECK(b.debt == UINT64_MAX - 1);
    uint64_t wait = token_bucket_wait_ns(&b, 1, T0 + S);
    CHECK(wait == UINT64_MAX); /* saturated, not wrapped */
    token_bucket_take(&b, UINT64_MAX);
    CHECK(b.debt == UINT64_MAX); /* saturated */
}

static void test_clock_going_back(void)
{
    struct token_bucket b;
    token_bucket_init(&b, 1000, T0);
    token_bucket_take(&b, 1000);
    CHECK(token_bucket_wait_ns(&b, 1, T0 - S) > 0);
    CHECK_EQ_INT(b.tokens, 0);
    CHECK_EQ_INT(token_bucket_wait_ns(&b, 1, T0 + S / 1000), 0);
}

int main(void)
{
    RUN(test_starts_full_then_waits);
    RUN(test_burst_cap);
    RUN(test_unlimited);
    RUN(test_fractions_carry);
    RUN(test_larger_than_burst_passes_with_debt);
    RUN(test_long_run_rate);
    RUN(test_huge_values);
    RUN(test_clock_going_back);
    return check_summary("token_bucket");
}
