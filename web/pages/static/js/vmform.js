// The create wizard and the edit form (the same choices as `corral vm
// create` and `corral vm edit`; vmconfig.js makes the requests).
import { h, fill, showError } from './dom.js';
import * as api from './api.js';
import { createArgs, editArgs, editValues } from './vmconfig.js';
import { imagePath } from './images.js';

function field(label, id, control, help) {
    control.id = id;
    control.name = id;
    return [h('label', { for: id }, label), h('div', {}, control, help ? h('div', { class: 'note' }, help) : null)];
}

const input = (attrs) => h('input', { type: 'text', ...attrs });
// A textarea's value is its content, not an attribute.
const textarea = ({ value, ...attrs }) => h('textarea', { rows: 3, cols: 50, ...attrs }, value || '');
const select = (options, value) => h('select', {}, options.map(([v, label]) =>
    h('option', { value: v, selected: v === value }, label)));

// The images on the host as a <datalist> for the path fields.
async function imageChoices() {
    const list = h('datalist', { id: 'image-paths' });
    try {
        const data = await api.query('image.list');
        for (const img of data.images || []) list.append(h('option', { value: imagePath(img) }, img.name));
    } catch (e) { /* the paths can still be typed */ }
    return list;
}

function values(form) {
    const v = {};
    for (const el of form.elements) {
        if (!el.name) continue;
        if (el.type === 'checkbox') v[el.name] = el.checked;
        else if (el.type === 'radio') { if (el.checked) v[el.name] = el.value; }
        else v[el.name] = el.value;
    }
    return v;
}

// Shows only the boot fields that apply to the chosen way of booting.
function bootSwitch(form) {
    const show = () => {
        const boot = values(form).boot;
        for (const el of form.querySelectorAll('[data-boot]'))
            el.hidden = !el.dataset.boot.split(' ').includes(boot);
    };
    form.addEventListener('change', show);
    show();
}

function bootRadios(value) {
    const radio = (v, label) => h('label', {}, h('input', { type: 'radio', name: 'boot', value: v, checked: v === value }), ' ', label, ' ');
    return h('fieldset', {}, h('legend', {}, 'Boot'),
        radio('kernel', 'a Linux kernel (direct boot)'),
        radio('iso', 'an installer ISO (firmware, CD-ROM)'),
        radio('firmware', 'its first disk (firmware)'));
}

const bootOnly = (boots, parts) => parts.map((el) => { el.dataset.boot = boots; return el; });

function commonFields(v) {
    return [
        ...field('Memory', 'memory', input({ value: v.memory || '256M', size: 8 }), '512M, 2G; a plain number is MiB'),
        ...field('CPUs', 'cpus', h('input', { type: 'number', min: 1, max: 64, value: v.cpus || '1' })),
        bootRadios(v.boot || 'kernel'),
        ...bootOnly('kernel', field('Kernel', 'kernel', input({ list: 'image-paths', size: 50, value: v.kernel || '' }))),
        ...bootOnly('kernel', field('Initrd', 'initrd', input({ list: 'image-paths', size: 50, value: v.initrd || '' }), 'optional')),
        ...bootOnly('kernel', field('Command line', 'cmdline', input({ size: 50, value: v.cmdline || '' }), 'e.g. console=ttyS0 root=/dev/vda')),
        ...field('Display', 'display', select([['', 'default (a screen with firmware boot, none with a kernel)'],
            ['std', 'a screen (VGA, keyboard, mouse)'], ['none', 'none (serial console only)']], v.display || '')),
        ...field('Start with the host', 'autostart', h('input', { type: 'checkbox', checked: !!v.autostart })),
        ...field('When it stops by itself', 'restart', select([['on-failure', 'restart after a crash (on-failure)'],
            ['always', 'always restart'], ['no', 'leave it stopped']], v.restart || 'on-failure')),
    ];
}

function advancedField(v) {
    return field('More settings', 'extra', textarea({ value: v.extra || '', placeholder: 'KEY=VALUE, one a line (docs/vm-definition.md)' }),
        'any key of the VM definition, e.g. stop_timeout=120 or hugepages=yes');
}

