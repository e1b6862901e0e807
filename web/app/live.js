// The live layers: the party's own tracks (position, heading vector,
// callsign and altitude), predicted conflicts (both aircraft at the closest
// point of approach, joined by a dashed line, with the time to loss of
// separation) and the alert list sorted by urgency. Tracks are polled (the
// API has no track stream); alerts come from GET /v1/alerts, then
// /v1/alerts/stream.
/* global maplibregl */
import { call, describe } from './api.js';
import { CONFLICT_COLOUR, OWN_COLOUR } from './palette.js';
import { formatUtcSeconds } from './time.js';

const M_PER_DEG = 111320;
const KT = 1852 / 3600;
// The heading vector shows where the aircraft will be in this many seconds.
export const VECTOR_S = 120;

// The point `metres` from [lng, lat] along `bearing` degrees (flat earth, enough for a vector).
export function ahead([lng, lat], bearing, metres) {
  const b = (bearing * Math.PI) / 180;
  const dLat = (metres * Math.cos(b)) / M_PER_DEG;
  const dLng = (metres * Math.sin(b)) / (M_PER_DEG * Math.cos((lat * Math.PI) / 180));
  return [lng + dLng, lat + dLat];
}

// "FL200" for pressure altitudes, "12,000 ft" above the ellipsoid.
export function altitudeLabel(altFt, ref) {
  if (ref === 'geometric') return `${Math.round(altFt).toLocaleString('en')} ft WGS84`;
  return `FL${String(Math.round(altFt / 100)).padStart(3, '0')}`;
}

// Urgency: lost before imminent before predicted, then non-conformance;
// within each, the sooner loss of separation first.
const RANK = { lost: 0, imminent: 1, predicted: 2 };
export function urgency(a) {
  const rank = a.kind === 'loss_of_separation' ? (RANK[a.severity] ?? 2) : 3;
  return [rank, a.time_to_los_s ?? Infinity, a.id];
}
export function byUrgency(a, b) {
  const [x, y] = [urgency(a), urgency(b)];
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return x[i] < y[i] ? -1 : 1;
  return 0;
}

// What an alert's badge says (text and a shape, never colour alone).
export function severityText(a) {
  if (a.kind !== 'loss_of_separation') return '◆ NON-CONFORMANCE';
  return { lost: '▲ LOST', imminent: '■ IMMINENT', predicted: '● PREDICTED' }[a.severity] || a.severity;
}

function trackName(t) {
  return `${t.party} ${t.id}`;
}

// The moment separation is lost, in ms (from `updated` and `time_to_los_s`).
export function losAt(a) {
  return Date.parse(a.updated) + (a.time_to_los_s ?? NaN) * 1000;
}

export function alertSummary(a) {
  const who = a.tracks.map(trackName).join(' and ');
  if (a.kind !== 'loss_of_separation') return `${who}: ${a.reason === 'unknown_intent' ? 'follows an unknown operation' : 'outside its operation'}`;
  const los = a.time_to_los_s === 0 ? 'separation lost now' : `loss of separation in ${Math.round(a.time_to_los_s)} s (${formatUtcSeconds(losAt(a))})`;
  return `${who}: ${los}, closest ${Math.round(a.d_cpa_m)} m`;
}

export class Live {
  constructor(map, els, me) {
    this.map = map;
    this.els = els; // { alerts, alertsStatus, tracksStatus }
    this.me = me;
    this.tracks = [];
    this.alerts = new Map();
    this.trackLabels = new Map();
    this.conflictLabels = new Map();
    map.addSource('tracks', { type: 'geojson', data: { type: 'FeatureCollection', features: [] } });
    map.addSource('conflicts', { type: 'geojson', data: { type: 'FeatureCollection', features: [] } });
    map.addLayer({ id: 'track-vectors', type: 'line', source: 'tracks', filter: ['==', ['geometry-type'], 'LineString'],
      paint: { 'line-color': OWN_COLOUR, 'line-width': 2.5 } });
    map.addLayer({ id: 'track-points', type: 'circle', source: 'tracks', filter: ['==', ['geometry-type'], 'Point'],
      paint: { 'circle-radius': 6, 'circle-color': OWN_COLOUR, 'circle-stroke-color': '#fff', 'circle-stroke-width': 2 } });
    map.addLayer({ id: 'conflict-lines', type: 'line', source: 'conflicts', filter: ['==', ['geometry-type'], 'LineString'],
      paint: { 'line-color': CONFLICT_COLOUR, 'line-width': 3, 'line-dasharray': [2, 1] } });
    map.addLayer({ id: 'conflict-points', type: 'circle', source: 'conflicts', filter: ['==', ['geometry-type'], 'Point'],
      paint: { 'circle-radius': 8, 'circle-color': '#fff', 'circle-stroke-color': CONFLICT_COLOUR, 'circle-stroke-width': 4 } });
  }

  // Own tracks from GET /v1/tracks; answers an error text or null.
  async loadTracks() {
    const r = await call('GET', '/v1/tracks');
    if (!r.ok) return `tracks: ${describe(r)}`;
    this.tracks = r.body.tracks || [];
    this.drawTracks();
    return null;
  }

