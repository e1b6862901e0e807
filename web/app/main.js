// Wires the page together: sign-in, the map and its layers, the panels.
// Each layer or panel is its own module; this one only connects them.
/* global maplibregl */
import { call, describe } from './api.js';
import { createMap } from './basemap.js';
import { Blind, probeLocal } from './blind.js';
import * as constraints from './constraints.js';
import * as details from './details.js';
import { Drawing } from './draw.js';
import { extent, keysFromForm, newPending, submit } from './filing.js';
import { exportFeatures, parseIntents } from './geojson.js';
import { Hotline } from './hotline.js';
import { Live } from './live.js';
import * as notices from './notices.js';
import * as operations from './operations.js';
import { clearToken, partyOf, setToken, token } from './session.js';
import { outlineRing, parseLatLngLines, toMetres } from './shapes.js';
import { Stream } from './sse.js';
import { formatUtc, formatUtcSeconds, readUtcInput, writeUtcInput } from './time.js';

const $ = (id) => document.getElementById(id);

function status(el, text, error = false) {
  el.textContent = text || '';
  el.classList.toggle('error', Boolean(error));
}

const app = {
  map: null, ops: [], timeAt: null, selected: null, conflictIds: new Set(), conflictLabels: [],
  pending: null, drawing: null, loads: 0, probe: null,
  els: { conflict: $('conflict'), conflictList: $('conflict-list') },
  ringOf: outlineRing,
  refilter() {
    if (!app.map || !app.map.getSource('operations')) return;
    operations.applyFilters(app);
    if (app.blind) app.blind.applyTime(app.timeAt);
    operations.renderList(app, $('ops-list'), choose);
  },
};
// For the browser tests and the curious: the page's state, nothing secret beyond the tab.
window.deconflict = app;

function choose(id) {
  app.selected = id;
  details.render($('details'), app.ops.find((o) => o.id === id));
  app.refilter();
}

async function refresh() {
  const area = operations.queryArea(app.map);
  $('area-note').textContent = `Showing what lies within ${(area.radiusM / 1000).toFixed(1)} km of ${area.center.lat.toFixed(4)}, ${area.center.lng.toFixed(4)}.`
    + (app.probe?.local ? ' Local map: moving the map does not ask the service what lies there (that would tell it where you look); "Load operations here" does.' : '');
  const [opsError, cError] = await Promise.all([
    operations.load(app),
    constraints.load(area, $('constraints-list')),
  ]);
  status($('ops-status'), opsError || `${app.ops.length} operation(s) in view`, Boolean(opsError));
  operations.renderLegend($('legend'), app.ops);
  status($('constraints-status'), cError, cError && !cError.startsWith('no constraints'));
  if (app.selected && !app.ops.some((o) => o.id === app.selected)) app.selected = null;
  details.render($('details'), app.ops.find((o) => o.id === app.selected));
  app.refilter();
  app.loads += 1;
  document.body.dataset.loads = String(app.loads);
}

// Time: "all times", or the moment chosen with the slider or typed (UTC).
const SLIDER_ORIGIN = () => Math.floor(Date.now() / 3600000) * 3600000 - 6 * 3600000;

function setTime(ms) {
  app.timeAt = ms;
  $('time-shown').textContent = ms == null ? 'all times' : `active at ${formatUtc(ms)}`;
  app.refilter();
}

function wireTime() {
  const all = $('time-all');
  const slider = $('time-slider');
  const at = $('time-at');
  const origin = SLIDER_ORIGIN();
  const fromSlider = () => origin + Number(slider.value) * 60000;
  all.addEventListener('change', () => {
    slider.disabled = all.checked;
    at.disabled = all.checked;
    if (all.checked) { setTime(null); return; }
    if (!at.value) writeUtcInput(at, fromSlider());
    setTime(readUtcInput(at));
  });
  slider.addEventListener('input', () => { writeUtcInput(at, fromSlider()); setTime(fromSlider()); });
  at.addEventListener('change', () => {
    const ms = readUtcInput(at);
    if (!Number.isFinite(ms)) return;
    const minutes = Math.round((ms - origin) / 60000);
    slider.value = String(Math.max(0, Math.min(Number(slider.max), minutes)));
    setTime(ms);
  });
}

