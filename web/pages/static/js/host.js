// Host page: what the appliance is, how busy it has been over the last
// hour, and its power buttons.
import { h, fill, showError, formatMiB, formatBytes, formatDuration, confirmAction } from './dom.js';
import * as api from './api.js';
import { graph, historySeries } from './graph.js';

const REFRESH_MS = 10000;   // the server samples every 10 s

function facts(info) {
    const rows = [
        ['Host name', info.hostname],
        ['Version', info.version],
        ['Uptime', info.uptime_s !== undefined ? formatDuration(info.uptime_s) : undefined],
        ['CPUs', info.cpus !== undefined ? `${info.cpus} x ${info.cpu_model || 'CPU'}` : undefined],
        ['Memory', formatMiB(info.memory_total_mib)],
        ['Committed to VMs', formatMiB(info.memory_committed_mib)],
        ['Reserved for host', formatMiB(info.memory_reserve_mib)],
        ['Free for VMs', formatMiB(info.memory_free_for_vms_mib)],
        ['KVM', info.kvm ? 'yes' : 'no: VMs cannot start (no hardware virtualization)'],
        ['VMs running', `${info.vms_running ?? '-'} of ${info.vms ?? '-'}`],
    ];
    return h('dl', { class: 'facts' },
        rows.filter(([, v]) => v !== undefined && v !== null).map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
}

// host.info's `addresses` (when the server reports them): [{ifname, address}]
// or plain strings.
function addresses(info) {
    const list = info.addresses || info.network || [];
    if (!list.length) return null;
    return [h('h2', {}, 'Network addresses'),
        h('ul', {}, list.map((a) => h('li', {}, typeof a === 'string' ? a
            : `${a.ifname || a.interface || ''} ${a.address || a.addr || ''}`.trim())))];
}

function power(errors) {
    const act = (cmdName, question, label) => async () => {
        if (!(await confirmAction(question, label))) return;
        try {
            await api.cmd(cmdName, {});
            showError(errors, null);
            fill(errors, h('p', { class: 'ok', role: 'status' }, `${label}: asked. The page stops answering while the host is down.`));
        } catch (err) { showError(errors, err); }
    };
    return h('div', { class: 'actions' },
        h('button', { type: 'button', id: 'host-reboot', class: 'danger',
                      onclick: act('host.reboot', 'Reboot the host? Running VMs are shut down first.', 'Reboot') }, 'Reboot…'),
        h('button', { type: 'button', id: 'host-shutdown', class: 'danger',
                      onclick: act('host.shutdown', 'Shut the host down? Running VMs are shut down first, and it stays off until someone powers it on.', 'Shut down') }, 'Shut down…'));
}

function graphs(history) {
    const s = historySeries(history), now = s.last ? s.last.t : Date.now() / 1000, last = s.last;
    const pctText = (used, total) => (last && total ? `${formatBytes(used)} of ${formatBytes(total)} (${Math.round(used / total * 100)} %)` : '');
    return h('div', { class: 'graphs' },
        graph('CPU', s.cpu, now, last ? `${Math.round(last.cpu_pct)} %` : ''),
        graph('Memory', s.memory, now, last ? pctText(last.mem_used, last.mem_total) : ''),
        graph('Storage', s.storage, now, last ? pctText(last.storage_used, last.storage_total) : ''));
}

export function hostPage(view) {
    document.title = 'Corral: host';
    const infoSlot = h('div', { class: 'panel', id: 'host-info' }, 'Loading…');
    const graphSlot = h('div', { id: 'host-graphs' });
    const errors = h('div');
    fill(view, h('h1', {}, 'Host'), errors, infoSlot, h('h2', {}, 'Last hour'), graphSlot,
        h('h2', {}, 'Power'), power(errors));
    let stopped = false;
    async function refresh() {
        const [info, history] = await Promise.allSettled([api.query('host.info'), api.request('GET', '/api/host/history')]);
        if (stopped) return;
        if (info.status === 'fulfilled') fill(infoSlot, facts(info.value), addresses(info.value));
        else fill(infoSlot, h('div', { class: 'error', role: 'alert' }, `Host information: ${info.reason.message}`));
        if (history.status === 'fulfilled') fill(graphSlot, graphs(history.value));
        else fill(graphSlot, h('div', { class: 'error', role: 'alert' }, `Graphs: ${history.reason.message}`));
    }
    refresh();
    const timer = setInterval(refresh, REFRESH_MS);
    return () => { stopped = true; clearInterval(timer); };
}
