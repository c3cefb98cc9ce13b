/* token_bucket: one rate limit as a token bucket (see token_bucket.h). */
#include "token_bucket.h"

__extension__ typedef unsigned __int128 token_u128;

void token_bucket_init(struct token_bucket *b, uint64_t rate, uint64_t now_ns)
{
    *b = (struct token_bucket){
        .rate = rate, .burst = rate, .tokens = rate, .last_ns = now_ns,
    };
}

/* Tokens that arrived since last_ns pay the debt first, then fill the
 * bucket up to the burst; a full bucket keeps no fraction. */
static void token_bucket_refill(struct token_bucket *b, uint64_t now_ns)
{
    if (now_ns <= b->last_ns)
        return; /* no time passed (or a clock that went back: ignore it) */
    token_u128 total = (token_u128)(now_ns - b->last_ns) * b->rate + b->frac;
    token_u128 whole = total / TOKEN_BUCKET_NS_PER_S;
    b->frac = (uint64_t)(total % TOKEN_BUCKET_NS_PER_S);
    b->last_ns = now_ns;
    token_u128 pay = whole < b->debt ? whole : b->debt;
    b->debt -= (uint64_t)pay;
    whole -= pay;
    if (whole >= b->burst - b->tokens) {
        b->tokens = b->burst;
        b->frac = 0;
    } else {
        b->tokens += (uint64_t)whole;
    }
}

uint64_t token_bucket_wait_ns(struct token_bucket *b, uint64_t n, uint64_t now_ns)
{
    if (b->rate == 0)
        return 0;
    token_bucket_refill(b, now_ns);
    /* Larger than the burst: a full bucket is all it can wait for. */
    uint64_t need = n < b->burst ? n : b->burst;
    if (b->debt == 0 && b->tokens >= need)
        return 0;
    token_u128 missing = (token_u128)b->debt + need - b->tokens;
    token_u128 ns_x_rate = missing * TOKEN_BUCKET_NS_PER_S - b->frac;
    token_u128 ns = (ns_x_rate + b->rate - 1) / b->rate;
    return ns > UINT64_MAX ? UINT64_MAX : ns == 0 ? 1 : (uint64_t)ns;
}

void token_bucket_take(struct token_bucket *b, uint64_t n)
{
    if (b->rate == 0)
        return;
    if (n <= b->tokens) {
        b->tokens -= n;
        return;
    }
    uint64_t owed = n - b->tokens;
    b->debt = owed > UINT64_MAX - b->debt ? UINT64_MAX : b->debt + owed;
    b->tokens = 0;
}