function wireDrawForm() {
  const now = Math.ceil(Date.now() / 600000) * 600000;
  writeUtcInput($('time-start'), now + 600000);
  writeUtcInput($('time-end'), now + 3600000);
  $('draw-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const out = $('file-status');
    let pending;
    try {
      const outline = app.drawing.outline();
      const unit = $('alt-unit').value;
      const lower = toMetres(Number($('alt-lower').value), unit);
      const upper = toMetres(Number($('alt-upper').value), unit);
      const start = readUtcInput($('time-start'));
      const end = readUtcInput($('time-end'));
      if (!(lower < upper)) throw new Error('the lower altitude must be below the upper one');
      if (!(start < end)) throw new Error('the start must be before the end (UTC)');
      pending = newPending([extent(outline, lower, upper, start, end)], $('uss-url').value.trim(),
        { purpose: $('purpose').value, contact: $('contact').value });
    } catch (e) {
      status(out, e.message, true);
      return;
    }
    await fileAndShow(pending, out);
  });
  $('conflict-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (!app.pending) return;
    const pending = { ...app.pending, keys: keysFromForm(app) };
    await fileAndShow(pending, $('file-status'));
  });
}

async function fileAndShow(pending, out) {
  status(out, 'filing...');
  const r = await submit(app, pending);
  status(out, r.message, !r.ok);
  if (r.ok) {
    app.drawing.clear();
    await refresh();
    choose(pending.id);
  }
  return r;
}

function wireGeojson() {
  $('export').addEventListener('click', () => {
    const text = JSON.stringify(exportFeatures(app.ops), null, 1);
    const link = $('export-link');
    if (link.href) URL.revokeObjectURL(link.href);
    link.href = URL.createObjectURL(new Blob([text], { type: 'application/geo+json' }));
    link.hidden = false;
    link.click();
    status($('geojson-status'), `exported ${app.ops.length} operation(s)`);
  });
  $('import').addEventListener('click', async () => {
    const out = $('geojson-status');
    const file = $('import-file').files[0];
    if (!file) { status(out, 'choose a GeoJSON file first', true); return; }
    let specs;
    try { specs = parseIntents(await file.text()); } catch (e) { status(out, `${file.name}: ${e.message}`, true); return; }
    let filed = 0;
    for (const spec of specs) {
      const r = await submit(app, newPending(spec.extents, $('uss-url').value.trim(), null));
      if (!r.ok) {
        status(out, `filed ${filed} of ${specs.length}; ${spec.name}: ${r.message}`, true);
        await refresh();
        return;
      }
      filed += 1;
    }
    status(out, `filed ${filed} of ${specs.length} operation(s) from ${file.name}`);
    fit(specs.flatMap((spec) => spec.extents.flatMap((e) => outlineRing(e.volume) || [])));
    await refresh();
  });
}

function startMap() {
  app.map = createMap($('map'));
  app.map.on('load', async () => {
    operations.addLayers(app.map);
    app.drawing = new Drawing(app.map, {
      start: $('draw-start'), finish: $('draw-finish'), clear: $('draw-clear'),
      vertices: $('draw-vertices'), radius: $('draw-radius'), hint: $('draw-hint'),
      shapeInputs: document.querySelectorAll('input[name=shape]'),
    });
    app.map.on('click', 'ops-fill', (e) => {
      if (!app.drawing.active && e.features.length) choose(e.features[0].properties.id);
    });
    // The local map asks the service about the view only when told to: the
    // view would show it where the party's blind operations are.
    if (app.probe.local) $('load-here').hidden = false;
    else app.map.on('moveend', refresh);
    await refresh();
    fitToOperations();
    startLive();
  });
  $('load-here').addEventListener('click', refresh);
  $('goto-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    try {
      const [p] = parseLatLngLines($('goto').value);
      app.map.jumpTo({ center: [p.lng, p.lat] });
    } catch (e) {
      status($('ops-status'), e.message, true);
    }
  });
}

// Frames the given [lng, lat] points (the move reloads what is in view).
function fit(coords) {
  if (!coords.length) return;
  const bounds = new maplibregl.LngLatBounds(coords[0], coords[0]);
  for (const c of coords) bounds.extend(c);
  app.map.fitBounds(bounds, { padding: 60, maxZoom: 14, duration: 0 });
}

// Once, after signing in: frame what the party sees, if anything.
function fitToOperations() {
  fit(operations.toFeatures(app.ops).features.flatMap((f) => f.geometry.coordinates[0]));
}

// Once the live picture is in: frame operations, own tracks and conflicts.
function fitToPicture() {
  const ops = operations.toFeatures(app.ops).features.flatMap((f) => f.geometry.coordinates[0]);
  const tracks = app.live.tracks.map((t) => [t.lon, t.lat]);
  const cpas = [...app.live.alerts.values()].flatMap((a) => (a.cpa || []).filter(Boolean).map((c) => [c.lon, c.lat]));
  const blind = app.blind.points();
  if (tracks.length || cpas.length || blind.length) fit([...ops, ...tracks, ...cpas, ...blind]);
}

