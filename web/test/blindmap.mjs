// Browser tests of the local blind map (`deconflict blind map`):
// node test/blindmap.mjs SERVICE_URL SCREENSHOT_DIR LOCAL_MAP_URL
// with BLIND_ALPHA_OP, BLIND_BRAVO_OP (the two matching operations' ids) and
// BLIND_ALPHA_AT ("lat,lng" of alpha's) in the environment. Alpha's local map
// draws alpha's blind operation and its decoded match cells and nothing of
// bravo's; the page the service serves alpha lists the same operation and
// match without any geometry; charlie sees nothing blind; bravo on alpha's
// local map decodes nothing; and no request the local page sends on to the
// service carries a place.
import { join } from 'node:path';
import { start } from './harness.mjs';

const t = await start('blindmap.mjs');
const { check, signIn, shots, origin, soon } = t;
const local = t.others[0];
const ALPHA_OP = process.env.BLIND_ALPHA_OP;
const BRAVO_OP = process.env.BLIND_BRAVO_OP;
const [LAT, LNG] = process.env.BLIND_ALPHA_AT.split(',').map(Number);

// Records, by interception, every request the page sends (then lets the harness route it).
async function intercept(page) {
  const sent = [];
  await page.route('**/*', (route) => {
    const r = route.request();
    sent.push({ method: r.method(), url: r.url(), body: r.postData() || '' });
    return route.fallback();
  });
  return sent;
}

// The requests the local map passes on to the service: all but its own page files and /local/.
const PAGE_FILES = /^\/(docs)?$|^\/web\/(app|vendor|basemap|docs)\/|^\/local\//;
const passedOn = (sent, at) => sent.filter((r) => r.url.startsWith(`${at}/`) && !PAGE_FILES.test(new URL(r.url).pathname));
const shape = (r) => `${r.method} ${new URL(r.url).pathname.replace(/[0-9a-f]{8}-[0-9a-f-]{27}/g, '{id}')}`;

// Every {lat, lng} (or lat=/lng= query) in a request, as [lat, lng].
function coordinates(r) {
  const out = [];
  const walk = (v) => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') {
      if (typeof v.lat === 'number' && typeof v.lng === 'number') out.push([v.lat, v.lng]);
      Object.values(v).forEach(walk);
    }
  };
  try { walk(JSON.parse(r.body)); } catch { /* not JSON */ }
  const q = new URL(r.url).searchParams;
  if (q.has('lat') && q.has('lng')) out.push([Number(q.get('lat')), Number(q.get('lng'))]);
  return out;
}

const nearAlpha = ([lat, lng]) => Math.abs(lat - LAT) < 0.2 && Math.abs(lng - LNG) < 0.3;

