/* irq_hold: interrupt moderation for a disk whose completions come back
 * faster than its guest makes requests.
 *
 * Why: when the host's disk answers a request before the guest has made
 * its next one (a busy or slow vCPU, a fast host disk), a device that
 * interrupts at once makes the guest pay a kick and an interrupt (several
 * VM exits) for every request, and the queue never grows deep: at queue
 * depth 32 the guest runs at the depth-1 rate.  Holding the interrupt a
 * little while the guest keeps making requests lets them gather: one
 * interrupt per batch, no kicks (the device looks at the ring when the
 * hold ends).  But a guest that waits for this very completion (queue
 * depth 1, a flush) must have it at once.
 *
 * How long: a window of twice the guest's mean time between requests,
 * measured over every IRQ_HOLD_PACE_REQUESTS requests it makes (so that a
 * guest that needs 1.5 ms per request, as one emulated twice over does,
 * gets a window it can make a request in, and a fast one a few tens of
 * microseconds), kept within IRQ_HOLD_WINDOW_MIN_NS..MAX_NS.
 *
 * Whether: a hold lasts one window.  It ends at the first completion
 * after the window, or at one that finds every vCPU halted (the guest
 * waits for what is held: cut short), so that a guest busy at a deep
 * queue pays no timer interrupt for its holds: the completions that end
 * them come anyway.  The device's timer is the backstop for a hold no
 * completion ends: one and a half windows for a hold while moderating; a
 * probe (below), whose guest may well be waiting with nothing else in
 * flight, is looked at IRQ_HOLD_TICKS times in its window instead (ticks
 * IRQ_HOLD_WINDOW_MIN_NS apart at least) and ends at the first look that
 * finds every vCPU halted.  When a hold ends the device says whether the
 * guest made requests meanwhile.  If it did, the guest has work beside the
 * held completions, and holding goes on (moderating).  If not, the guest
 * was waiting, and completions are sent at once again; every so many
 * completions one hold probes again, and each probe that finds the guest
 * waiting doubles the gap to the next (up to IRQ_HOLD_PROBE_MAX), so that
 * a depth-1 guest pays one window in IRQ_HOLD_PROBE_MAX completions.
 *
 * Pure logic, under the device's lock; unit-tested in test_irq_hold.c. */
#ifndef CORRAL_IRQ_HOLD_H
#define CORRAL_IRQ_HOLD_H

#include <stdbool.h>
#include <stdint.h>

#define IRQ_HOLD_PROBE_MIN 4
#define IRQ_HOLD_PROBE_MAX 64
#define IRQ_HOLD_TICKS 2
#define IRQ_HOLD_PACE_REQUESTS 16
#define IRQ_HOLD_WINDOW_MIN_NS 20000ull
#define IRQ_HOLD_WINDOW_MAX_NS 4000000ull
/* One sample of the mean gap counts an idle stretch as this much at most. */
#define IRQ_HOLD_GAP_MAX_NS 10000000ull

enum irq_hold_action {
    IRQ_HOLD_SEND,  /* interrupt now */
    IRQ_HOLD_START, /* hold: arm the timer for its first tick (irq_hold_tick_ns) */
    IRQ_HOLD_JOIN,  /* a hold is running: its end sends this one too */
    IRQ_HOLD_END,   /* the running hold is over: end it (irq_hold_ended)
                     * and send this one with what it held */
};

struct irq_hold {
    bool holding;       /* the timer is armed */
    bool probing;       /* the running hold is a probe (not moderating) */
    unsigned ticks_left; /* of the running hold */
    uint64_t due_ns;    /* when the running hold's window ends */
    bool moderating;    /* the guest made requests during the last hold */
    unsigned probe_gap; /* completions sent at once between probes */
    unsigned until_probe;
    uint64_t pace_start_ns; /* when the first request of this sample came */
    unsigned paced;         /* requests seen in this sample */
    uint64_t gap_ns;        /* mean time between requests (0: not yet known) */
    uint64_t holds;     /* holds started */
    uint64_t kept_on;   /* of which the guest made requests meanwhile */
    uint64_t cut_short; /* of which one ended before its window by a halted guest */
};

void irq_hold_init(struct irq_hold *h);
/* A completion wants the guest interrupted at now_ns; guest_halted, every
 * vCPU is halted now: what to do. */
enum irq_hold_action irq_hold_completion(struct irq_hold *h, uint64_t now_ns, bool guest_halted);
/* The guest made a request (the device took it) at now_ns. */
void irq_hold_request(struct irq_hold *h, uint64_t now_ns);
/* How long the next hold lasts; how long from the running hold's start
 * (or its last tick) to its next tick. */
uint64_t irq_hold_window_ns(const struct irq_hold *h);
uint64_t irq_hold_tick_ns(const struct irq_hold *h);
/* Is a hold running (no interrupts, no kicks asked for until it ends)? */
bool irq_hold_running(const struct irq_hold *h);
/* A tick of the running hold (its timer): guest_halted, every vCPU is
 * halted now;
 * guest_made_requests, the device took (or may take) requests the guest
 * made since the hold started.  Returns true when the hold ended (the
 * device then sends what was held), false to wait for the next tick. */
bool irq_hold_tick(struct irq_hold *h, bool guest_halted, bool guest_made_requests);
/* End the running hold now (irq_hold_tick decides when; a device that
 * cannot wait, e.g. its timer failed, calls this). */
void irq_hold_ended(struct irq_hold *h, bool guest_made_requests);
/* Device reset: no hold, back to sending at once. */
void irq_hold_reset(struct irq_hold *h);

#endif