// The live picture: own tracks polled every 2 s; alerts, then the alert
// stream; the hotline and notices reloaded on every event of the event
// stream and every 15 s. The header shows whether both streams are up.
function startLive() {
  const me = partyOf(token());
  app.live = new Live(app.map, { alerts: $('alerts-list'), alertsStatus: $('alerts-status'), tracksStatus: $('tracks-status') }, me);
  app.hotline = new Hotline({
    lines: $('lines-list'), messages: $('messages-list'), status: $('hotline-status'), officer: $('officer'),
    sendForm: $('send-form'), sendLine: $('send-line'), sendPriority: $('send-priority'), sendText: $('send-text'), sendStatus: $('send-status'),
  }, me);
  const tracks = async () => {
    const error = await app.live.loadTracks();
    if (error) status($('tracks-status'), error, true);
  };
  app.blind = new Blind(app.map, { ops: $('blind-ops'), matches: $('blind-matches'), status: $('blind-status'), legend: $('blind-legend') }, app.probe);
  const coord = () => Promise.all([app.hotline.load(), notices.load($('notices-list'), $('notices-status')), app.blind.load()]);
  // Once: frame the operations together with the own tracks and the conflicts
  // (on the local map, the own blind operations too).
  Promise.all([tracks(), app.live.loadAlerts(), coord()]).then(fitToPicture);
  setInterval(tracks, 2000);
  setInterval(coord, 15000);
  let pending = null;
  const soon = () => { if (!pending) pending = setTimeout(() => { pending = null; coord(); }, 300); };
  const states = { alerts: 'connecting', events: 'connecting' };
  const why = {};
  const show = () => {
    const el = $('live-state');
    el.hidden = false;
    const down = Object.keys(states).filter((k) => states[k] !== 'live');
    const state = down.some((k) => states[k] === 'disconnected') ? 'disconnected' : (down.length ? 'connecting' : 'live');
    el.dataset.state = state;
    el.textContent = state === 'live' ? '● live updates'
      : state === 'connecting' ? '… connecting to the live updates'
        : `✖ live updates disconnected (${down.map((k) => `${k}: ${why[k] || states[k]}`).join('; ')}); retrying`;
  };
  const onState = (name) => (state, reason) => {
    states[name] = state;
    why[name] = reason;
    if (state === 'live' && name === 'alerts') app.live.loadAlerts();
    if (state === 'live' && name === 'events') soon();
    show();
  };
  app.streams = [
    new Stream('/v1/alerts/stream', (ev) => app.live.onEvent(ev), onState('alerts')).start(),
    new Stream('/v1/events/stream', soon, onState('events')).start(),
  ];
  show();
}

async function signedIn() {
  const probe = await call('POST', '/v1/operations/query', { area: operations.circleArea({ center: { lat: 0, lng: 0 }, radiusM: 1 }) });
  if (probe.status === 401 || probe.status === 403) {
    clearToken();
    return `token refused ${describe(probe)}`;
  }
  $('whoami').textContent = `signed in as ${partyOf(token()) || 'unknown party'}`;
  $('signin-panel').hidden = true;
  $('signout').hidden = false;
  $('work').hidden = false;
  // Only `deconflict blind map` (the party's own binary) answers this.
  if (!app.map) app.probe = await probeLocal();
  if (!app.map) startMap();
  return null;
}

async function wireSignIn() {
  const devRow = $('dev-row');
  const fetchDev = async () => {
    const r = await call('GET', `/web/dev-token?party=${encodeURIComponent($('dev-party').value)}`);
    if (r.ok) $('token').value = r.body.token;
    return r;
  };
  // A development server hands out tokens: prefill one. Elsewhere this is a 404.
  if ((await fetchDev()).ok) devRow.hidden = false;
  $('dev-fetch').addEventListener('click', fetchDev);
  $('signin-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    setToken($('token').value);
    const error = await signedIn();
    status($('signin-status'), error, Boolean(error));
  });
  $('signout').addEventListener('click', () => { clearToken(); window.location.reload(); });
  if (token()) await signedIn();
}

function tickClock() {
  $('clock').textContent = formatUtcSeconds(Date.now());
}

tickClock();
setInterval(tickClock, 1000);
wireTime();
wireDrawForm();
wireGeojson();
wireSignIn();
