// Drawing a new operation's footprint: a polygon (click the corners) or a
// circle (click the centre, then the edge), on the map or typed as
// "lat, lng" lines, shown as a draft until it is filed.
/* global maplibregl */
import { circleRing, closedRing, distanceM, parseLatLngLines } from './shapes.js';
import { CONFLICT_COLOUR } from './palette.js';

export class Drawing {
  constructor(map, els) {
    this.map = map;
    this.els = els; // {start, finish, clear, vertices, radius, hint, shapeInputs}
    this.active = false;
    this.markers = [];
    map.addSource('draft', { type: 'geojson', data: { type: 'FeatureCollection', features: [] } });
    map.addLayer({ id: 'draft-fill', type: 'fill', source: 'draft', paint: { 'fill-color': '#000', 'fill-opacity': 0.1 } });
    map.addLayer({ id: 'draft-line', type: 'line', source: 'draft', paint: { 'line-color': '#000', 'line-width': 3, 'line-dasharray': [3, 1] } });
    map.on('click', (e) => this.click(e.lngLat));
    els.start.addEventListener('click', () => this.start());
    els.finish.addEventListener('click', () => this.finish());
    els.clear.addEventListener('click', () => this.clear());
    els.vertices.addEventListener('input', () => this.redraw());
    els.radius.addEventListener('input', () => this.redraw());
    for (const r of els.shapeInputs) r.addEventListener('change', () => this.redraw());
  }

  shape() {
    return [...this.els.shapeInputs].find((r) => r.checked).value;
  }

  start() {
    this.clear();
    this.active = true;
    this.els.finish.disabled = false;
    this.map.getCanvas().style.cursor = 'crosshair';
    this.els.hint.textContent = this.shape() === 'circle'
      ? 'Click the centre, then a point on the edge.'
      : 'Click each corner, then Finish.';
  }

  finish() {
    this.active = false;
    this.els.finish.disabled = true;
    this.map.getCanvas().style.cursor = '';
    this.redraw();
  }

  clear() {
    this.els.vertices.value = '';
    this.els.radius.value = '';
    this.setConflict(false);
    this.redraw();
  }

  click(lngLat) {
    if (!this.active) return;
    const point = { lat: lngLat.lat, lng: lngLat.lng };
    const line = `${point.lat.toFixed(6)}, ${point.lng.toFixed(6)}`;
    if (this.shape() === 'circle') {
      const lines = this.els.vertices.value.trim();
      if (!lines) {
        this.els.vertices.value = line;
      } else {
        const [center] = parseLatLngLines(lines);
        this.els.radius.value = String(Math.round(distanceM(center, point)));
        this.finish();
        return;
      }
    } else {
      this.els.vertices.value = `${this.els.vertices.value.trim()}\n${line}`.trim();
    }
    this.redraw();
  }

  // The drawn outline: {polygon: [{lat, lng}]} or {circle: {center, radiusM}}; throws with a reason.
  outline() {
    const pts = parseLatLngLines(this.els.vertices.value);
    if (this.shape() === 'circle') {
      const radiusM = Number(this.els.radius.value);
      if (pts.length !== 1) throw new Error('a circle needs exactly one centre line "lat, lng"');
      if (!(radiusM > 0)) throw new Error('a circle needs a radius in metres above 0');
      return { circle: { center: pts[0], radiusM } };
    }
    if (pts.length < 3) throw new Error(`a polygon needs at least 3 corners (${pts.length} given)`);
    return { polygon: pts };
  }

  ring() {
    const o = this.outline();
    return o.circle ? circleRing(o.circle.center, o.circle.radiusM) : closedRing(o.polygon);
  }

  redraw() {
    for (const m of this.markers) m.remove();
    this.markers = [];
    let features = [];
    let pts = [];
    try { pts = parseLatLngLines(this.els.vertices.value); } catch { pts = []; }
    for (const p of pts) {
      const el = document.createElement('div');
      el.className = 'vertex';
      this.markers.push(new maplibregl.Marker({ element: el }).setLngLat([p.lng, p.lat]).addTo(this.map));
    }
    try {
      features = [{ type: 'Feature', properties: {}, geometry: { type: 'Polygon', coordinates: [this.ring()] } }];
    } catch {
      if (pts.length >= 2) {
        features = [{ type: 'Feature', properties: {}, geometry: { type: 'LineString', coordinates: pts.map((p) => [p.lng, p.lat]) } }];
      }
    }
    this.map.getSource('draft').setData({ type: 'FeatureCollection', features });
  }

  // Shows (or stops showing) the draft as refused for a conflict.
  setConflict(on) {
    this.map.setPaintProperty('draft-line', 'line-color', on ? CONFLICT_COLOUR : '#000');
    this.map.setPaintProperty('draft-fill', 'fill-color', on ? CONFLICT_COLOUR : '#000');
    this.map.setPaintProperty('draft-fill', 'fill-opacity', on ? 0.3 : 0.1);
  }
}
