// Unit tests of the create/edit forms' requests (web/pages/static/js/
// vmconfig.js) and the graphs' geometry (graph.js's pure part): node --test.
import test from 'node:test';
import assert from 'node:assert/strict';
import { linePath, historySeries } from '../../web/pages/static/js/graph.js';
import { createArgs, editArgs, editValues, nicSpec, FormError } from '../../web/pages/static/js/vmconfig.js';

const base = { name: 'web1', memory: '1G', cpus: '2', boot: 'kernel', kernel: '/i/vmlinuz', initrd: '', cmdline: '',
               nics: '', attach: '', extra: '', display: '', restart: 'on-failure', autostart: false };

test('kernel boot is the CLI\'s --kernel/--initrd/--cmdline', () => {
    const a = createArgs({ ...base, initrd: '/i/initrd.img', cmdline: 'console=ttyS0 quiet' });
    assert.deepEqual(a, { name: 'web1', config: ['memory=1G', 'cpus=2', 'kernel=/i/vmlinuz', 'initrd=/i/initrd.img',
        'cmdline=console=ttyS0 quiet', 'restart=on-failure'] });
});

test('an installer ISO boots by firmware from a CD-ROM, as --iso', () => {
    const a = createArgs({ ...base, boot: 'iso', iso: '/i/deb.iso', diskSize: '20G', diskBus: 'sata' });
    assert.deepEqual(a.config.slice(2, 4), ['boot=firmware', 'cdrom=/i/deb.iso']);
    assert.equal(a.disk_size, '20G,bus=sata');
    assert.ok(!a.config.some((c) => c.startsWith('kernel=')));
});

test('NICs, attached disks, autostart and extra keys', () => {
    const a = createArgs({ ...base, nics: 'br0\nbridge=br1,model=e1000\n', attach: '/d/a.img,ro', autostart: true,
                           extra: 'stop_timeout = 120\n# comment\n' });
    assert.deepEqual(a.config.filter((c) => /^(nic|disk|autostart|stop_timeout)=/.test(c)),
        ['disk=/d/a.img,ro', 'nic=bridge=br0', 'nic=bridge=br1,model=e1000', 'autostart=yes', 'stop_timeout=120']);
    assert.equal(nicSpec('br0'), 'bridge=br0');
});

test('missing choices are refused in words before anything is sent', () => {
    assert.throws(() => createArgs({ ...base, name: ' ' }), /Name: give the VM a name/);
    assert.throws(() => createArgs({ ...base, kernel: '' }), /Kernel: choose the kernel/);
    assert.throws(() => createArgs({ ...base, boot: 'iso', iso: '' }), FormError);
    assert.throws(() => createArgs({ ...base, extra: 'novalue' }), /'novalue' is not KEY=VALUE/);
});

const vm = { name: 'web1', memory_mib: 512, cpus: 1, autostart: false, restart: 'on-failure',
             definition: { boot: 'kernel', kernel: '/k', initrd: '', cmdline: 'quiet', display: 'none', stop_timeout: 60,
                           disks: [{ path: '/v/root.img', readonly: false, bus: 'virtio' }, { path: '/i/d.img', readonly: true, bus: 'sata' }],
                           nics: [{ bridge: 'br0', mac: '52:54:00:12:34:56', tap: '', model: 'virtio' }] } };

test('edit sends only what changed', () => {
    const before = editValues(vm);
    assert.equal(before.disks, '/v/root.img\n/i/d.img,ro,bus=sata');
    assert.equal(before.nics, 'bridge=br0,mac=52:54:00:12:34:56');
    assert.deepEqual(editArgs('web1', before, { ...before }), { name: 'web1', config: [] });
    assert.deepEqual(editArgs('web1', before, { ...before, cpus: '4', autostart: true }).config, ['cpus=4', 'autostart=yes']);
});

test('edit sends a changed disk or NIC list whole, and will not empty it', () => {
    const before = editValues(vm);
    const c = editArgs('web1', before, { ...before, disks: before.disks + '\n/i/e.img' }).config;
    assert.deepEqual(c, ['disk=/v/root.img', 'disk=/i/d.img,ro,bus=sata', 'disk=/i/e.img']);
    assert.throws(() => editArgs('web1', before, { ...before, nics: '' }), /NICs: removing all/);
});

test('graphs: the hour ending now spans the width, 0-100 % the height, clamped', () => {
    const now = 10000;
    assert.equal(linePath([[now - 3600, 0], [now - 1800, 50], [now, 100]], now), 'M0.0,120.0 L300.0,60.0 L600.0,0.0');
    assert.equal(linePath([[now - 3601, 10], [now, 150], [now - 10, NaN]], now), 'M600.0,0.0');
    assert.equal(linePath([], now), '');
});

test('graphs: memory and storage as percentages of their totals', () => {
    const s = historySeries({ samples: [{ t: 1, cpu_pct: 5, mem_used: 1, mem_total: 4, storage_used: 3, storage_total: 0 }] });
    assert.deepEqual(s.cpu, [[1, 5]]);
    assert.deepEqual(s.memory, [[1, 25]]);
    assert.ok(Number.isNaN(s.storage[0][1]));   // no total: not drawn
    assert.equal(historySeries(null).last, null);
});
