// The Blind panel: the caller's own blind operations and their matches as
// the service knows them (GET /v1/blind/operations and /v1/blind/matches):
// id, line, state, validity, token count, and for each match the other
// party and operation and how many own tokens matched. No place: the
// service has none, and this page draws nothing blind when it serves it.
//
// Served by `deconflict blind map` (the party's own binary, on loopback),
// GET /local/blind adds what the party decodes from its own records: its
// operations' volumes and each match's cells with their slot and band,
// drawn in their own style with a legend line saying the decode is local.
// The service answers 404 there.
import { call, describe } from './api.js';
import { BLIND_COLOUR, CONFLICT_COLOUR } from './palette.js';
import { closedRing, outlineRing } from './shapes.js';
import { formatUtc, parseTime } from './time.js';

const EMPTY = { type: 'FeatureCollection', features: [] };

function el(tag, className, text) {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text !== undefined) e.textContent = text;
  return e;
}

function short(id) {
  return (id || '').slice(0, 8);
}

// Whether this origin is a local map, and its decoded view if it answered.
// Only a 404 means the service: any other answer (an error included) keeps
// the page in local mode, so a passing failure never turns view queries on.
export async function probeLocal() {
  const r = await call('GET', '/local/blind');
  return { local: r.status !== 404, view: r.ok ? r.body : null, error: r.ok ? null : describe(r) };
}

// The decoded view as GeoJSON: own operations' volumes and matched cells.
export function localFeatures(view) {
  const features = [];
  for (const op of view?.operations || []) {
    for (const v of op.volumes || []) {
      const ring = outlineRing(v.volume);
      const props = { kind: 'operation', id: op.id, start: parseTime(v.time_start), end: parseTime(v.time_end) };
      if (ring) features.push({ type: 'Feature', geometry: { type: 'Polygon', coordinates: [ring] }, properties: props });
    }
  }
  for (const m of view?.matches || []) {
    for (const p of m.places || []) {
      features.push({ type: 'Feature', geometry: { type: 'Polygon', coordinates: [closedRing(p.outline)] },
        properties: { kind: 'cell', id: m.operation, other: m.other_operation, cell: p.cell, start: parseTime(p.time_start), end: parseTime(p.time_end) } });
    }
  }
  return { type: 'FeatureCollection', features };
}

function opText(op, local) {
  const rec = local ? (local.recorded ? '; drawn from your records' : '; not filed from here, so not drawn') : '';
  return `${short(op.id)} on ${op.line}: ${op.state}, ${formatUtc(Date.parse(op.time_start))} to ${formatUtc(Date.parse(op.time_end))}, ${op.token_count} tokens${rec}`;
}

function placeText(p) {
  return `cell ${p.cell}, ${formatUtc(Date.parse(p.time_start))} to ${formatUtc(Date.parse(p.time_end))}, ${Math.round(p.altitude_lower_m)}–${Math.round(p.altitude_upper_m)} m`;
}

export class Blind {
  constructor(map, els, probe) {
    this.map = map;
    this.els = els; // { ops, matches, status, legend }
    this.isLocal = probe.local; // served by `deconflict blind map`
    this.local = probe.view; // the last /local/blind answer, or null
    this.ops = [];
    this.matches = [];
    map.addSource('blind-local', { type: 'geojson', data: EMPTY });
    this.layers = { 'blind-cells-fill': 'cell', 'blind-cells-line': 'cell', 'blind-ops-fill': 'operation', 'blind-ops-line': 'operation' };
    // Matched cells under the operation, so its dashed outline stays visible.
    map.addLayer({ id: 'blind-cells-fill', type: 'fill', source: 'blind-local', filter: ['==', ['get', 'kind'], 'cell'],
      paint: { 'fill-color': CONFLICT_COLOUR, 'fill-opacity': 0.45 } });
    map.addLayer({ id: 'blind-cells-line', type: 'line', source: 'blind-local', filter: ['==', ['get', 'kind'], 'cell'],
      paint: { 'line-color': '#000', 'line-width': 1.5 } });
    map.addLayer({ id: 'blind-ops-fill', type: 'fill', source: 'blind-local', filter: ['==', ['get', 'kind'], 'operation'],
      paint: { 'fill-color': BLIND_COLOUR, 'fill-opacity': 0.2 } });
    map.addLayer({ id: 'blind-ops-line', type: 'line', source: 'blind-local', filter: ['==', ['get', 'kind'], 'operation'],
      paint: { 'line-color': BLIND_COLOUR, 'line-width': 3, 'line-dasharray': [1, 1] } });
    this.renderLegend();
    this.draw();
  }

