// Images: kernels, initrds, ISOs and disk images in the host's image
// directory: list, upload (with progress; abort leaves nothing), import
// from a URL with its SHA-256, delete.
import { h, fill, showError, formatBytes, confirmAction } from './dom.js';
import * as api from './api.js';

// image.list gives each image's path (corrald knows where they are).
export function imagePath(img) {
    return img.path || img.name;
}

function imageTable(images, errors, refresh) {
    if (!images.length) return h('p', { class: 'note' }, 'No images yet.');
    return h('table', { id: 'image-list' },
        h('thead', {}, h('tr', {}, h('th', {}, 'Name'), h('th', {}, 'Kind'), h('th', { class: 'num' }, 'Size'), h('th', {}, ''))),
        h('tbody', {}, images.map((img) => h('tr', { dataset: { image: img.name } },
            h('td', {}, img.name, h('div', { class: 'note' }, imagePath(img))),
            h('td', {}, img.kind || ''),
            h('td', { class: 'num' }, formatBytes(img.size_bytes)),
            h('td', {}, h('button', { type: 'button', class: 'danger', 'aria-label': `Delete ${img.name}`, onclick: async () => {
                if (!(await confirmAction(`Delete the image ${img.name}? VMs that use it will not start.`, 'Delete'))) return;
                try {
                    await api.cmd('image.delete', { name: img.name });
                    showError(errors, null);
                } catch (err) { showError(errors, `Delete ${img.name}: ${err.message}`); }
                refresh();
            } }, 'Delete'))))));
}

function uploadForm(refresh) {
    const file = h('input', { type: 'file', id: 'upload-file', required: true });
    const name = h('input', { type: 'text', id: 'upload-name', placeholder: 'as the file is called' });
    const progress = h('progress', { id: 'upload-progress', max: 1, value: 0, hidden: true });
    const status = h('span', { id: 'upload-status', role: 'status' });
    const start = h('button', { type: 'submit', class: 'primary' }, 'Upload');
    const abort = h('button', { type: 'button', id: 'upload-abort', disabled: true }, 'Abort');
    const errors = h('div', { id: 'upload-errors' });
    let current = null;
    abort.addEventListener('click', () => current && current.abort());
    const form = h('form', { class: 'grid panel', id: 'upload-form', onsubmit: async (e) => {
        e.preventDefault();
        const f = file.files[0];
        if (!f) return showError(errors, 'Choose a file to upload.');
        const target = name.value.trim() || f.name;
        showError(errors, null);
        progress.hidden = false;
        progress.value = 0;
        start.disabled = true;
        abort.disabled = false;
        const t0 = performance.now();
        current = api.uploadImage(target, f, (sent, total) => {
            progress.value = total ? sent / total : 0;
            const rate = sent / Math.max(0.001, (performance.now() - t0) / 1000);
            fill(status, `${formatBytes(sent)} of ${formatBytes(total)} (${formatBytes(rate)}/s)`);
        });
        try {
            await current.promise;
            fill(status, h('span', { class: 'ok' }, `${target}: uploaded (${formatBytes(f.size)}).`));
            form.reset();
        } catch (err) {
            fill(status, '');
            showError(errors, err.code === 'aborted' ? err.message : `Upload of ${target}: ${err.message}`);
        } finally {
            current = null;
            progress.hidden = true;
            start.disabled = false;
            abort.disabled = true;
            refresh();
        }
    } },
        h('label', { for: 'upload-file' }, 'File'), file,
        h('label', { for: 'upload-name' }, 'Name on the host'), name,
        h('div', { class: 'actions' }, start, abort, progress, status),
        h('div', { class: 'wide' }, errors));
    return form;
}

function importForm(refresh) {
    const url = h('input', { type: 'url', id: 'import-url', required: true, size: 50, placeholder: 'https://…/debian.iso' });
    // corral-web requires the checksum: it is what proves the file is the
    // one meant (the appliance does not verify https certificates).
    const sha = h('input', { type: 'text', id: 'import-sha256', size: 64, pattern: '[0-9a-fA-F]{64}', required: true,
                             placeholder: '64 hex digits' });
    const name = h('input', { type: 'text', id: 'import-name', placeholder: 'as in the URL' });
    const status = h('div', { id: 'import-status', role: 'status' });
    const button = h('button', { type: 'submit', class: 'primary' }, 'Import');
    return h('form', { class: 'grid panel', id: 'import-form', onsubmit: async (e) => {
        e.preventDefault();
        const args = { url: url.value.trim() };
        if (sha.value.trim()) args.sha256 = sha.value.trim().toLowerCase();
        if (name.value.trim()) args.name = name.value.trim();
        button.disabled = true;
        fill(status, 'Importing… (the appliance fetches the file; this can take a while)');
        try {
            const data = await api.cmd('image.import', args);
            fill(status, h('span', { class: 'ok' }, `${data.name || args.name || 'image'}: imported, ${formatBytes(data.size_bytes)}, SHA-256 ${data.sha256 || 'checked'}.`));
        } catch (err) {
            showError(status, `Import: ${err.message}`);
        } finally {
            button.disabled = false;
            refresh();
        }
    } },
        h('label', { for: 'import-url' }, 'URL'), url,
        h('label', { for: 'import-sha256' }, 'SHA-256'), sha,
        h('label', { for: 'import-name' }, 'Name on the host'), name,
        h('div', { class: 'actions' }, button), h('div', { class: 'wide' }, status));
}

export function imagesPage(view) {
    document.title = 'Corral: images';
    const list = h('div', {}, 'Loading…');
    const errors = h('div', { id: 'image-errors' });
    let stopped = false;
    async function refresh() {
        try {
            const data = await api.query('image.list');
            if (!stopped) fill(list, imageTable(data.images || [], errors, refresh));
        } catch (err) {
            if (!stopped) fill(list, h('div', { class: 'error', role: 'alert' }, `The image list could not be read: ${err.message}`));
        }
    }
    fill(view, h('h1', {}, 'Images'), errors, list,
        h('h2', {}, 'Upload from this computer'), uploadForm(refresh),
        h('h2', {}, 'Import from a URL'), importForm(refresh));
    refresh();
    return () => { stopped = true; };
}
