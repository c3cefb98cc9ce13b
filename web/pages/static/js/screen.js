// A VM's screen in the browser: noVNC over /ws/vnc/NAME (the VM's RFB
// stream as binary frames).
import { h, fill } from './dom.js';
import { wsUrl } from './api.js';

export function screenPage(view, name) {
    document.title = `Corral: screen of ${name}`;
    const status = h('p', { id: 'screen-status', role: 'status' }, 'Connecting…');
    const target = h('div', { id: 'screen', tabindex: 0, 'aria-label': `Screen of ${name}` });
    const keys = h('button', { type: 'button', disabled: true }, 'Send Ctrl-Alt-Del');
    fill(view, h('h1', {}, `Screen of ${name}`),
        h('p', { class: 'note' }, 'Click or focus the screen to type into the VM. ',
            h('a', { href: `#/vm/${encodeURIComponent(name)}` }, `Back to ${name}`)),
        h('div', { class: 'actions' }, keys), status, target);
    let rfb = null, leaving = false;
    import('/static/vendor/novnc/core/rfb.js').then(({ default: RFB }) => {
        if (leaving) return;
        rfb = new RFB(target, wsUrl(`/ws/vnc/${encodeURIComponent(name)}`), { shared: true });
        rfb.scaleViewport = true;
        rfb.addEventListener('connect', () => {
            fill(status, 'Connected.');
            status.dataset.connected = 'yes';
            keys.disabled = false;
            rfb.focus();
        });
        rfb.addEventListener('disconnect', (e) => {
            status.dataset.connected = 'no';
            keys.disabled = true;
            if (!leaving)
                fill(status, h('span', { class: 'error', role: 'alert' }, e.detail && e.detail.clean
                    ? 'The screen was closed by the appliance (the VM stopped, or has no display).'
                    : 'Could not reach the screen: is the VM running, and does it have a display?'));
        });
        rfb.addEventListener('securityfailure', (e) => fill(status, h('span', { class: 'error', role: 'alert' },
            `The screen refused the connection: ${e.detail.reason || 'security failure'}`)));
        keys.addEventListener('click', () => rfb && rfb.sendCtrlAltDel());
    }).catch((err) => fill(status, h('span', { class: 'error', role: 'alert' }, `The screen viewer (noVNC) did not load: ${err.message}`)));
    return () => { leaving = true; if (rfb) rfb.disconnect(); };
}
