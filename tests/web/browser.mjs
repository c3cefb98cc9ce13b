// A headless Chromium (Debian's) driven by playwright-core, one JSON
// command a line on stdin, one JSON reply a line on stdout, so that the
// pytest tests (browser.py) can go step by step and check the appliance
// in between.  Usage: node browser.mjs   (NODE_PATH: the npm modules)
//
// Commands: {"op": "goto", "url"} | {"op": "click", "selector"} |
// {"op": "fill", "selector", "value"} | {"op": "press", "key"} |
// {"op": "type", "text"} | {"op": "text", "selector"} | {"op": "count", "selector"} |
// {"op": "wait", "selector", "text"?, "state"?, "timeout"?} |
// {"op": "waitgone", "selector", "timeout"?} | {"op": "files", "selector", "path"} |
// {"op": "screenshot", "path"} | {"op": "eval", "expr"} | {"op": "timing"} | {"op": "quit"}
// Replies: {"ok": true, "value": ...} or {"ok": false, "error": "..."}.
import { createRequire } from 'node:module';
import readline from 'node:readline';

const require = createRequire(import.meta.url);
const { chromium } = require('playwright-core');

const browser = await chromium.launch({
    executablePath: process.env.CORRAL_CHROMIUM || '/usr/bin/chromium',
    headless: true,
    // root in the test machine: Chromium's sandbox needs user namespaces.
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
});
const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1280, height: 900 } });
const page = await context.newPage();
const consoleErrors = [];
page.on('pageerror', (e) => consoleErrors.push(String(e)));
page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
page.on('dialog', (d) => d.dismiss());
const T = (c) => c.timeout ?? 30000;

const ops = {
    goto: async (c) => { const r = await page.goto(c.url, { waitUntil: 'load', timeout: T(c) }); return r ? r.status() : null; },
    click: async (c) => { await page.click(c.selector, { timeout: T(c) }); },
    fill: async (c) => { await page.fill(c.selector, c.value, { timeout: T(c) }); },
    check: async (c) => { await page.check(c.selector, { timeout: T(c) }); },
    select: async (c) => { await page.selectOption(c.selector, c.value, { timeout: T(c) }); },
    press: async (c) => { await page.keyboard.press(c.key); },
    type: async (c) => { await page.keyboard.type(c.text, { delay: c.delay ?? 20 }); },
    text: async (c) => page.innerText(c.selector, { timeout: T(c) }),
    count: async (c) => page.locator(c.selector).count(),
    wait: async (c) => {
        const loc = c.text ? page.locator(c.selector, { hasText: c.text }) : page.locator(c.selector);
        await loc.first().waitFor({ state: c.state || 'visible', timeout: T(c) });
        return loc.first().innerText().catch(() => null);
    },
    waitgone: async (c) => { await page.locator(c.selector).first().waitFor({ state: 'detached', timeout: T(c) }); },
    files: async (c) => { await page.setInputFiles(c.selector, c.path, { timeout: T(c) }); },
    screenshot: async (c) => { await page.screenshot({ path: c.path, fullPage: true }); return c.path; },
    eval: async (c) => page.evaluate(c.expr),
    errors: async () => consoleErrors.splice(0),
    // The page's own load timing (navigation to load event), in ms.
    timing: async () => page.evaluate(() => {
        const n = performance.getEntriesByType('navigation')[0];
        return n ? { load_ms: n.loadEventEnd - n.startTime, dcl_ms: n.domContentLoadedEventEnd - n.startTime } : null;
    }),
};

const rl = readline.createInterface({ input: process.stdin });
for await (const line of rl) {
    if (!line.trim()) continue;
    let c;
    try { c = JSON.parse(line); } catch (e) { process.stdout.write(JSON.stringify({ ok: false, error: `bad JSON: ${e.message}` }) + '\n'); continue; }
    if (c.op === 'quit') break;
    try {
        if (!ops[c.op]) throw new Error(`unknown op ${c.op}`);
        const value = await ops[c.op](c);
        process.stdout.write(JSON.stringify({ ok: true, value: value ?? null }) + '\n');
    } catch (e) {
        process.stdout.write(JSON.stringify({ ok: false, error: String(e.message || e).split('\n').slice(0, 6).join('\n') }) + '\n');
    }
}
await browser.close();
