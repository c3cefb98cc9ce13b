/* irq_hold: interrupt moderation (see irq_hold.h). */
#include "irq_hold.h"

void irq_hold_init(struct irq_hold *h)
{
    *h = (struct irq_hold){ .probe_gap = IRQ_HOLD_PROBE_MIN,
                            .until_probe = IRQ_HOLD_PROBE_MIN };
}

/* A running hold's completion: ends it when the guest waits for it or
 * its window has passed. */
static enum irq_hold_action irq_hold_join(struct irq_hold *h, uint64_t now_ns, bool guest_halted)
{
    if (now_ns >= h->due_ns)
        return IRQ_HOLD_END;
    if (!guest_halted)
        return IRQ_HOLD_JOIN;
    h->cut_short++;
    return IRQ_HOLD_END;
}

enum irq_hold_action irq_hold_completion(struct irq_hold *h, uint64_t now_ns, bool guest_halted)
{
    if (h->holding)
        return irq_hold_join(h, now_ns, guest_halted);
    if (guest_halted)
        return IRQ_HOLD_SEND; /* waiting for it: no probe either */
    if (!h->moderating && h->until_probe > 0) {
        h->until_probe--;
        return IRQ_HOLD_SEND;
    }
    h->holding = true;
    h->probing = !h->moderating;
    h->ticks_left = h->probing ? IRQ_HOLD_TICKS : 1;
    h->due_ns = now_ns + irq_hold_window_ns(h);
    h->holds++;
    return IRQ_HOLD_START;
}

void irq_hold_request(struct irq_hold *h, uint64_t now_ns)
{
    if (h->paced == 0 || now_ns < h->pace_start_ns) {
        h->pace_start_ns = now_ns;
        h->paced = 1;
        return;
    }
    if (++h->paced <= IRQ_HOLD_PACE_REQUESTS)
        return;
    uint64_t sample = (now_ns - h->pace_start_ns) / IRQ_HOLD_PACE_REQUESTS;
    if (sample > IRQ_HOLD_GAP_MAX_NS)
        sample = IRQ_HOLD_GAP_MAX_NS;
    h->gap_ns = h->gap_ns ? (3 * h->gap_ns + sample) / 4 : sample;
    h->pace_start_ns = now_ns;
    h->paced = 1;
}

uint64_t irq_hold_window_ns(const struct irq_hold *h)
{
    uint64_t w = 2 * h->gap_ns;
    if (w < IRQ_HOLD_WINDOW_MIN_NS)
        return IRQ_HOLD_WINDOW_MIN_NS;
    return w > IRQ_HOLD_WINDOW_MAX_NS ? IRQ_HOLD_WINDOW_MAX_NS : w;
}

uint64_t irq_hold_tick_ns(const struct irq_hold *h)
{
    uint64_t w = irq_hold_window_ns(h);
    if (h->holding && !h->probing)
        return w + w / 2; /* the backstop: completions end it */
    uint64_t t = w / IRQ_HOLD_TICKS;
    return t < IRQ_HOLD_WINDOW_MIN_NS ? IRQ_HOLD_WINDOW_MIN_NS : t;
}

bool irq_hold_tick(struct irq_hold *h, bool guest_halted, bool guest_made_requests)
{
    if (!h->holding)
        return true;
    if (h->ticks_left > 0)
        h->ticks_left--;
    if (h->ticks_left > 0 && !guest_halted)
        return false;
    h->cut_short += h->ticks_left > 0;
    irq_hold_ended(h, guest_made_requests);
    return true;
}

bool irq_hold_running(const struct irq_hold *h)
{
    return h->holding;
}

void irq_hold_ended(struct irq_hold *h, bool guest_made_requests)
{
    if (!h->holding)
        return;
    h->holding = false;
    h->moderating = guest_made_requests;
    if (guest_made_requests) {
        h->kept_on++;
        h->probe_gap = IRQ_HOLD_PROBE_MIN;
    } else if (h->probe_gap < IRQ_HOLD_PROBE_MAX) {
        h->probe_gap *= 2;
    }
    h->until_probe = h->probe_gap;
}

void irq_hold_reset(struct irq_hold *h)
{
    struct irq_hold kept = *h;
    irq_hold_init(h);
    h->holds = kept.holds;
    h->kept_on = kept.kept_on;
    h->cut_short = kept.cut_short;
    h->gap_ns = kept.gap_ns; /* the guest's pace outlives a reset */
}
