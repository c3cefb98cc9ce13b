// VMs: the live list, and one VM's page with its actions and console log.
import { h, fill, showError, formatMiB, formatDuration, confirmAction } from './dom.js';
import * as api from './api.js';

const LIST_REFRESH_MS = 2000;

// What can be done in each state, in the order the buttons appear.  The
// server refuses the rest anyway (wrong-state); this only hides buttons
// that would certainly be refused.
const ACTIONS_BY_STATE = {
    stopped: ['start', 'delete'],
    failed: ['start', 'delete'],
    running: ['stop', 'kill', 'pause', 'restart'],
    paused: ['resume', 'stop', 'kill'],
    stopping: ['kill'],
    restarting: ['stop', 'kill'],
};

const ACTIONS = {
    start: { label: 'Start', cmd: 'vm.start' },
    stop: { label: 'Stop', cmd: 'vm.stop',
            confirm: (n) => `Shut ${n} down? Its guest gets an ACPI power-button press and is forced off if it has not stopped after its stop timeout.` },
    kill: { label: 'Force off', cmd: 'vm.kill', danger: true,
            confirm: (n) => `Force ${n} off now? Like pulling the plug: unsaved data in the guest is lost.` },
    pause: { label: 'Pause', cmd: 'vm.pause' },
    resume: { label: 'Resume', cmd: 'vm.resume' },
    restart: { label: 'Restart', cmd: 'vm.restart',
               confirm: (n) => `Restart ${n}? Its guest is shut down and started again.` },
    delete: { label: 'Delete', cmd: 'vm.delete', danger: true },
};

export function actionsFor(state) {
    return ACTIONS_BY_STATE[state] || ['kill'];
}

// Runs an action after confirming it where it needs confirming; resolves
// to the command's data, or null when cancelled.  Errors propagate.
async function runAction(name, action) {
    const a = ACTIONS[action];
    const args = { name };
    if (action === 'delete') {
        const box = h('input', { type: 'checkbox', id: 'delete-disks' });
        const extra = h('p', {}, box, ' ', h('label', { for: 'delete-disks' },
            'Also delete the disk images in its directory (images elsewhere are never deleted)'));
        if (!(await confirmAction(`Delete VM ${name}? Its definition and console logs are removed.`, 'Delete', extra))) return null;
        args.delete_disks = box.checked;
    } else if (a.confirm && !(await confirmAction(a.confirm(name), a.label))) {
        return null;
    }
    return api.cmd(a.cmd, args);
}

function actionButtons(vm, errors, after) {
    return actionsFor(vm.state).map((action) => h('button', {
        type: 'button', class: ACTIONS[action].danger ? 'danger' : false,
        dataset: { action, vm: vm.name },
        'aria-label': `${ACTIONS[action].label} ${vm.name}`,
        onclick: async (e) => {
            // Busy, not disabled: a disabled button loses the keyboard focus.
            const button = e.currentTarget;
            if (button.getAttribute('aria-disabled') === 'true') return;
            button.setAttribute('aria-disabled', 'true');
            try {
                const done = await runAction(vm.name, action);
                showError(errors, null);
                if (done) after(action);
            } catch (err) {
                showError(errors, `${ACTIONS[action].label} ${vm.name}: ${err.message}`);
            } finally {
                button.removeAttribute('aria-disabled');
            }
        } }, ACTIONS[action].label));
}

function stateCell(vm) {
    const why = vm.last_stop && vm.state !== 'running' ? vm.last_stop.reason : '';
    return [h('span', { class: `state state-${vm.state}` }, vm.state), why ? h('div', { class: 'note' }, why) : null];
}

// The list keeps one row per VM and updates it in place, so that a
// keyboard user's focus survives the live refresh.
export function vmListPage(view) {
    document.title = 'Corral: VMs';
    const errors = h('div', { id: 'vm-errors' });
    const body = h('tbody');
    const empty = h('p', { class: 'note', hidden: true }, 'No VMs yet.');
    fill(view, h('h1', {}, 'Virtual machines'),
        h('div', { class: 'actions' }, h('a', { class: 'button', href: '#/vms/new', id: 'vm-new' }, 'Create a VM…')),
        errors,
        h('table', { id: 'vm-list' },
            h('thead', {}, h('tr', {}, h('th', {}, 'Name'), h('th', {}, 'State'), h('th', { class: 'num' }, 'CPUs'),
                h('th', { class: 'num' }, 'Memory'), h('th', {}, 'Uptime'), h('th', {}, 'Actions'))),
            body),
        empty);
    const rows = new Map();
    let stopped = false;
    const listErrors = h('div');
    errors.before(listErrors);

    function update(vms) {
        const seen = new Set();
        for (const [i, vm] of vms.entries()) {
            seen.add(vm.name);
            let row = rows.get(vm.name);
            if (!row) {
                row = { tr: h('tr', { dataset: { vm: vm.name } }), state: null, cells: [] };
                row.cells = [0, 1, 2, 3, 4, 5].map(() => h('td'));
                row.cells[2].className = row.cells[3].className = 'num';
                row.tr.append(...row.cells);
                fill(row.cells[0], h('a', { href: `#/vm/${encodeURIComponent(vm.name)}` }, vm.name));
                rows.set(vm.name, row);
            }
            // In the order given (by name); moved only when out of place,
            // as moving a row takes the focus off its buttons.
            if (body.children[i] !== row.tr) body.insertBefore(row.tr, body.children[i] || null);
            fill(row.cells[2], vm.cpus);
            fill(row.cells[3], formatMiB(vm.memory_mib));
            fill(row.cells[4], formatDuration(vm.uptime_s));
            const stateKey = `${vm.state}|${vm.last_stop ? vm.last_stop.reason : ''}`;
            if (row.state !== stateKey) {
                row.state = stateKey;
                fill(row.cells[1], stateCell(vm));
                // New buttons for the new state; a keyboard user who was on
                // one of the old ones lands on the first of them.
                const hadFocus = row.cells[5].contains(document.activeElement);
                fill(row.cells[5], h('div', { class: 'actions' }, actionButtons(vm, errors, refresh),
                    vm.state === 'running' || vm.state === 'paused'
                        ? h('a', { class: 'button', href: `#/console/${encodeURIComponent(vm.name)}` }, 'Console') : null));
                if (hadFocus) row.cells[5].querySelector('button, a').focus();
            }
        }
        for (const [name, row] of rows)
            if (!seen.has(name)) { row.tr.remove(); rows.delete(name); }
        empty.hidden = vms.length > 0;
    }

    async function refresh() {
        try {
            const data = await api.query('vm.list');
            if (stopped) return;
            showError(listErrors, null);
            update(data.vms || []);
        } catch (err) {
            if (!stopped) showError(listErrors, `The VM list could not be read: ${err.message}`);
        }
    }
    refresh();
    const timer = setInterval(refresh, LIST_REFRESH_MS);
    return () => { stopped = true; clearInterval(timer); };
}

