/* Unit tests for interrupt moderation's decisions (irq_hold.h): a guest
 * that waits for its completion gets it at once but for a rare probe; one
 * that keeps making requests has its completions gathered. */
#include "check.h"
#include "../../hypervisor/vmm/irq_hold.h"

/* Completions sent at once before the next hold starts. */
static unsigned sends_before_hold(struct irq_hold *h)
{
    unsigned sends = 0;
    while (irq_hold_completion(h, 0, false) == IRQ_HOLD_SEND && sends < 1000)
        sends++;
    return sends;
}

static void test_starts_sending_then_probes(void)
{
    struct irq_hold h;
    irq_hold_init(&h);
    CHECK(!irq_hold_running(&h));
    CHECK_EQ_INT(sends_before_hold(&h), IRQ_HOLD_PROBE_MIN);
    CHECK(irq_hold_running(&h));
    CHECK_EQ_INT(h.holds, 1);
}

static void test_completions_during_a_hold_join_it(void)
{
    struct irq_hold h;
    irq_hold_init(&h);
    sends_before_hold(&h);
    CHECK_EQ_INT(irq_hold_completion(&h, 0, false), IRQ_HOLD_JOIN);
    CHECK_EQ_INT(irq_hold_completion(&h, 0, false), IRQ_HOLD_JOIN);
    CHECK_EQ_INT(h.holds, 1);
    irq_hold_ended(&h, false);
    CHECK(!irq_hold_running(&h));
}

/* A guest that keeps making requests: every completion is held, each hold
 * ending starts the next one with the next completion. */
static void test_busy_guest_keeps_moderation(void)
{
    struct irq_hold h;
    irq_hold_init(&h);
    sends_before_hold(&h);
    for (int i = 0; i < 10; i++) {
        irq_hold_ended(&h, true);
        CHECK_EQ_INT(irq_hold_completion(&h, 0, false), IRQ_HOLD_START);
    }
    CHECK_EQ_INT(h.holds, 11);
    CHECK_EQ_INT(h.kept_on, 10);
}

/* A guest that waits for each completion (queue depth 1): every failed
 * probe doubles the gap to the next, up to the maximum, so that it pays one
 * window in IRQ_HOLD_PROBE_MAX completions. */
static void test_waiting_guest_backs_off(void)
{
    struct irq_hold h;
    irq_hold_init(&h);
    unsigned expect = IRQ_HOLD_PROBE_MIN;
    CHECK_EQ_INT(sends_before_hold(&h), expect);
    for (int i = 0; i < 8; i++) {
        irq_hold_ended(&h, false);
        expect = expect * 2 > IRQ_HOLD_PROBE_MAX ? IRQ_HOLD_PROBE_MAX : expect * 2;
        CHECK_EQ_INT(sends_before_hold(&h), expect);
    }
    CHECK_EQ_INT(expect, IRQ_HOLD_PROBE_MAX);
    /* The guest gets busy: back to moderating, and once it waits again
     * the gap grows from the minimum anew. */
    irq_hold_ended(&h, true);
    CHECK_EQ_INT(irq_hold_completion(&h, 0, false), IRQ_HOLD_START);
    irq_hold_ended(&h, false);
    CHECK_EQ_INT(sends_before_hold(&h), 2 * IRQ_HOLD_PROBE_MIN);
}

static void test_end_without_hold_and_reset(void)
{
    struct irq_hold h;
    irq_hold_init(&h);
    irq_hold_ended(&h, true); /* a stale timer: changes nothing */
    CHECK_EQ_INT(h.kept_on, 0);
    CHECK_EQ_INT(sends_before_hold(&h), IRQ_HOLD_PROBE_MIN);
    irq_hold_ended(&h, true);
    CHECK_EQ_INT(irq_hold_completion(&h, 0, false), IRQ_HOLD_START);
    irq_hold_reset(&h);
    CHECK(!irq_hold_running(&h));
    CHECK_EQ_INT(h.holds, 2); /* the counts survive */
    CHECK_EQ_INT(sends_before_hold(&h), IRQ_HOLD_PROBE_MIN);
}

