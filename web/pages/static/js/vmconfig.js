// The create and edit forms' values turned into corrald requests, the way
// `corral vm create` turns its options into vm.create (hypervisor/cli/
// cli_cmd.c).  Pure (no DOM), so tests/unit/web runs it under node.

export class FormError extends Error {
    constructor(field, message) {
        super(`${field}: ${message}`);
        this.field = field;
    }
}

const lines = (text) => String(text || '').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));

// "br0" -> "bridge=br0"; a spec with '=' is passed as is (cli_nic_spec).
export function nicSpec(line) {
    return line.includes('=') ? line : `bridge=${line}`;
}

function extraKeys(text) {
    return lines(text).map((l) => {
        const eq = l.indexOf('=');
        if (eq <= 0) throw new FormError('More settings', `'${l}' is not KEY=VALUE`);
        return `${l.slice(0, eq).trim()}=${l.slice(eq + 1).trim()}`;
    });
}

// values: {name, memory, cpus, boot ('kernel' | 'firmware' | 'iso'), kernel,
// initrd, cmdline, iso, diskSize, diskBus ('virtio' | 'sata'), attach (text,
// one PATH[,ro] a line), nics (text, one BRIDGE or SPEC a line), display
// ('' | 'std' | 'none'), autostart (bool), restart, extra (KEY=VALUE lines)}
// -> the vm.create args {name, config, disk_size?}.
export function createArgs(v) {
    const name = String(v.name || '').trim();
    if (!name) throw new FormError('Name', 'give the VM a name');
    const config = [];
    const add = (key, value) => config.push(`${key}=${value}`);
    if (String(v.memory || '').trim()) add('memory', v.memory.trim());
    if (String(v.cpus || '').trim()) add('cpus', String(v.cpus).trim());
    if (v.boot === 'kernel') {
        if (!String(v.kernel || '').trim()) throw new FormError('Kernel', 'choose the kernel to boot (or boot by firmware)');
        add('kernel', v.kernel.trim());
        if (String(v.initrd || '').trim()) add('initrd', v.initrd.trim());
        if (String(v.cmdline || '').trim()) add('cmdline', v.cmdline.trim());
    } else if (v.boot === 'iso') {
        if (!String(v.iso || '').trim()) throw new FormError('Installer ISO', 'choose the ISO to install from');
        add('boot', 'firmware');
        add('cdrom', v.iso.trim());
    } else if (v.boot === 'firmware') {
        add('boot', 'firmware');
    } else {
        throw new FormError('Boot', `unknown choice '${v.boot}'`);
    }
    for (const l of lines(v.attach)) add('disk', l);
    for (const l of lines(v.nics)) add('nic', nicSpec(l));
    if (v.display) add('display', v.display);
    if (v.autostart) add('autostart', 'yes');
    if (v.restart) add('restart', v.restart);
    config.push(...extraKeys(v.extra));
    const args = { name, config };
    const size = String(v.diskSize || '').trim();
    if (size) args.disk_size = v.diskBus === 'sata' ? `${size},bus=sata` : size;
    return args;
}

// A definition's disks and NICs as the lines the edit form shows.
export function diskLine(d) {
    return [d.path, d.readonly ? 'ro' : '', d.iops ? `iops=${d.iops}` : '', d.bps ? `bps=${d.bps}` : '',
        d.bus && d.bus !== 'virtio' ? `bus=${d.bus}` : ''].filter(Boolean).join(',');
}

export function nicLine(n) {
    return [`bridge=${n.bridge || ''}`, n.mac ? `mac=${n.mac}` : '', n.tap ? `tap=${n.tap}` : '',
        n.model && n.model !== 'virtio' ? `model=${n.model}` : ''].filter(Boolean).join(',');
}

// The edit form's starting values from vm.show's reply.
export function editValues(vm) {
    const d = vm.definition || {};
    return {
        memory: `${vm.memory_mib}M`, cpus: String(vm.cpus), kernel: d.kernel || '', initrd: d.initrd || '',
        cmdline: d.cmdline || '', autostart: !!vm.autostart, restart: vm.restart || 'on-failure',
        display: d.display || '', stop_timeout: d.stop_timeout !== undefined ? String(d.stop_timeout) : '',
        disks: (d.disks || []).map(diskLine).join('\n'), nics: (d.nics || []).map(nicLine).join('\n'),
        boot: d.boot || 'kernel', extra: '',
    };
}

// Only what changed, as vm.edit's config; disk/nic lists are sent whole
// when they changed (vm.edit replaces all of them), and an emptied list as
// no disks at all is not expressible, so it is refused here in words.
export function editArgs(name, before, after) {
    const config = [];
    for (const key of ['memory', 'cpus', 'kernel', 'initrd', 'cmdline', 'restart', 'display', 'stop_timeout']) {
        const a = String(after[key] ?? '').trim();
        if (a !== String(before[key] ?? '').trim()) config.push(`${key}=${a}`);
    }
    if (!!after.autostart !== !!before.autostart) config.push(`autostart=${after.autostart ? 'yes' : 'no'}`);
    for (const [field, key, conv] of [['disks', 'disk', (l) => l], ['nics', 'nic', nicSpec]]) {
        if (lines(after[field]).join('\n') === lines(before[field]).join('\n')) continue;
        if (!lines(after[field]).length)
            throw new FormError(field === 'disks' ? 'Disks' : 'NICs',
                'removing all of them is not possible here: keep at least one line');
        for (const l of lines(after[field])) config.push(`${key}=${conv(l)}`);
    }
    config.push(...extraKeys(after.extra));
    return { name, config };
}
