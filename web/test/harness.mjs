// What both browser test scripts share: arguments, checks and their tally,
// API calls from node, headless Chromium with every request off the
// server's origin blocked and recorded, signing in through the page.
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

export async function start(script) {
  const [base, shots, ...others] = process.argv.slice(2);
  if (!base || !shots) {
    console.error(`usage: node test/${script} BASE_URL SCREENSHOT_DIR [OTHER_BASE_URL...]`);
    process.exit(2);
  }
  const origin = new URL(base).origin;
  // Further origins the script opens pages on (e.g. a local blind map).
  const origins = new Set([origin, ...others.map((o) => new URL(o).origin)]);
  const own = (url) => [...origins].some((o) => url.startsWith(`${o}/`) || url.startsWith(`blob:${o}/`));
  mkdirSync(shots, { recursive: true });
  const t = { origin, others: others.map((o) => new URL(o).origin), shots, passed: 0, failed: 0, foreign: [], problems: [], bodies: new Map() };

  t.check = (name, ok, detail = '') => {
    if (ok) { t.passed += 1; console.log(`ok - ${name}`); } else { t.failed += 1; console.log(`not ok - ${name} ${detail}`); }
  };

  t.api = async (token, method, path, body) => {
    const r = await fetch(origin + path, {
      method, headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await r.text();
    return { status: r.status, body: text ? JSON.parse(text) : null };
  };

  t.devToken = async (party) => {
    const r = await fetch(`${origin}/web/dev-token?party=${party}`);
    if (r.status !== 200) throw new Error(`dev token for ${party}: ${r.status}`);
    return (await r.json()).token;
  };

  const userDataDir = mkdtempSync(join(tmpdir(), 'deconflict-chromium-'));
  t.context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    viewport: { width: 1366, height: 768 },
    acceptDownloads: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--use-angle=swiftshader', '--enable-unsafe-swiftshader'],
  });
  await t.context.route('**/*', (route) => {
    const url = route.request().url();
    if (origins.has(new URL(url).origin)) return route.continue();
    t.foreign.push(url);
    return route.abort();
  });

  // A new page; `provoked(status, url)` names the error answers the test asks for.
  t.openPage = async (name, provoked = () => false) => {
    const page = await t.context.newPage();
    t.bodies.set(page, []);
    // Chromium logs every non-2xx answer as a console error: those are checked
    // by status instead.
    page.on('console', (m) => {
      const text = m.text();
      if ((m.type() === 'error' && !text.startsWith('Failed to load resource')) || /Content Security Policy/.test(text)) t.problems.push(`${name} console: ${text}`);
    });
    page.on('pageerror', (e) => t.problems.push(`${name} page error: ${e.message}`));
    page.on('request', (r) => { if (!own(r.url())) t.foreign.push(r.url()); });
    page.on('response', async (r) => {
      // The page asks every server for /local/blind; only `deconflict blind map` has it.
      const probe = r.status() === 404 && new URL(r.url()).pathname === '/local/blind';
      if (r.status() >= 400 && !probe && !provoked(r.status(), r.url())) t.problems.push(`${name}: ${r.status()} from ${r.url()}`);
      if ((r.url().includes('/v1/') || r.url().includes('/dss/')) && !r.url().includes('/stream')) {
        try { t.bodies.get(page).push(await r.text()); } catch { /* a body that went away */ }
      }
    });
    return page;
  };

  // Whether `fn(arg)` becomes true in the page within `ms`.
  t.soon = async (page, fn, arg, ms = 30000) => {
    try {
      await page.waitForFunction(fn, arg, { timeout: ms, polling: 250 });
      return true;
    } catch {
      return false;
    }
  };

  t.waitLoads = async (page, atLeast) => {
    await page.waitForFunction((n) => Number(document.body.dataset.loads || 0) >= n, atLeast, { timeout: 30000 });
  };

  t.signIn = async (page, party, at = origin) => {
    await page.goto(`${at}/`);
    await page.locator('#dev-row').waitFor({ state: 'visible' });
    await page.fill('#dev-party', party);
    await page.click('#dev-fetch');
    // The box already holds the token fetched for the default party on load:
    // wait for the one of `party`, not just any token.
    await page.waitForFunction((p) => {
      const payload = document.getElementById('token').value.split('.')[1] || '';
      try { return JSON.parse(atob(payload.replace(/-/g, '+').replace(/_/g, '/'))).sub === p; } catch { return false; }
    }, party);
    await page.click('#signin');
    await t.waitLoads(page, 1);
    await page.waitForFunction(() => window.deconflict.map.loaded());
  };

  // Closes the browser, checks the origin and console, prints the tally and exits.
  t.finish = async () => {
    await t.context.close();
    rmSync(userDataDir, { recursive: true, force: true });
    t.check('every request went to a server under test', t.foreign.length === 0, JSON.stringify(t.foreign));
    t.check('no console errors or CSP violations', t.problems.length === 0, JSON.stringify(t.problems));
    console.log(`browser: ${t.passed} passed, ${t.failed} failed`);
    process.exit(t.failed ? 1 : 0);
  };
  return t;
}