try {
  // ---- alpha's local map
  const pl = await t.openPage('alpha-local');
  const sentLocal = await intercept(pl);
  await signIn(pl, 'alpha', local);
  check('the local map finds /local/blind and says the decode is local', await soon(pl, () => {
    const legend = document.getElementById('blind-legend');
    return legend.dataset.local === 'true' && /decoded locally/.test(legend.textContent);
  }), await pl.textContent('#blind-legend'));
  check('it lists alpha\'s blind operation and not bravo\'s as one of alpha\'s', await soon(pl, ([a, b]) => document.querySelector(`#blind-ops li[data-blind-id="${a}"]`)
    && !document.querySelector(`#blind-ops li[data-blind-id="${b}"]`)
    && /drawn from your records/.test(document.getElementById('blind-ops').textContent), [ALPHA_OP, BRAVO_OP]), await pl.textContent('#blind-ops'));
  check('the match names bravo\'s operation and lists the decoded cells with slot and band', await soon(pl, (b) => {
    const li = document.querySelector(`#blind-matches li[data-other-operation="${b}"]`);
    return li && /bravo/.test(li.textContent) && /cell [0-9a-f]{15}, 2031-03-01 0\d:\d\d UTC to .* m/.test(li.textContent);
  }, BRAVO_OP), await pl.textContent('#blind-matches'));
  check('the map is framed on alpha\'s blind operation', await soon(pl, ([lat, lng]) => {
    const c = window.deconflict.map.getCenter();
    return Math.abs(c.lat - lat) < 0.05 && Math.abs(c.lng - lng) < 0.05;
  }, [LAT, LNG]), JSON.stringify(await pl.evaluate(() => window.deconflict.map.getCenter())));
  check('the map draws alpha\'s operation and the matched cells in their own layers', await soon(pl, () => {
    const m = window.deconflict.map;
    return m.queryRenderedFeatures({ layers: ['blind-ops-fill'] }).length > 0 && m.queryRenderedFeatures({ layers: ['blind-cells-fill'] }).length > 0;
  }));
  const drawn = await pl.evaluate(() => window.deconflict.map.querySourceFeatures('blind-local').map((f) => f.properties));
  check('everything drawn blind is alpha\'s own operation or its decoded cells, none of bravo\'s', drawn.length > 0
    && drawn.every((p) => p.id === ALPHA_OP) && drawn.some((p) => p.kind === 'cell') && !drawn.some((p) => p.kind === 'operation' && p.id === BRAVO_OP), JSON.stringify(drawn));
  // The time slider hides blind shapes outside the chosen moment, like the operations.
  await pl.evaluate(() => { window.deconflict.timeAt = Date.parse('2031-03-01T10:00:00Z'); window.deconflict.refilter(); });
  check('at a moment after the operation nothing blind is drawn', await soon(pl, () => window.deconflict.map.queryRenderedFeatures({ layers: ['blind-ops-fill', 'blind-cells-fill'] }).length === 0));
  await pl.evaluate(() => { window.deconflict.timeAt = Date.parse('2031-03-01T08:12:00Z'); window.deconflict.refilter(); });
  check('at a moment inside it the operation and the cells of that slot are drawn', await soon(pl, () => {
    const m = window.deconflict.map;
    const cells = m.queryRenderedFeatures({ layers: ['blind-cells-fill'] });
    return m.queryRenderedFeatures({ layers: ['blind-ops-fill'] }).length > 0 && cells.length > 0 && cells.every((f) => f.properties.start <= Date.parse('2031-03-01T08:12:00Z'));
  }));
  await pl.evaluate(() => { window.deconflict.timeAt = null; window.deconflict.refilter(); });
  const cells = await pl.evaluate(() => window.deconflict.blind.local.matches.flatMap((m) => m.places.map((p) => p.cell)));
  check('the local view decoded at least one cell', cells.length > 0, JSON.stringify(cells));
  await pl.screenshot({ path: join(shots, 'blind-map-alpha-local.png') });

  // ---- the page the service serves alpha: lists, no geometry
  const pa = await t.openPage('alpha-service');
  const sentService = await intercept(pa);
  await signIn(pa, 'alpha');
  check('the service\'s page lists alpha\'s blind operation and its match with bravo', await soon(pa, ([a, b]) => document.querySelector(`#blind-ops li[data-blind-id="${a}"]`)
    && /bravo/.test(document.querySelector(`#blind-matches li[data-other-operation="${b}"]`)?.textContent || ''), [ALPHA_OP, BRAVO_OP]),
  await pa.textContent('#blind-ops') + await pa.textContent('#blind-matches'));
  check('the service\'s page draws nothing blind and says why', await pa.evaluate(() => window.deconflict.map.querySourceFeatures('blind-local').length === 0
    && document.getElementById('blind-legend').dataset.local === 'false'
    && /does not know where/.test(document.getElementById('blind-legend').textContent)));
  check('no answer the service gave alpha\'s page holds a place of alpha\'s blind operation', !t.bodies.get(pa).some((b) => b.includes(String(LAT)) || b.includes(String(LNG)) || b.includes('"outline"')));
  await pa.screenshot({ path: join(shots, 'blind-map-alpha-service.png') });

  // ---- charlie: nothing blind
  const pc = await t.openPage('charlie');
  await signIn(pc, 'charlie');
  check('charlie sees no blind operation and no match', await soon(pc, () => /^0 blind operation\(s\), 0 match\(es\)/.test(document.getElementById('blind-status').textContent)
    && document.querySelectorAll('#blind-ops li, #blind-matches li').length === 0), await pc.textContent('#blind-status'));
  check('no answer charlie\'s page got names alpha\'s or bravo\'s blind operation', !t.bodies.get(pc).some((b) => b.includes(ALPHA_OP) || b.includes(BRAVO_OP)));

  // ---- bravo on alpha's local map: refused the decode, still in local mode
  const pb = await t.openPage('bravo-local', (status, url) => status === 403 && url.endsWith('/local/blind'));
  await signIn(pb, 'bravo', local);
  check('bravo on alpha\'s local map is refused the decode and nothing is drawn', await soon(pb, () => /signed in as bravo/.test(document.getElementById('whoami').textContent)
    && /decodes for alpha only/.test(document.getElementById('blind-status').textContent)
    && document.getElementById('blind-legend').dataset.local === 'true' && !document.getElementById('load-here').hidden
    && window.deconflict.map.querySourceFeatures('blind-local').length === 0), await pb.textContent('#blind-status'));

  // ---- what the local page sent on to the service
  const onward = passedOn(sentLocal, local);
  check('the local page sent requests on to the service', onward.some((r) => shape(r) === 'GET /v1/blind/matches') && onward.some((r) => shape(r) === 'POST /v1/operations/query'), JSON.stringify(onward.map(shape)));
  const placed = onward.filter((r) => coordinates(r).some(nearAlpha));
  check('no request sent on carries a coordinate near alpha\'s blind operation', placed.length === 0, JSON.stringify(placed));
  const decoded = onward.filter((r) => cells.some((c) => r.url.includes(c) || r.body.includes(c)) || /blind-ops|"places"|"outline"/.test(r.body));
  check('no request sent on carries a decoded cell or token→place data', decoded.length === 0, JSON.stringify(decoded));
  const ordinary = new Set(passedOn(sentService, origin).map(shape));
  const extra = [...new Set(onward.map(shape))].filter((s) => !ordinary.has(s));
  check('the local page sends on only the calls the service\'s own page makes', extra.length === 0, JSON.stringify(extra));
} catch (e) {
  check('the run finished', false, e.stack);
} finally {
  await t.finish();
}
