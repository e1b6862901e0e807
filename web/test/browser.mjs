// Browser tests of the web map, in a real headless Chromium driven by
// playwright-core: node test/browser.mjs BASE_URL SCREENSHOT_DIR
// BASE_URL is a `deconflict serve --dev --allow-http-base-urls` server with
// an empty store. Exits 1 when a check fails; every request the page makes
// must go to BASE_URL's origin (others are blocked and fail the run).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { start } from './harness.mjs';

const t = await start('browser.mjs');
const { check, api, devToken, waitLoads, signIn, shots, bodies, origin } = t;
const openPage = (name) => t.openPage(name, (status, url) => status === 409 && url.includes('/dss/v1/operational_intent_references/'));
const MIN = 60000;
const now = Date.now();

function square(lat, lng, half) {
  return { vertices: [
    { lat: lat - half, lng: lng - half }, { lat: lat - half, lng: lng + half },
    { lat: lat + half, lng: lng + half }, { lat: lat + half, lng: lng - half }] };
}

function volume(lat, lng, half, fromMin, toMin) {
  return {
    volume: { outline_polygon: square(lat, lng, half),
      altitude_lower: { value: 0, reference: 'W84', units: 'M' }, altitude_upper: { value: 120, reference: 'W84', units: 'M' } },
    time_start: { value: new Date(now + fromMin * MIN).toISOString(), format: 'RFC3339' },
    time_end: { value: new Date(now + toMin * MIN).toISOString(), format: 'RFC3339' },
  };
}

async function file(token, party, extent, key = []) {
  const id = crypto.randomUUID();
  const url = `http://${party}.uss.local`;
  const r = await api(token, 'PUT', `/dss/v1/operational_intent_references/${id}`, {
    extents: [extent], key, state: 'Accepted', uss_base_url: url,
    new_subscription: { uss_base_url: url, notify_for_constraints: false } });
  if (r.status !== 201) throw new Error(`filing for ${party}: ${r.status} ${JSON.stringify(r.body)}`);
  return { id, ovn: r.body.operational_intent_reference.ovn };
}

// The scene: alpha's A1 now and A2 in three hours; bravo's B1 overlapping A1's corner.
const SECRET = 'SECRET-PURPOSE-survey-of-the-dam';
const alpha = await devToken('alpha');
const bravo = await devToken('bravo');
const a1 = await file(alpha, 'alpha', volume(46.95, 7.45, 0.02, -10, 60));
const a2 = await file(alpha, 'alpha', volume(46.90, 7.38, 0.01, 180, 240));
await api(alpha, 'PUT', `/v1/operations/${a1.id}/details`, { purpose: SECRET, contact: 'alpha ops desk' });
const b1 = await file(bravo, 'bravo', volume(46.97, 7.47, 0.01, -10, 60), [a1.ovn]);


const visibleIds = (page) => page.$$eval('#ops-list li:not([hidden])', (lis) => lis.map((l) => l.dataset.opId));
const renderedIds = (page) => page.evaluate(() => [...new Set(window.deconflict.map
  .queryRenderedFeatures({ layers: ['ops-fill'] }).map((f) => f.properties.id))]);

// Whether, within 15 s, the map draws and the list shows the operations
// `want` and neither draws nor lists `notWant` (the map re-tiles in a worker).
async function showsExactly(page, want, notWant) {
  try {
    await page.waitForFunction(([w, n]) => {
      const drawn = new Set(window.deconflict.map.queryRenderedFeatures({ layers: ['ops-fill'] }).map((f) => f.properties.id));
      const listed = new Set([...document.querySelectorAll('#ops-list li:not([hidden])')].map((l) => l.dataset.opId));
      return w.every((id) => drawn.has(id) && listed.has(id)) && n.every((id) => !drawn.has(id) && !listed.has(id));
    }, [want, notWant], { timeout: 15000, polling: 200 });
    return true;
  } catch {
    return false;
  }
}