/* n requests, gap_ns apart, from *now on. */
static void requests(struct irq_hold *h, uint64_t *now, unsigned n, uint64_t gap_ns)
{
    for (unsigned i = 0; i < n; i++) {
        irq_hold_request(h, *now);
        *now += gap_ns;
    }
}

/* The window is twice the guest's mean time between requests, measured
 * over IRQ_HOLD_PACE_REQUESTS of them, within the bounds; a batch of
 * requests taken at once does not make the guest look faster than it is. */
static void test_window_follows_the_guests_pace(void)
{
    struct irq_hold h;
    irq_hold_init(&h);
    uint64_t now = 5000000000ull;
    CHECK_EQ_INT(irq_hold_window_ns(&h), IRQ_HOLD_WINDOW_MIN_NS); /* not known yet */
    requests(&h, &now, IRQ_HOLD_PACE_REQUESTS, 500000);
    CHECK_EQ_INT(h.gap_ns, 0); /* 15 gaps: not a sample yet */
    requests(&h, &now, 1, 500000);
    CHECK_EQ_INT(h.gap_ns, 500000);
    CHECK_EQ_INT(irq_hold_window_ns(&h), 1000000);
    /* Sixteen more in batches of four, 2 ms apart: about the same pace
     * (the sample runs from the request that ended the last to the 16th
     * after it, 6.5 ms: 406 us, averaged in a quarter), not 0. */
    for (int b = 0; b < 4; b++) {
        requests(&h, &now, 4, 0);
        now += 2000000;
    }
    CHECK_EQ_INT(h.gap_ns, (3 * 500000 + 6500000 / 16) / 4);
    /* A fast guest: the window shrinks to the minimum. */
    for (int i = 0; i < 40; i++)
        requests(&h, &now, IRQ_HOLD_PACE_REQUESTS, 1000);
    CHECK_EQ_INT(irq_hold_window_ns(&h), IRQ_HOLD_WINDOW_MIN_NS);
    /* A slow one, with an idle minute: the maximum. */
    requests(&h, &now, 1, 60000000000ull);
    for (int i = 0; i < 40; i++)
        requests(&h, &now, IRQ_HOLD_PACE_REQUESTS, 3000000);
    CHECK_EQ_INT(irq_hold_window_ns(&h), IRQ_HOLD_WINDOW_MAX_NS);
    CHECK(h.gap_ns <= IRQ_HOLD_GAP_MAX_NS);
    /* A clock that went back starts a new sample, nothing breaks. */
    irq_hold_request(&h, 1);
    CHECK_EQ_INT(h.paced, 1);
    uint64_t gap = h.gap_ns;
    irq_hold_reset(&h);
    CHECK_EQ_INT(h.gap_ns, gap);
}

/* A probe ends after IRQ_HOLD_TICKS ticks, or at the first tick that
 * finds the guest halted; a hold while moderating has one tick, the
 * backstop at one and a half windows (completions end it before); a tick
 * without a hold says it ended. */
static void test_ticks(void)
{
    struct irq_hold h;
    irq_hold_init(&h);
    CHECK(irq_hold_tick(&h, false, false));
    sends_before_hold(&h);
    CHECK(h.probing);
    CHECK_EQ_INT(irq_hold_tick_ns(&h), IRQ_HOLD_WINDOW_MIN_NS);
    for (int i = 1; i < IRQ_HOLD_TICKS; i++)
        CHECK(!irq_hold_tick(&h, false, true));
    CHECK(irq_hold_tick(&h, false, true));
    CHECK(!irq_hold_running(&h));
    CHECK_EQ_INT(h.kept_on, 1);
    h.gap_ns = 1000000;
    CHECK_EQ_INT(irq_hold_completion(&h, 0, false), IRQ_HOLD_START); /* moderating */
    CHECK(!h.probing);
    CHECK_EQ_INT(irq_hold_tick_ns(&h), 3000000);
    CHECK(irq_hold_tick(&h, false, false)); /* the backstop ends it */
    CHECK_EQ_INT(h.kept_on, 1);
    CHECK_EQ_INT(h.cut_short, 0);
    CHECK_EQ_INT(sends_before_hold(&h), 2 * IRQ_HOLD_PROBE_MIN);
    CHECK(h.probing);
    CHECK_EQ_INT(irq_hold_tick_ns(&h), 2000000 / IRQ_HOLD_TICKS);
    CHECK(!irq_hold_tick(&h, false, false));
    CHECK(irq_hold_tick(&h, true, false)); /* halted at the last look */
    CHECK_EQ_INT(h.cut_short, 0);
}

