// GeoJSON both ways, in the format of `deconflict intent file` and
// `deconflict intent export`: one Feature a volume; a Polygon (exterior ring
// only), a MultiPolygon (one volume per polygon) or a Point with radius_m;
// altitude_lower_m/altitude_upper_m (or _ft, the unit in the name) above the
// WGS84 ellipsoid; time_start/time_end in RFC 3339; features with the same
// `intent` form one operation.
import { pieces } from './operations.js';
import { FEET_TO_M } from './shapes.js';
import { rfc3339 } from './time.js';

function timeProp(ms) {
  return Math.abs(ms) < 8.64e15 ? rfc3339(ms) : null;
}

function finiteOrNull(x) {
  return Number.isFinite(x) ? x : null;
}

// What this party sees, as a FeatureCollection: own volumes (circles as a
// Point with radius_m), others' parts as polygons.
export function exportFeatures(ops) {
  const features = [];
  for (const op of ops) {
    for (const p of pieces(op)) {
      const properties = {
        intent: op.id, manager: op.manager, state: op.state, own: op.own, contact: op.contact ?? null,
        altitude_lower_m: finiteOrNull(p.lower), altitude_upper_m: finiteOrNull(p.upper),
        time_start: timeProp(p.start), time_end: timeProp(p.end),
      };
      if (!op.own) properties.part = true;
      if (p.circle) {
        const c = p.circle;
        properties.radius_m = c.radius.units === 'FT' ? c.radius.value * FEET_TO_M : c.radius.value;
        features.push({ type: 'Feature', properties, geometry: { type: 'Point', coordinates: [c.center.lng, c.center.lat] } });
      } else {
        for (const ring of p.rings) {
          features.push({ type: 'Feature', properties, geometry: { type: 'Polygon', coordinates: [ring] } });
        }
      }
    }
  }
  return { type: 'FeatureCollection', features };
}

function altitude(props, which, i) {
  const m = props[`altitude_${which}_m`];
  const ft = props[`altitude_${which}_ft`];
  if (typeof m === 'number' && typeof ft === 'number') {
    throw new Error(`feature ${i}: give altitude_${which}_m or altitude_${which}_ft, not both`);
  }
  if (typeof m === 'number') return m;
  if (typeof ft === 'number') return ft * FEET_TO_M;
  throw new Error(`feature ${i}: property altitude_${which}_m (metres) or altitude_${which}_ft (feet) is required`);
}

function time(props, name, i) {
  const v = props[name];
  if (typeof v !== 'string' || !Number.isFinite(Date.parse(v))) {
    throw new Error(`feature ${i}: property ${name} (RFC 3339 time) is required`);
  }
  return { value: v, format: 'RFC3339' };
}

function polygonOutline(rings, i, which) {
  if (!rings.length) throw new Error(`feature ${i}${which}: polygon has no ring`);
  if (rings.length > 1) {
    throw new Error(`feature ${i}${which}: polygon has ${rings.length - 1} hole(s); holes are not supported (they would be filled): split it into polygons without holes`);
  }
  const vertices = rings[0].map((p) => ({ lng: p[0], lat: p[1] }));
  const first = vertices[0];
  const last = vertices[vertices.length - 1];
  if (vertices.length > 1 && first.lng === last.lng && first.lat === last.lat) vertices.pop();
  return { outline_polygon: { vertices } };
}

function outlines(f, i) {
  const g = f.geometry;
  if (!g) throw new Error(`feature ${i} has no geometry`);
  switch (g.type) {
    case 'Polygon': return [polygonOutline(g.coordinates, i, '')];
    case 'MultiPolygon': return g.coordinates.map((rings, j) => polygonOutline(rings, i, ` (polygon ${j})`));
    case 'Point': {
      const r = (f.properties || {}).radius_m;
      if (typeof r !== 'number') throw new Error(`feature ${i}: property radius_m (a number, metres) is required`);
      return [{ outline_circle: { center: { lng: g.coordinates[0], lat: g.coordinates[1] }, radius: { value: r, units: 'M' } } }];
    }
    default: throw new Error(`feature ${i}: geometry ${g.type} is not supported (use Polygon, MultiPolygon, or Point with radius_m)`);
  }
}

// GeoJSON text to [{name, extents}]; throws naming the first bad feature.
export function parseIntents(text) {
  let gj;
  try { gj = JSON.parse(text); } catch (e) { throw new Error(`not valid GeoJSON: ${e.message}`); }
  let features;
  if (gj.type === 'Feature') features = [gj];
  else if (gj.type === 'FeatureCollection' && Array.isArray(gj.features)) features = gj.features;
  else throw new Error('give a Feature or FeatureCollection (properties carry altitudes and times)');
  const out = [];
  features.forEach((f, i) => {
    const props = f.properties || {};
    const name = typeof props.intent === 'string' ? props.intent : `feature-${i}`;
    const lower = altitude(props, 'lower', i);
    const upper = altitude(props, 'upper', i);
    const time_start = time(props, 'time_start', i);
    const time_end = time(props, 'time_end', i);
    for (const outline of outlines(f, i)) {
      const volume = {
        ...outline,
        altitude_lower: { value: lower, reference: 'W84', units: 'M' },
        altitude_upper: { value: upper, reference: 'W84', units: 'M' },
      };
      const ext = { volume, time_start, time_end };
      const spec = out.find((s) => s.name === name);
      if (spec) spec.extents.push(ext); else out.push({ name, extents: [ext] });
    }
  });
  return out;
}
