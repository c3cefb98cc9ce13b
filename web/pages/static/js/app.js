// The web client's shell: session check, login page, navigation between
// the pages (#/host, #/vms, #/vm/NAME, #/vms/new, #/console/NAME,
// #/screen/NAME, #/images, #/logs).
import { h, fill, showError } from './dom.js';
import * as api from './api.js';
import { hostPage } from './host.js';
import { vmListPage, vmDetailPage } from './vms.js';
import { vmFormPage } from './vmform.js';
import { consolePage } from './console.js';
import { screenPage } from './screen.js';
import { imagesPage } from './images.js';
import { logsPage } from './logs.js';

const view = document.getElementById('view');
const header = document.getElementById('top');
let user = null;
let leavePage = null;   // the current page's cleanup (timers, sockets)

const routes = [
    [/^\/host$/, 'host', () => hostPage(view)],
    [/^\/vms$/, 'vms', () => vmListPage(view)],
    [/^\/vms\/new$/, 'vms', () => vmFormPage(view, null)],
    [/^\/vm\/([^/]+)\/edit$/, 'vms', (m) => vmFormPage(view, m[1])],
    [/^\/vm\/([^/]+)$/, 'vms', (m) => vmDetailPage(view, m[1])],
    [/^\/console\/([^/]+)$/, 'vms', (m) => consolePage(view, m[1])],
    [/^\/screen\/([^/]+)$/, 'vms', (m) => screenPage(view, m[1])],
    [/^\/images$/, 'images', () => imagesPage(view)],
    [/^\/logs$/, 'logs', () => logsPage(view)],
];

function route() {
    if (leavePage) { leavePage(); leavePage = null; }
    if (!user) return loginPage();
    const path = location.hash.replace(/^#/, '') || '/host';
    for (const [re, nav, show] of routes) {
        const m = path.match(re);
        if (!m) continue;
        for (const a of header.querySelectorAll('nav a')) {
            if (a.dataset.page === nav) a.setAttribute('aria-current', 'page');
            else a.removeAttribute('aria-current');
        }
        const params = m.slice(1).map(decodeURIComponent);
        leavePage = show([m[0], ...params]) || null;
        view.focus();
        return;
    }
    fill(view, h('h1', {}, 'No such page'), h('p', {}, h('a', { href: '#/host' }, 'Go to the host page')));
}

function signedIn(who) {
    user = who;
    header.hidden = false;
    fill(document.getElementById('who'), who);
    route();
}

function loginPage() {
    header.hidden = true;
    document.title = 'Corral: log in';
    const password = h('input', { type: 'password', id: 'password', name: 'password',
                                  autocomplete: 'current-password', required: true, autofocus: true });
    const errors = h('div', { id: 'login-error' });
    const button = h('button', { type: 'submit', class: 'primary' }, 'Log in');
    const form = h('form', { class: 'panel login', onsubmit: async (e) => {
        e.preventDefault();
        button.disabled = true;
        showError(errors, null);
        try {
            const reply = await api.login(password.value);
            signedIn(reply.user || 'root');
        } catch (err) {
            showError(errors, loginMessage(err));
            password.select();
        } finally {
            button.disabled = false;
        }
    } },
        h('h1', {}, 'Corral'),
        h('p', { class: 'note' }, `Log in to ${location.hostname} as root.`),
        h('label', { for: 'password' }, 'Root password'), password,
        errors,
        h('div', { class: 'actions' }, button));
    fill(view, form);
    password.focus();
}

function loginMessage(err) {
    if (err.code === 'denied') return `Wrong password. ${err.message}`;
    if (err.code === 'rate-limited') return `Too many attempts: ${err.message}`;
    // no-password: the server's message says how to set one.
    return err.message;
}

document.getElementById('logout').addEventListener('click', async () => {
    try { await api.logout(); } catch (e) { /* gone either way */ }
    user = null;
    route();
});

window.addEventListener('corral-session-lost', () => {
    if (!user) return;
    user = null;
    route();
});
window.addEventListener('hashchange', route);

(async () => {
    try {
        const s = await api.session();
        signedIn(s.user || 'root');
    } catch (e) {
        loginPage();
    }
})();
