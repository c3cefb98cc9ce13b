// Small DOM and formatting helpers shared by the pages.

// h('button', {class: 'x', onclick: f}, 'text', child...) -> element.
// Attributes starting with "on" become listeners; false/null ones are left out.
export function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
        if (value === false || value === null || value === undefined) continue;
        if (key.startsWith('on') && typeof value === 'function')
            el.addEventListener(key.slice(2), value);
        else if (key === 'dataset')
            Object.assign(el.dataset, value);
        else
            el.setAttribute(key, value === true ? '' : String(value));
    }
    append(el, children);
    return el;
}

function append(el, children) {
    for (const child of children) {
        if (child === null || child === undefined || child === false) continue;
        if (Array.isArray(child)) append(el, child);
        else el.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
}

// Replaces the contents of el.
export function fill(el, ...children) {
    el.replaceChildren();
    append(el, children);
    return el;
}

// An error box saying what went wrong, in words; role=alert so screen
// readers announce it where it happened.
export function errorBox(err) {
    return h('div', { class: 'error', role: 'alert' }, describeError(err));
}

export function describeError(err) {
    if (!err) return '';
    if (typeof err === 'string') return err;
    return err.message || String(err);
}

// Shows err in slot (an element kept for the purpose), or clears it.
export function showError(slot, err) {
    fill(slot, err ? errorBox(err) : null);
}

const UNITS = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];

export function formatBytes(n) {
    if (typeof n !== 'number' || !isFinite(n)) return '-';
    let i = 0;
    while (n >= 1024 && i < UNITS.length - 1) { n /= 1024; i++; }
    return i === 0 ? `${n} bytes` : `${n >= 100 ? n.toFixed(0) : n.toFixed(1)} ${UNITS[i]}`;
}

export function formatMiB(mib) {
    if (mib === 0) return '0 MiB';
    return typeof mib === 'number' ? formatBytes(mib * 1048576) : '-';
}

export function formatDuration(seconds) {
    if (typeof seconds !== 'number' || seconds <= 0) return '-';
    const d = Math.floor(seconds / 86400), hms = seconds % 86400;
    const pad = (n) => String(n).padStart(2, '0');
    const t = `${pad(Math.floor(hms / 3600))}:${pad(Math.floor(hms / 60) % 60)}:${pad(hms % 60)}`;
    return d ? `${d}d ${t}` : t;
}

// A modal yes/no question (a <dialog>: Escape answers no).  Resolves true
// only when the confirming button is pressed.
// extra: an element shown under the question (a checkbox the caller reads).
export function confirmAction(question, yesLabel, extra) {
    return new Promise((resolve) => {
        const dlg = h('dialog', { 'aria-label': 'Confirm' },
            h('p', {}, question),
            extra || null,
            h('form', { method: 'dialog', class: 'actions' },
                h('button', { value: 'no', autofocus: true }, 'Cancel'),
                h('button', { value: 'yes', class: 'danger' }, yesLabel)));
        dlg.addEventListener('close', () => {
            resolve(dlg.returnValue === 'yes');
            dlg.remove();
        });
        document.body.append(dlg);
        dlg.showModal();
    });
}