function definitionFacts(vm) {
    const d = vm.definition || {};
    const rows = [
        ['State', stateCell(vm)],
        ['CPUs', vm.cpus], ['Memory', formatMiB(vm.memory_mib)],
        ['Uptime', formatDuration(vm.uptime_s)],
        ['Autostart', vm.autostart ? 'yes' : 'no'], ['Restart', vm.restart],
        ['Boot', d.boot === 'firmware' ? `firmware (${d.firmware || 'default BIOS'})` : 'kernel'],
        ['Kernel', d.boot !== 'firmware' ? d.kernel : null],
        ['Initrd', d.boot !== 'firmware' ? d.initrd : null],
        ['Command line', d.boot !== 'firmware' ? d.cmdline : null],
        ['Disks', (d.disks || []).map((k) => h('div', {}, `${k.path} (${k.bus || 'virtio'}${k.readonly ? ', read-only' : ''})`))],
        ['CD-ROM drives', (d.cdroms || []).map((c) => h('div', {}, c.empty ? '(empty)' : c.path))],
        ['NICs', (d.nics || []).map((n) => h('div', {}, `${n.model || 'virtio'} on ${n.bridge || '(no bridge)'}, MAC ${n.mac}`))],
        ['Display', d.display], ['Stop timeout', d.stop_timeout !== undefined ? `${d.stop_timeout} s` : null],
        ['UUID', d.uuid],
    ];
    return h('dl', { class: 'facts' }, rows.filter(([, v]) => v !== null && v !== undefined && v !== '' &&
        !(Array.isArray(v) && !v.length)).map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
}

export function vmDetailPage(view, name) {
    document.title = `Corral: ${name}`;
    const errors = h('div', { id: 'vm-errors' });
    const info = h('div', { class: 'panel' }, 'Loading…');
    const buttons = h('div', { class: 'actions' });
    const log = h('pre', { class: 'log', id: 'vm-log', tabindex: 0, 'aria-label': 'Console log' });
    const logErrors = h('div');
    const enc = encodeURIComponent(name);
    fill(view, h('h1', {}, `VM ${name}`), errors, buttons, info,
        h('h2', {}, 'Console log'),
        h('div', { class: 'actions' }, h('button', { type: 'button', onclick: () => loadLog() }, 'Reload the log')),
        logErrors, log);
    let stopped = false, lastState = null;

    async function refresh(action) {
        if (action === 'delete') { location.hash = '#/vms'; return; }
        try {
            const vm = await api.query('vm.show', { name });
            if (stopped) return;
            fill(info, definitionFacts(vm));
            if (vm.state !== lastState) {
                lastState = vm.state;
                fill(buttons, actionButtons(vm, errors, refresh),
                    h('a', { class: 'button', href: `#/vm/${enc}/edit` }, 'Edit…'),
                    h('a', { class: 'button', href: `#/console/${enc}` }, 'Serial console'),
                    vm.display ? h('a', { class: 'button', href: `#/screen/${enc}` }, 'Screen') : null);
            }
        } catch (err) {
            if (!stopped) fill(info, h('div', { class: 'error', role: 'alert' }, err.message));
        }
    }

    async function loadLog() {
        try {
            const data = await api.query('vm.log', { name, bytes: 65536 });
            showError(logErrors, null);
            fill(log, data.text ?? data.log ?? '');
            log.scrollTop = log.scrollHeight;
        } catch (err) {
            showError(logErrors, `The console log could not be read: ${err.message}`);
        }
    }
    refresh();
    loadLog();
    const timer = setInterval(refresh, LIST_REFRESH_MS);
    return () => { stopped = true; clearInterval(timer); };
}