/* A completion during a hold joins it within the window and ends it after
 * (the device sends everything held with it); one that finds the guest
 * halted ends it early, cut short.  With no hold, a halted guest gets its
 * completion at once and no probe is spent on it. */
static void test_completions_end_holds(void)
{
    struct irq_hold h;
    irq_hold_init(&h);
    h.gap_ns = 100000; /* window 200 us */
    CHECK_EQ_INT(irq_hold_completion(&h, 1000, true), IRQ_HOLD_SEND);
    CHECK_EQ_INT(h.until_probe, IRQ_HOLD_PROBE_MIN);
    for (unsigned i = 0; i < IRQ_HOLD_PROBE_MIN; i++)
        CHECK_EQ_INT(irq_hold_completion(&h, 1000, false), IRQ_HOLD_SEND);
    CHECK_EQ_INT(irq_hold_completion(&h, 1000, false), IRQ_HOLD_START);
    CHECK_EQ_INT(h.due_ns, 201000);
    CHECK_EQ_INT(irq_hold_completion(&h, 200999, false), IRQ_HOLD_JOIN);
    /* Halted after the window: its end, not cut short. */
    CHECK_EQ_INT(irq_hold_completion(&h, 201000, true), IRQ_HOLD_END);
    CHECK_EQ_INT(h.cut_short, 0);
    CHECK(irq_hold_running(&h)); /* until the device ends it */
    irq_hold_ended(&h, true);
    CHECK_EQ_INT(irq_hold_completion(&h, 300000, false), IRQ_HOLD_START);
    CHECK_EQ_INT(irq_hold_completion(&h, 500000, false), IRQ_HOLD_END);
    irq_hold_ended(&h, true);
    CHECK_EQ_INT(irq_hold_completion(&h, 600000, false), IRQ_HOLD_START);
    CHECK_EQ_INT(irq_hold_completion(&h, 600001, true), IRQ_HOLD_END);
    CHECK_EQ_INT(h.cut_short, 1);
    irq_hold_ended(&h, false);
    CHECK_EQ_INT(h.holds, 3);
    CHECK_EQ_INT(h.kept_on, 2);
}

/* A look before a probe's last that finds the guest halted ends it: cut
 * short, counted; one at the last look is not. */
static void test_cut_short(void)
{
    struct irq_hold h;
    irq_hold_init(&h);
    sends_before_hold(&h);
    for (int i = 1; i < IRQ_HOLD_TICKS; i++)
        CHECK(!irq_hold_tick(&h, false, true));
    CHECK(irq_hold_tick(&h, true, false));
    CHECK_EQ_INT(h.cut_short, 0);
    sends_before_hold(&h);
    CHECK(irq_hold_tick(&h, true, true));
    CHECK_EQ_INT(h.cut_short, 1);
    irq_hold_reset(&h);
    CHECK_EQ_INT(h.cut_short, 1); /* counts survive a reset */
}

int main(void)
{
    RUN(test_starts_sending_then_probes);
    RUN(test_completions_during_a_hold_join_it);
    RUN(test_busy_guest_keeps_moderation);
    RUN(test_waiting_guest_backs_off);
    RUN(test_end_without_hold_and_reset);
    RUN(test_window_follows_the_guests_pace);
    RUN(test_ticks);
    RUN(test_completions_end_holds);
    RUN(test_cut_short);
    return check_summary("irq_hold");
}