try {
  // ---- alpha: the map, its operations, the time slider
  const pa = await openPage('alpha');
  await signIn(pa, 'alpha');
  check('the page is served with a strict CSP', await (async () => {
    const r = await fetch(`${origin}/`);
    const csp = r.headers.get('content-security-policy') || '';
    return csp.includes("default-src 'self'") && !csp.includes('unsafe-eval') && csp.includes("frame-ancestors 'none'")
      && r.headers.get('x-content-type-options') === 'nosniff';
  })());
  const colours = await pa.evaluate(() => {
    const m = window.deconflict.map;
    return new Promise((resolve) => {
      m.once('render', () => {
        const gl = m.painter.context.gl;
        const w = gl.drawingBufferWidth; const h = gl.drawingBufferHeight;
        const seen = new Set();
        const px = new Uint8Array(4);
        for (let i = 1; i < 20; i++) for (let j = 1; j < 20; j++) {
          gl.readPixels(Math.floor((w * i) / 20), Math.floor((h * j) / 20), 1, 1, gl.RGBA, gl.UNSIGNED_BYTE, px);
          seen.add(px.join(','));
        }
        resolve([...seen]);
      });
      m.triggerRepaint();
    });
  });
  check('the map canvas is drawn (not blank)', colours.length >= 2 && colours.every((c) => !c.endsWith(',0')), JSON.stringify(colours));
  check("alpha's map and list show its operations and bravo's part", await showsExactly(pa, [a1.id, a2.id, b1.id], []),
    JSON.stringify({ listed: await visibleIds(pa), drawn: await renderedIds(pa) }));
  await pa.screenshot({ path: join(shots, 'alpha-operations.png') });

  await pa.uncheck('#time-all');
  await pa.fill('#time-at', new Date(now + 5 * MIN).toISOString().slice(0, 16));
  await pa.dispatchEvent('#time-at', 'change');
  check('at now+5 min the slider hides the later operation', await showsExactly(pa, [a1.id], [a2.id]),
    JSON.stringify({ listed: await visibleIds(pa), drawn: await renderedIds(pa) }));
  check('the chosen time is shown in UTC', /UTC$/.test(await pa.textContent('#time-shown')));
  await pa.fill('#time-at', new Date(now + 200 * MIN).toISOString().slice(0, 16));
  await pa.dispatchEvent('#time-at', 'change');
  check('at now+200 min only the later operation shows', await showsExactly(pa, [a2.id], [a1.id]),
    JSON.stringify({ listed: await visibleIds(pa), drawn: await renderedIds(pa) }));
  await pa.screenshot({ path: join(shots, 'alpha-time-slider.png') });
  await pa.check('#time-all');

  // ---- bravo: need-to-know, drawing, the 409 and filing again with the key
  const pb = await openPage('bravo');
  await signIn(pb, 'bravo');
  const seen = await pb.evaluate((id) => window.deconflict.ops.find((o) => o.id === id), a1.id);
  check("bravo sees alpha's operation as a part, without purpose or volumes", seen && !seen.own && seen.parts && !('volumes' in seen) && !('purpose' in seen), JSON.stringify(seen));
  const inside = (seen?.parts || []).every((p) => p.polygons.every((ring) => ring.every((v) => v.lat >= 46.96 - 1e-6 && v.lng >= 7.46 - 1e-6)));
  check("bravo sees only the part of alpha's operation inside its own", inside, JSON.stringify(seen?.parts));
  await pb.click(`#ops-list li[data-op-id="${a1.id}"] button`);
  const pageText = await pb.textContent('body');
  check("bravo's page never shows alpha's purpose", !pageText.includes(SECRET) && !bodies.get(pb).some((t) => t.includes(SECRET)));
  check("bravo's page shows alpha's contact", (await pb.textContent('#details')).includes('alpha ops desk'));

  const loads = await pb.evaluate(() => window.deconflict.loads);
  await pb.evaluate(() => window.deconflict.map.jumpTo({ center: [7.455, 46.955], zoom: 13 }));
  await waitLoads(pb, loads + 1);
  await pb.click('#draw-start');
  const corners = [[46.935, 7.435], [46.935, 7.445], [46.945, 7.445], [46.945, 7.435]];
  for (const [lat, lng] of corners) {
    const p = await pb.evaluate(([la, ln]) => window.deconflict.map.project([ln, la]), [lat, lng]);
    const box = await pb.locator('#map canvas').boundingBox();
    await pb.mouse.click(box.x + p.x, box.y + p.y);
  }
  await pb.click('#draw-finish');
  const lines = (await pb.inputValue('#draw-vertices')).split('\n').length;
  check('clicking the map drew four corners', lines === 4, String(lines));
  await pb.selectOption('#alt-unit', 'ft');
  await pb.fill('#alt-lower', '0');
  await pb.fill('#alt-upper', '300');
  await pb.fill('#time-start', new Date(now).toISOString().slice(0, 16));
  await pb.fill('#time-end', new Date(now + 30 * MIN).toISOString().slice(0, 16));
  await pb.fill('#uss-url', 'http://bravo.uss.local');
  await pb.fill('#purpose', 'bravo inspection');
  await pb.click('#file');
  await pb.locator('#conflict').waitFor({ state: 'visible' });
  const conflictText = await pb.textContent('#conflict-list');
  check('filing an overlapping operation shows the 409 conflict naming alpha\'s operation', conflictText.includes(a1.id) && (await pb.textContent('#file-status')).includes('409'), conflictText);
  const label = await pb.textContent('.map-label.conflict');
  check('the map labels the refused footprint with whom it conflicts', label.includes('alpha') && label.includes(a1.id.slice(0, 8)), label);
  check('the conflicting operation is outlined on the map', await pb.evaluate((id) => JSON.stringify(window.deconflict.map.getFilter('ops-conflict')).includes(id), a1.id));
  await pb.screenshot({ path: join(shots, 'bravo-conflict.png') });
  const { body: current } = await api(alpha, 'GET', `/dss/v1/operational_intent_references/${a1.id}`);
  await pb.fill(`#conflict-list input[data-conflict-id="${a1.id}"]`, current.operational_intent_reference.ovn);
  await pb.click('#refile');
  await pb.waitForFunction(() => /^filed /.test(document.getElementById('file-status').textContent));
  check('filing again with the key succeeds', await pb.isHidden('#conflict'));
  await pb.waitForFunction(() => window.deconflict.ops.some((o) => o.own && o.purpose === 'bravo inspection'), null, { timeout: 15000 }).catch(() => {});
  const own = await pb.evaluate(() => window.deconflict.ops.filter((o) => o.own && o.purpose === 'bravo inspection'));
  const upper = own[0]?.volumes?.[0]?.volume?.altitude_upper?.value;
  check('the filed operation is bravo\'s, with its altitude converted from feet', own.length === 1 && Math.abs(upper - 91.44) < 0.01, JSON.stringify(own));
  await pb.screenshot({ path: join(shots, 'bravo-refiled.png') });

  // ---- GeoJSON: export what alpha sees, import as the CLI does
  const [download] = await Promise.all([pa.waitForEvent('download'), pa.click('#export')]);
  const exported = JSON.parse(readFileSync(await download.path(), 'utf8'));
  const a1Features = exported.features.filter((f) => f.properties.intent === a1.id);
  check('the export holds what alpha sees, in the import format', exported.type === 'FeatureCollection' && a1Features.length === 1
    && a1Features[0].properties.altitude_upper_m === 120 && exported.features.some((f) => f.properties.part), JSON.stringify(exported).slice(0, 300));
  const dir = mkdtempSync(join(tmpdir(), 'deconflict-geojson-'));
  const props = { altitude_lower_ft: 0, altitude_upper_ft: 400, time_start: new Date(now + 300 * MIN).toISOString(), time_end: new Date(now + 330 * MIN).toISOString(), intent: 'imported' };
  const holed = join(dir, 'holed.geojson');
  writeFileSync(holed, JSON.stringify({ type: 'Feature', properties: props, geometry: { type: 'Polygon', coordinates: [
    [[7.5, 46.8], [7.52, 46.8], [7.52, 46.82], [7.5, 46.82], [7.5, 46.8]],
    [[7.505, 46.805], [7.51, 46.805], [7.51, 46.81], [7.505, 46.805]]] } }));
  await pa.setInputFiles('#import-file', holed);
  await pa.click('#import');
  await pa.waitForFunction(() => document.getElementById('geojson-status').classList.contains('error'));
  check('a polygon with a hole is refused with a clear error', /hole/.test(await pa.textContent('#geojson-status')));
  const multi = join(dir, 'multi.geojson');
  writeFileSync(multi, JSON.stringify({ type: 'FeatureCollection', features: [{ type: 'Feature', properties: props, geometry: { type: 'MultiPolygon', coordinates: [
    [[[7.5, 46.8], [7.52, 46.8], [7.52, 46.82], [7.5, 46.8]]],
    [[[7.53, 46.8], [7.55, 46.8], [7.55, 46.82], [7.53, 46.8]]]] } }] }));
  await pa.setInputFiles('#import-file', multi);
  await pa.click('#import');
  await pa.waitForFunction(() => /^filed 1 of 1/.test(document.getElementById('geojson-status').textContent));
  await pa.waitForFunction(() => window.deconflict.ops.some((o) => o.own && o.volumes.length === 2), null, { timeout: 15000 }).catch(() => {});
  const imported = await pa.evaluate(() => window.deconflict.ops.filter((o) => o.own && o.volumes.length === 2));
  const vol = imported[0]?.volumes?.[0]?.volume;
  check('a MultiPolygon is filed as one operation of two extents, feet converted', imported.length === 1 && Math.abs(vol.altitude_upper.value - 121.92) < 0.01, JSON.stringify(imported));
  rmSync(dir, { recursive: true, force: true });

  // ---- keyboard: Tab reaches the controls of every panel
  const focused = new Set();
  await pa.focus('#signout');
  for (let i = 0; i < 200; i++) {
    await pa.keyboard.press('Tab');
    focused.add(await pa.evaluate(() => document.activeElement.id));
  }
  const wanted = ['goto', 'officer', 'send-line', 'send-priority', 'send', 'time-all', 'draw-start', 'alt-unit', 'file', 'export', 'import'];
  check('Tab reaches the controls of every panel', wanted.every((id) => focused.has(id)), JSON.stringify([...focused]));

  // ---- the API reference at /docs: Swagger UI over the native document, same origin, same CSP
  const pd = await t.openPage('docs');
  await pd.goto(`${origin}/docs`);
  const rendered = await pd.waitForFunction(() => document.querySelectorAll('.opblock').length > 20, null, { timeout: 30000 })
    .then(() => true, () => false);
  const paths = await pd.$$eval('.opblock-summary-path', (els) => els.map((e) => e.textContent.replace(/\u200b/g, '')));
  check('/docs renders the native API reference from /v1/openapi.json', rendered && paths.includes('/v1/alerts') && paths.includes('/v1/lines/{id}/messages'),
    JSON.stringify(paths.slice(0, 10)));
  const docsCsp = (await fetch(`${origin}/docs`)).headers.get('content-security-policy') || '';
  check('/docs is served with the same strict CSP as the map', docsCsp.includes("script-src 'self'") && !docsCsp.includes('unsafe-'), docsCsp);
  await pd.screenshot({ path: join(shots, 'docs.png') });
} catch (e) {
  check('the run finished', false, e.stack);
} finally {
  await t.finish();
}