  // Reloads the lists (and, on the local map, the decoded view); answers an error text or null.
  async load() {
    const [ops, matches] = await Promise.all([call('GET', '/v1/blind/operations'), call('GET', '/v1/blind/matches')]);
    const failed = [ops, matches].find((r) => !r.ok);
    if (failed) { this.status(`blind: ${describe(failed)}`, true); return describe(failed); }
    this.ops = ops.body.operations || [];
    this.matches = matches.body.matches || [];
    if (this.isLocal) {
      const view = await call('GET', '/local/blind');
      if (!view.ok) { this.status(`decoding here: ${describe(view)}`, true); return describe(view); }
      const first = !this.local;
      this.local = view.body;
      this.draw();
      if (first) this.renderLegend();
    }
    this.render();
    return null;
  }

  // Shows only what is active at `at` (ms), or everything when null, as the time slider says.
  applyTime(at) {
    const time = at == null ? true : ['all', ['<=', ['get', 'start'], at], ['>', ['get', 'end'], at]];
    for (const [id, kind] of Object.entries(this.layers)) this.map.setFilter(id, ['all', ['==', ['get', 'kind'], kind], time]);
  }

  draw() {
    this.map.getSource('blind-local').setData(this.local ? localFeatures(this.local) : EMPTY);
  }

  // The [lng, lat] points of what the local map draws (to frame them).
  points() {
    return localFeatures(this.local).features.flatMap((f) => f.geometry.coordinates[0]);
  }

  status(text, error = false) {
    this.els.status.textContent = text;
    this.els.status.classList.toggle('error', error);
  }

  renderLegend() {
    const list = this.els.legend;
    list.replaceChildren();
    const add = (text, colour, dashed) => {
      const li = el('li');
      if (colour) {
        const sw = el('span', dashed ? 'swatch dashed' : 'swatch');
        sw.style.background = colour;
        li.append(sw);
      }
      li.append(text);
      list.append(li);
    };
    if (this.isLocal) {
      add('your blind operation, from your records', BLIND_COLOUR, true);
      add('matched cell', CONFLICT_COLOUR, false);
      const whose = this.local ? ` from ${this.local.party}'s data` : '';
      add(`decoded locally by your own deconflict binary${whose}; the service never sees these places`);
    } else {
      add('no places: the service does not know where blind operations are; `deconflict blind map` shows yours, decoded locally');
    }
    list.dataset.local = String(this.isLocal);
  }

  render() {
    const localOps = new Map((this.local?.operations || []).map((o) => [o.id, o]));
    const decoded = new Map((this.local?.matches || []).map((m) => [`${m.operation}/${m.other_operation}`, m]));
    this.els.ops.replaceChildren(...this.ops.map((op) => {
      const li = el('li', '', opText(op, this.local ? localOps.get(op.id) || { recorded: false } : null));
      li.dataset.blindId = op.id;
      li.dataset.state = op.state;
      return li;
    }));
    this.els.matches.replaceChildren(...this.matches.map((m) => {
      const li = el('li', 'match');
      li.dataset.operation = m.operation;
      li.dataset.otherOperation = m.other_operation;
      li.append(el('strong', 'badge warn', '⚠ MATCH'), ' ',
        el('span', '', `your ${short(m.operation)} and ${m.other_party}'s ${short(m.other_operation)} share ${m.my_tokens.length} of your tokens (found ${formatUtc(Date.parse(m.at))})`));
      const d = decoded.get(`${m.operation}/${m.other_operation}`);
      if (d) {
        const places = el('ul', 'places');
        for (const p of d.places) places.append(el('li', 'note', placeText(p)));
        if (d.undecoded) places.append(el('li', 'note', `${d.undecoded} token(s) not decodable here`));
        li.append(places);
      }
      return li;
    }));
    const where = this.isLocal ? 'decoded here' : 'places not shown';
    this.status(`${this.ops.length} blind operation(s), ${this.matches.length} match(es); ${where}`);
  }
}
