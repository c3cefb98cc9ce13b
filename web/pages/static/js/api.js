// The JSON API of corral-web (docs/web-api.md): session, CSRF token, errors.
let csrfToken = '';

export class ApiError extends Error {
    constructor(code, message, status) {
        super(message);
        this.code = code;
        this.status = status;
    }
}

export function setCsrf(token) { csrfToken = token || ''; }

// Any 401 outside the login itself means the session is gone: the app
// listens for this and shows the login page.
function sessionLost() {
    window.dispatchEvent(new CustomEvent('corral-session-lost'));
}

async function errorFrom(res) {
    let body = null;
    try { body = await res.json(); } catch (e) { /* not JSON: use the status */ }
    const err = body && body.error;
    if (err && err.message) return new ApiError(err.code || 'error', err.message, res.status);
    return new ApiError('http', `The server answered ${res.status} ${res.statusText || ''}`.trim(), res.status);
}

// request('POST', '/api/cmd/vm.start', {name}) -> the parsed JSON reply.
export async function request(method, url, body, { quietAuth = false } = {}) {
    const headers = { Accept: 'application/json' };
    if (method !== 'GET') headers['X-CSRF-Token'] = csrfToken;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    let res;
    try {
        res = await fetch(url, { method, headers, credentials: 'same-origin',
                                 body: body === undefined ? undefined : JSON.stringify(body) });
    } catch (e) {
        throw new ApiError('network', 'The appliance did not answer (network error): is it up and reachable?', 0);
    }
    if (!res.ok) {
        const err = await errorFrom(res);
        if (res.status === 401 && !quietAuth) sessionLost();
        throw err;
    }
    const json = await res.json();
    if (json && json.ok === false && json.error)
        throw new ApiError(json.error.code, json.error.message, res.status);
    return json;
}

// A corrald command: POST with its args, resolves to the reply's data.
export async function cmd(name, args) {
    return (await request('POST', `/api/cmd/${encodeURIComponent(name)}`, args || {})).data;
}

// A read-only corrald command with GET parameters.
export async function query(name, params) {
    const qs = new URLSearchParams(params || {}).toString();
    return (await request('GET', `/api/cmd/${encodeURIComponent(name)}${qs ? '?' + qs : ''}`)).data;
}

export async function login(password) {
    const reply = await request('POST', '/api/login', { password }, { quietAuth: true });
    setCsrf(reply.csrf);
    return reply;
}

export async function session() {
    const reply = await request('GET', '/api/session', undefined, { quietAuth: true });
    setCsrf(reply.csrf);
    return reply;
}

export async function logout() {
    try { await request('POST', '/api/logout', {}, { quietAuth: true }); } finally { setCsrf(''); }
}

// PUT /api/images/NAME with the file as the raw body.  onProgress(sent,
// total); returns {promise, abort}.  Uses XMLHttpRequest: fetch() has no
// upload progress.
export function uploadImage(name, file, onProgress) {
    const xhr = new XMLHttpRequest();
    const promise = new Promise((resolve, reject) => {
        xhr.open('PUT', `/api/images/${encodeURIComponent(name)}`);
        xhr.setRequestHeader('X-CSRF-Token', csrfToken);
        xhr.setRequestHeader('Content-Type', 'application/octet-stream');
        xhr.upload.onprogress = (e) => onProgress(e.loaded, e.lengthComputable ? e.total : file.size);
        xhr.onload = () => {
            let body = null;
            try { body = JSON.parse(xhr.responseText); } catch (e) { /* keep null */ }
            if (xhr.status >= 200 && xhr.status < 300 && !(body && body.ok === false)) return resolve(body);
            if (xhr.status === 401) sessionLost();
            const err = body && body.error;
            reject(new ApiError(err ? err.code : 'http', err ? err.message
                : `The server answered ${xhr.status} ${xhr.statusText}`, xhr.status));
        };
        xhr.onerror = () => reject(new ApiError('network', 'The upload failed: the connection was lost.', 0));
        xhr.onabort = () => reject(new ApiError('aborted', 'Upload aborted: nothing was kept.', 0));
        xhr.send(file);
    });
    return { promise, abort: () => xhr.abort() };
}

// ws(s)://this-host/PATH for the consoles.
export function wsUrl(path) {
    return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}${path}`;
}
