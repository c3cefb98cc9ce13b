// A VM's serial console in the browser: xterm.js over /ws/console/NAME
// (raw bytes both ways; other viewers see the same output).
import { h, fill } from './dom.js';
import { wsUrl } from './api.js';

export function consolePage(view, name) {
    document.title = `Corral: console of ${name}`;
    const status = h('p', { id: 'console-status', role: 'status' }, 'Connecting…');
    const screen = h('div', { id: 'terminal' });
    fill(view, h('h1', {}, `Serial console of ${name}`),
        h('p', { class: 'note' }, 'Typing goes to the VM. Leaving this page detaches; the VM keeps running. ',
            h('a', { href: `#/vm/${encodeURIComponent(name)}` }, `Back to ${name}`)),
        status, screen);
    if (typeof window.Terminal !== 'function') {
        fill(status, h('span', { class: 'error', role: 'alert' }, 'The terminal (xterm.js) did not load: the console cannot be shown.'));
        return null;
    }
    const term = new window.Terminal({ convertEol: false, cursorBlink: true, scrollback: 5000,
                                       fontFamily: 'monospace', fontSize: 14 });
    term.open(screen);
    fitRows(term, screen);
    const ws = new WebSocket(wsUrl(`/ws/console/${encodeURIComponent(name)}`));
    ws.binaryType = 'arraybuffer';
    let leaving = false;
    ws.onopen = () => {
        fill(status, 'Connected.');
        status.dataset.connected = 'yes';
        term.focus();
    };
    ws.onmessage = (e) => term.write(typeof e.data === 'string' ? e.data : new Uint8Array(e.data));
    ws.onclose = (e) => {
        status.dataset.connected = 'no';
        if (leaving) return;
        fill(status, h('span', { class: 'error', role: 'alert' },
            `Disconnected${e.reason ? ': ' + e.reason : ''}. Is the VM running? `,
            h('a', { href: location.hash, onclick: (ev) => { ev.preventDefault(); window.dispatchEvent(new HashChangeEvent('hashchange')); } }, 'Reconnect')));
    };
    const encoder = new TextEncoder();
    const input = term.onData((data) => { if (ws.readyState === WebSocket.OPEN) ws.send(encoder.encode(data)); });
    return () => {
        leaving = true;
        input.dispose();
        ws.close();
        term.dispose();
    };
}

// As many rows as fit the box (xterm's fit addon is not vendored: this is
// all it would do for us).
function fitRows(term, box) {
    const cell = box.querySelector('.xterm-rows > div');
    const rowHeight = cell ? cell.getBoundingClientRect().height : 17;
    const rows = Math.max(10, Math.floor(box.clientHeight / (rowHeight || 17)) - 1);
    term.resize(80, rows);
}
