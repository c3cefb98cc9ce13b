// Line graphs of the host's last hour, drawn as SVG (no library).
import { h } from './dom.js';

const SVG = 'http://www.w3.org/2000/svg';
const W = 600, H = 120;

function svg(tag, attrs) {
    const el = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
    return el;
}

// points: [[t, percent 0..100], ...] sorted by t; the x axis is the hour
// ending at `now`.  Returns the SVG path's "d" for the line, or '' when
// there is nothing to draw.  Pure, so it is unit-tested.
export function linePath(points, now, spanSeconds = 3600) {
    const start = now - spanSeconds;
    const xy = points.filter(([t, v]) => t >= start && t <= now && Number.isFinite(v))
        .map(([t, v]) => [((t - start) / spanSeconds) * W,
                          H - (Math.max(0, Math.min(100, v)) / 100) * H]);
    return xy.map(([x, y], i) => `${i ? 'L' : 'M'}${x.toFixed(1)},${y.toFixed(1)}`).join(' ');
}

// A titled graph: title, the latest value in words, the SVG.
export function graph(title, points, now, latestText) {
    const box = svg('svg', { viewBox: `0 0 ${W} ${H}`, preserveAspectRatio: 'none',
                             role: 'img', 'aria-label': `${title} over the last hour` });
    for (const pct of [25, 50, 75])
        box.append(svg('line', { class: 'grid', x1: 0, x2: W, y1: H - pct / 100 * H, y2: H - pct / 100 * H }));
    const d = linePath(points, now);
    if (d) {
        box.append(svg('path', { class: 'area', d: d + closeArea(d) }));
        box.append(svg('path', { class: 'line', d }));
        // The latest sample as a dot: just after a start the line is only
        // a point or two at the right edge.
        const last = d.match(/([\d.]+),([\d.]+)$/);
        // (a round-capped stroke, not a circle: the SVG is stretched)
        if (last) box.append(svg('path', { class: 'dot', d: `M${last[1]},${last[2]} l0.01,0` }));
    }
    return h('figure', { class: 'graph panel', dataset: { graph: title } },
        h('figcaption', {}, h('strong', {}, title), ' ', latestText || ''),
        box,
        h('div', { class: 'note' }, d ? 'last hour (0-100 %)' : 'no samples yet'));
}

// Closes the line's path down to the x axis so it can be filled.
function closeArea(d) {
    const first = d.match(/^M([\d.]+)/), last = d.match(/([\d.]+),[\d.]+$/);
    return first && last ? ` L${last[1]},${H} L${first[1]},${H} Z` : '';
}

// The history reply as three series of percentages.
export function historySeries(history) {
    const samples = (history && history.samples) || [];
    const pct = (used, total) => (total > 0 ? (used / total) * 100 : NaN);
    return {
        cpu: samples.map((s) => [s.t, s.cpu_pct]),
        memory: samples.map((s) => [s.t, pct(s.mem_used, s.mem_total)]),
        storage: samples.map((s) => [s.t, pct(s.storage_used, s.storage_total)]),
        last: samples.length ? samples[samples.length - 1] : null,
    };
}
