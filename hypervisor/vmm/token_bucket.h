/* token_bucket: one rate limit as a token bucket (bytes per second, or
 * operations per second), pure arithmetic on a clock the caller passes in
 * (nanoseconds, CLOCK_MONOTONIC in the VMM, anything in tests).
 *
 * Tokens arrive at rate per second, continuously (fractions of a token
 * are carried over, so a slow rate refilled often still adds up).  The
 * bucket holds at most one second's worth (burst = rate): an idle device
 * may then go at up to twice its rate for one second, and over any longer
 * stretch it averages the rate.  The bucket starts full.
 *
 * A request larger than the burst (a 1 MiB write on a disk limited to
 * 512K/s) still passes, when the bucket is full: it takes every token and
 * leaves a debt, which the tokens that arrive next pay off before anything
 * else passes.  So no request is refused for ever, and the long-run rate
 * stays exact.
 *
 * rate 0 means unlimited: every request passes at once.  Arithmetic is in
 * 128 bits where a product could overflow; any rate and any size work. */
#ifndef CORRAL_TOKEN_BUCKET_H
#define CORRAL_TOKEN_BUCKET_H

#include <stdbool.h>
#include <stdint.h>

#define TOKEN_BUCKET_NS_PER_S 1000000000ULL

struct token_bucket {
    uint64_t rate;    /* tokens per second; 0: unlimited */
    uint64_t burst;   /* the most tokens that pile up (= rate) */
    uint64_t tokens;  /* 0 .. burst */
    uint64_t debt;    /* owed by a request larger than the tokens it took */
    uint64_t frac;    /* rate * ns not yet a whole token, < 10^9 */
    uint64_t last_ns; /* when tokens were last added */
};

/* Start full at now_ns. */
void token_bucket_init(struct token_bucket *b, uint64_t rate, uint64_t now_ns);

/* 0 when a request of n tokens may pass at now_ns, else the nanoseconds
 * until it may (at least 1).  Adds the tokens that arrived since the last
 * call; takes none. */
uint64_t token_bucket_wait_ns(struct token_bucket *b, uint64_t n, uint64_t now_ns);

/* Take n tokens, after token_bucket_wait_ns() said 0 for n at this time:
 * what the bucket lacks becomes debt. */
void token_bucket_take(struct token_bucket *b, uint64_t n);

#endif