async function submitWith(form, errors, make, after) {
    form.addEventListener('submit', async (e) => {
        e.preventDefault();
        const button = form.querySelector('button[type=submit]');
        let args;
        try { args = make(values(form)); } catch (err) { return showError(errors, err); }
        button.disabled = true;
        try {
            await after(args);
        } catch (err) {
            showError(errors, err);
            errors.scrollIntoView({ block: 'nearest' });
        } finally {
            button.disabled = false;
        }
    });
}

async function createPage(view) {
    document.title = 'Corral: create a VM';
    const errors = h('div', { id: 'form-errors' });
    const form = h('form', { class: 'grid panel', id: 'vm-form' },
        ...field('Name', 'name', input({ required: true, maxlength: 32, pattern: '[A-Za-z0-9][A-Za-z0-9-]*', autofocus: true }),
            '1-32 letters, digits or -'),
        ...commonFields({}),
        ...bootOnly('iso', field('Installer ISO', 'iso', input({ list: 'image-paths', size: 50 }))),
        ...field('New root disk', 'diskSize', input({ size: 8, placeholder: '20G' }), 'size of root.img, created empty (sparse); leave empty for none'),
        ...field('Root disk bus', 'diskBus', select([['virtio', 'virtio (Linux)'], ['sata', 'SATA (guests without virtio drivers)']], 'virtio')),
        ...field('Existing disks', 'attach', textarea({ list: 'image-paths', placeholder: '/var/lib/corral/images/data.img,ro' }),
            'one PATH[,ro][,bus=sata] a line, after the root disk'),
        ...field('NICs', 'nics', textarea({ value: 'br0' }), 'one a line: a bridge (br0) or bridge=B,model=e1000,mac=M'),
        ...advancedField({}),
        h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Create'),
            h('a', { class: 'button', href: '#/vms' }, 'Cancel')));
    fill(view, h('h1', {}, 'Create a VM'), errors, form, await imageChoices());
    bootSwitch(form);
    submitWith(form, errors, createArgs, async (args) => {
        await api.cmd('vm.create', args);
        location.hash = `#/vm/${encodeURIComponent(args.name)}`;
    });
}

async function editPage(view, name) {
    document.title = `Corral: edit ${name}`;
    const errors = h('div', { id: 'form-errors' });
    fill(view, h('h1', {}, `Edit ${name}`), errors);
    let vm;
    try { vm = await api.query('vm.show', { name }); } catch (err) { return showError(errors, err); }
    const before = editValues(vm);
    const form = h('form', { class: 'grid panel', id: 'vm-form' },
        ...commonFields(before),
        ...field('Disks', 'disks', textarea({ value: before.disks }), 'one PATH[,ro][,bus=sata] a line, in boot order'),
        ...field('NICs', 'nics', textarea({ value: before.nics }), 'one a line: bridge=B[,mac=M][,model=e1000]'),
        ...field('Stop timeout (s)', 'stop_timeout', h('input', { type: 'number', min: 0, max: 86400, value: before.stop_timeout })),
        ...advancedField({}),
        h('p', { class: 'note wide' }, 'Changes apply at the next start.'),
        h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Save'),
            h('a', { class: 'button', href: `#/vm/${encodeURIComponent(name)}` }, 'Cancel')));
    view.append(form, await imageChoices());
    bootSwitch(form);
    submitWith(form, errors, (after) => {
        const a = editArgs(name, before, after);
        // Changing between kernel and firmware boot is a key of its own.
        if (after.boot !== before.boot) a.config.push(`boot=${after.boot === 'kernel' ? 'kernel' : 'firmware'}`);
        return a;
    }, async (args) => {
        if (args.config.length) await api.cmd('vm.edit', args);
        location.hash = `#/vm/${encodeURIComponent(name)}`;
    });
}

export function vmFormPage(view, name) {
    (name ? editPage(view, name) : createPage(view));
}
