// The operations layer: what POST /v1/operations/query shows this party (its
// own operations in full, the parts of others' inside its own airspace),
// drawn by party and state, filtered by the time slider, listed in the panel.
import { call, describe } from './api.js';
import { partyColour, stateStyle, STATES, OWN_COLOUR, CONFLICT_COLOUR } from './palette.js';
import { closedRing, distanceM, outlineRing } from './shapes.js';
import { formatUtc, parseTime } from './time.js';

// The query is a circle around the map's centre: the server refuses areas
// over its limit (2,500 km² by default), and 28 km of radius stays under it.
export const MAX_QUERY_RADIUS_M = 28000;
const FAR_PAST = -8.64e15;
const FAR_FUTURE = 8.64e15;

export function queryArea(map) {
  const c = map.getCenter();
  const ne = map.getBounds().getNorthEast();
  const center = { lat: c.lat, lng: c.lng };
  const radius = Math.min(distanceM(center, { lat: ne.lat, lng: ne.lng }), MAX_QUERY_RADIUS_M);
  return { center, radiusM: Math.max(radius, 1) };
}

export function circleArea({ center, radiusM }) {
  return { volume: { outline_circle: { center, radius: { value: radiusM, units: 'M' } } } };
}

export async function fetchOperations(area) {
  return call('POST', '/v1/operations/query', { area: circleArea(area) });
}

function altitudeM(a, fallback) {
  if (!a) return fallback;
  return a.units === 'FT' ? a.value * 0.3048 : a.value;
}

function timeOr(t, fallback) {
  const ms = parseTime(t);
  return Number.isFinite(ms) ? ms : fallback;
}

// An operation's pieces: own volumes, or others' visible parts, each with
// its rings, altitude band (m) and time window (ms).
export function pieces(op) {
  if (op.volumes) {
    return op.volumes.map((v) => ({
      rings: [outlineRing(v.volume)].filter(Boolean),
      circle: v.volume.outline_circle || null,
      lower: altitudeM(v.volume.altitude_lower, -Infinity),
      upper: altitudeM(v.volume.altitude_upper, Infinity),
      start: timeOr(v.time_start, FAR_PAST),
      end: timeOr(v.time_end, FAR_FUTURE),
    }));
  }
  return (op.parts || []).map((p) => ({
    rings: p.polygons.map(closedRing),
    circle: null,
    lower: p.altitude_lower_m,
    upper: p.altitude_upper_m,
    start: timeOr(p.time_start, FAR_PAST),
    end: timeOr(p.time_end, FAR_FUTURE),
  }));
}

export function activeAt(op, at) {
  return at == null || pieces(op).some((p) => p.start <= at && at < p.end);
}

export function toFeatures(ops) {
  const features = [];
  for (const op of ops) {
    const style = stateStyle(op.state);
    for (const p of pieces(op)) {
      for (const ring of p.rings) {
        features.push({
          type: 'Feature',
          geometry: { type: 'Polygon', coordinates: [ring] },
          properties: {
            id: op.id, manager: op.manager, state: op.state, own: op.own,
            colour: partyColour(op.manager, op.own), fill: style.fill, dashed: style.dashed,
            start: p.start, end: p.end,
          },
        });
      }
    }
  }
  return { type: 'FeatureCollection', features };
}

const LAYERS = ['ops-fill', 'ops-line', 'ops-line-dashed', 'ops-selected', 'ops-conflict'];

export function addLayers(map) {
  map.addSource('operations', { type: 'geojson', data: toFeatures([]) });
  map.addLayer({ id: 'ops-fill', type: 'fill', source: 'operations',
    paint: { 'fill-color': ['get', 'colour'], 'fill-opacity': ['get', 'fill'] } });
  map.addLayer({ id: 'ops-line', type: 'line', source: 'operations',
    paint: { 'line-color': ['get', 'colour'], 'line-width': 2.5 } });
  map.addLayer({ id: 'ops-line-dashed', type: 'line', source: 'operations',
    paint: { 'line-color': '#000', 'line-width': 2, 'line-dasharray': [2, 2] } });
  map.addLayer({ id: 'ops-selected', type: 'line', source: 'operations',
    paint: { 'line-color': '#000', 'line-width': 5 } });
  map.addLayer({ id: 'ops-conflict', type: 'line', source: 'operations',
    paint: { 'line-color': CONFLICT_COLOUR, 'line-width': 5, 'line-dasharray': [1, 1] } });
}

// Layer filters: the base of each layer, and the chosen time.
export function applyFilters(app) {
  const map = app.map;
  const at = app.timeAt;
  const time = at == null ? true : ['all', ['<=', ['get', 'start'], at], ['>', ['get', 'end'], at]];
  const base = {
    'ops-fill': true,
    'ops-line': ['!', ['get', 'dashed']],
    'ops-line-dashed': ['get', 'dashed'],
    'ops-selected': ['==', ['get', 'id'], app.selected || ''],
    'ops-conflict': ['in', ['get', 'id'], ['literal', [...app.conflictIds]]],
  };
  for (const id of LAYERS) map.setFilter(id, ['all', base[id], time]);
}

// The legend: the parties in view by colour, and how states are drawn.
export function renderLegend(list, ops) {
  list.replaceChildren();
  const add = (text, colour, dashed) => {
    const li = document.createElement('li');
    const sw = document.createElement('span');
    sw.className = dashed ? 'swatch dashed' : 'swatch';
    sw.style.background = colour;
    li.append(sw, text);
    list.append(li);
  };
  add('yours', OWN_COLOUR, false);
  for (const m of [...new Set(ops.filter((o) => !o.own).map((o) => o.manager))].sort()) {
    add(`${m} (parts in your airspace)`, partyColour(m, false), false);
  }
  add('conflict', CONFLICT_COLOUR, true);
  for (const [state, s] of Object.entries(STATES)) add(`${state}: ${s.note}`, '#fff', s.dashed);
}

function summary(op) {
  const ps = pieces(op);
  const start = Math.min(...ps.map((p) => p.start));
  const end = Math.max(...ps.map((p) => p.end));
  const whose = op.own ? 'yours' : `${op.manager}, part in your airspace`;
  return `${op.state} · ${whose} · ${formatUtc(start)} to ${formatUtc(end)}`;
}

// The list of operations, those inactive at the chosen time hidden.
export function renderList(app, list, onChoose) {
  list.replaceChildren();
  for (const op of app.ops) {
    const li = document.createElement('li');
    li.dataset.opId = op.id;
    li.hidden = !activeAt(op, app.timeAt);
    const b = document.createElement('button');
    b.type = 'button';
    b.className = 'item';
    const sw = document.createElement('span');
    sw.className = stateStyle(op.state).dashed ? 'swatch dashed' : 'swatch';
    sw.style.background = partyColour(op.manager, op.own);
    b.append(sw, summary(op));
    b.setAttribute('aria-pressed', String(app.selected === op.id));
    b.addEventListener('click', () => onChoose(op.id));
    li.append(b);
    list.append(li);
  }
}

// Loads the operations around the map's centre into app.ops; answers an error text or null.
export async function load(app) {
  const area = queryArea(app.map);
  const reply = await fetchOperations(area);
  if (!reply.ok) return `operations not loaded: ${describe(reply)}`;
  app.ops = reply.body.operations;
  app.map.getSource('operations').setData(toFeatures(app.ops));
  return null;
}
