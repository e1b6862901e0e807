// Geometry helpers: F3548 outlines to GeoJSON rings, and back.
const EARTH_RADIUS_M = 6371008.8;

// A circle as a closed ring of [lng, lat] (64 sides), for drawing only.
export function circleRing(center, radiusM, sides = 64) {
  const lat1 = (center.lat * Math.PI) / 180;
  const lng1 = (center.lng * Math.PI) / 180;
  const d = radiusM / EARTH_RADIUS_M;
  const ring = [];
  for (let i = 0; i <= sides; i++) {
    const brg = (2 * Math.PI * i) / sides;
    const lat2 = Math.asin(Math.sin(lat1) * Math.cos(d) + Math.cos(lat1) * Math.sin(d) * Math.cos(brg));
    const lng2 = lng1 + Math.atan2(Math.sin(brg) * Math.sin(d) * Math.cos(lat1), Math.cos(d) - Math.sin(lat1) * Math.sin(lat2));
    ring.push([(lng2 * 180) / Math.PI, (lat2 * 180) / Math.PI]);
  }
  return ring;
}

// Great-circle distance in metres.
export function distanceM(a, b) {
  const r = Math.PI / 180;
  const h = Math.sin(((b.lat - a.lat) * r) / 2) ** 2
    + Math.cos(a.lat * r) * Math.cos(b.lat * r) * Math.sin(((b.lng - a.lng) * r) / 2) ** 2;
  return 2 * EARTH_RADIUS_M * Math.asin(Math.sqrt(h));
}

// [{lat, lng}] (no closing vertex) to a closed GeoJSON ring.
export function closedRing(vertices) {
  const ring = vertices.map((v) => [v.lng, v.lat]);
  if (ring.length) ring.push(ring[0]);
  return ring;
}

// The outline of an F3548 volume (outline_polygon or outline_circle) as a ring.
export function outlineRing(volume) {
  if (volume.outline_polygon) return closedRing(volume.outline_polygon.vertices);
  if (volume.outline_circle) {
    const c = volume.outline_circle;
    const r = c.radius.units === 'FT' ? c.radius.value * 0.3048 : c.radius.value;
    return circleRing(c.center, r);
  }
  return null;
}

// The mean of a ring's vertices (for labels).
export function labelPoint(ring) {
  const pts = ring.length > 1 ? ring.slice(0, -1) : ring;
  const s = pts.reduce((acc, p) => [acc[0] + p[0], acc[1] + p[1]], [0, 0]);
  return [s[0] / pts.length, s[1] / pts.length];
}

// "lat, lng" lines to [{lat, lng}]; throws naming the bad line.
export function parseLatLngLines(text) {
  return text.split('\n').map((l) => l.trim()).filter(Boolean).map((line, i) => {
    const parts = line.split(/[,\s]+/).filter(Boolean).map(Number);
    if (parts.length !== 2 || parts.some((x) => !Number.isFinite(x))) {
      throw new Error(`line ${i + 1} ("${line}") is not "lat, lng"`);
    }
    const [lat, lng] = parts;
    if (lat < -90 || lat > 90 || lng < -180 || lng > 180) throw new Error(`line ${i + 1}: ${line} is off the globe`);
    return { lat, lng };
  });
}

export const FEET_TO_M = 0.3048;

// Metres from a value in the given unit ('m' or 'ft').
export function toMetres(value, unit) {
  return unit === 'ft' ? value * FEET_TO_M : value;
}

export function altitudeText(lowerM, upperM) {
  const ft = (m) => Math.round(m / FEET_TO_M);
  const m = (v) => Math.round(v * 10) / 10;
  return `${m(lowerM)} to ${m(upperM)} m (${ft(lowerM)} to ${ft(upperM)} ft) above the WGS84 ellipsoid`;
}