  drawTracks() {
    const features = [];
    const seen = new Set();
    for (const t of this.tracks) {
      const at = [t.lon, t.lat];
      const tip = ahead(at, t.trk_deg, t.gs_kt * KT * VECTOR_S);
      const props = { id: t.id };
      features.push({ type: 'Feature', properties: props, geometry: { type: 'Point', coordinates: at } });
      features.push({ type: 'Feature', properties: props, geometry: { type: 'LineString', coordinates: [at, tip] } });
      const text = `${t.callsign || t.id} ${altitudeLabel(t.alt_ft, t.alt_ref)} ${Math.round(t.gs_kt)} kt`;
      seen.add(t.id);
      this.placeLabel(this.trackLabels, t.id, at, text, 'track');
    }
    this.dropLabels(this.trackLabels, seen);
    this.map.getSource('tracks').setData({ type: 'FeatureCollection', features });
    this.els.tracksStatus.textContent = `${this.tracks.length} own track(s); others' appear where they conflict with yours`;
  }

  placeLabel(labels, key, at, text, className) {
    let m = labels.get(key);
    if (!m) {
      const el = document.createElement('div');
      el.className = `map-label ${className}`;
      m = new maplibregl.Marker({ element: el, anchor: 'left', offset: [10, 0] }).setLngLat(at).addTo(this.map);
      labels.set(key, m);
    }
    m.setLngLat(at);
    m.getElement().textContent = text;
    m.getElement().dataset.key = key;
  }

  dropLabels(labels, keep) {
    for (const [k, m] of labels) if (!keep.has(k)) { m.remove(); labels.delete(k); }
  }

  // Replaces the alerts with GET /v1/alerts; answers an error text or null.
  async loadAlerts() {
    const r = await call('GET', '/v1/alerts');
    if (!r.ok) return `alerts: ${describe(r)}`;
    this.alerts = new Map((r.body.alerts || []).map((a) => [a.id, a]));
    this.drawAlerts();
    return null;
  }

  // One event of /v1/alerts/stream.
  onEvent(ev) {
    if (ev.name === 'lagged') { this.loadAlerts(); return; }
    let a;
    try { a = JSON.parse(ev.data); } catch { return; }
    if (ev.name === 'ended') this.alerts.delete(a.id); else this.alerts.set(a.id, a);
    this.drawAlerts();
  }

  sorted() {
    return [...this.alerts.values()].sort(byUrgency);
  }

  drawAlerts() {
    const features = [];
    const seen = new Set();
    for (const a of this.alerts.values()) {
      const cpa = (a.cpa || []).filter(Boolean);
      if (a.kind !== 'loss_of_separation' || cpa.length === 0) continue;
      const pts = cpa.map((c) => [c.lon, c.lat]);
      cpa.forEach((c, i) => {
        const t = a.tracks[i];
        features.push({ type: 'Feature', properties: { alert: a.id }, geometry: { type: 'Point', coordinates: pts[i] } });
        const key = `${a.id}/${i}`;
        seen.add(key);
        this.placeLabel(this.conflictLabels, key, pts[i], `${t ? trackName(t) : '?'} at CPA ${altitudeLabel(c.alt_ft)}`, 'conflict');
      });
      if (pts.length === 2) features.push({ type: 'Feature', properties: { alert: a.id }, geometry: { type: 'LineString', coordinates: pts } });
      const key = `${a.id}/los`;
      seen.add(key);
      const mid = pts.length === 2 ? [(pts[0][0] + pts[1][0]) / 2, (pts[0][1] + pts[1][1]) / 2] : pts[0];
      const los = a.time_to_los_s === 0 ? 'separation LOST' : `LoS in ${Math.round(a.time_to_los_s)} s`;
      this.placeLabel(this.conflictLabels, key, mid, `${severityText(a)}: ${los}`, 'conflict');
    }
    this.dropLabels(this.conflictLabels, seen);
    this.map.getSource('conflicts').setData({ type: 'FeatureCollection', features });
    this.renderList();
  }

  renderList() {
    const list = this.els.alerts;
    const alerts = this.sorted();
    list.replaceChildren(...alerts.map((a) => {
      const li = document.createElement('li');
      li.dataset.alertId = a.id;
      li.dataset.severity = a.severity || a.kind;
      const b = document.createElement('button');
      b.type = 'button';
      b.className = 'item alert';
      const badge = document.createElement('strong');
      badge.className = `badge sev-${a.severity || 'nc'}`;
      badge.textContent = severityText(a);
      const text = document.createElement('span');
      text.textContent = `${alertSummary(a)}; since ${formatUtcSeconds(Date.parse(a.since))}`;
      b.append(badge, text);
      b.addEventListener('click', () => {
        const c = (a.cpa || []).find(Boolean);
        if (c) this.map.easeTo({ center: [c.lon, c.lat], duration: 0 });
      });
      li.append(b);
      return li;
    }));
    this.els.alertsStatus.textContent = alerts.length ? `${alerts.length} active alert(s), most urgent first` : 'no active alert';
  }
}
