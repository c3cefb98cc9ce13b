// Logs: the appliance's system log, searchable (the server filters).
import { h, fill, showError } from './dom.js';
import * as api from './api.js';

export function logsPage(view) {
    document.title = 'Corral: logs';
    const q = h('input', { type: 'search', id: 'log-search', size: 40, placeholder: 'text to look for' });
    const lines = h('select', { id: 'log-lines' }, [200, 1000, 5000].map((n) => h('option', { value: n }, `last ${n} lines`)));
    const out = h('pre', { class: 'log', id: 'log-text', tabindex: 0, 'aria-label': 'System log' });
    const errors = h('div');
    const count = h('p', { class: 'note', id: 'log-count', role: 'status' });
    async function load() {
        try {
            const params = { lines: lines.value };
            if (q.value.trim()) params.q = q.value.trim();
            const data = await api.request('GET', `/api/logs?${new URLSearchParams(params)}`);
            showError(errors, null);
            const found = data.lines || [];
            fill(out, found.join('\n'));
            fill(count, found.length ? `${found.length} lines` + (params.q ? ` containing "${params.q}"` : '')
                : (params.q ? `No line contains "${params.q}".` : 'The log is empty.'));
            out.scrollTop = out.scrollHeight;
        } catch (err) {
            showError(errors, `The log could not be read: ${err.message}`);
        }
    }
    fill(view, h('h1', {}, 'System log'),
        h('form', { class: 'actions', role: 'search', onsubmit: (e) => { e.preventDefault(); load(); } },
            h('label', { for: 'log-search' }, 'Search'), q, lines, h('button', { type: 'submit' }, 'Search')),
        errors, count, out);
    load();
    return null;
}
