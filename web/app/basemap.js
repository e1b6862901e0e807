// The map and its offline basemap: land, coastlines and borders from Natural
// Earth (1:50m), served by this server. No glyphs, sprites or tiles: labels
// on the map are HTML markers, so nothing is fetched from another origin.
/* global maplibregl */

export const START = { lat: 46.95, lng: 7.45, zoom: 9 };

const STYLE = {
  version: 8,
  sources: {
    land: { type: 'geojson', data: '/web/basemap/land.geojson' },
    borders: { type: 'geojson', data: '/web/basemap/borders.geojson' },
  },
  layers: [
    { id: 'sea', type: 'background', paint: { 'background-color': '#c9dbe8' } },
    { id: 'land', type: 'fill', source: 'land', paint: { 'fill-color': '#f2efe6' } },
    { id: 'coast', type: 'line', source: 'land', paint: { 'line-color': '#4a6b82', 'line-width': 1 } },
    { id: 'borders', type: 'line', source: 'borders',
      paint: { 'line-color': '#6b5b73', 'line-width': 1.2, 'line-dasharray': [3, 2] } },
  ],
};

export function createMap(container) {
  maplibregl.setWorkerUrl('/web/vendor/maplibre-gl-csp-worker.js');
  const map = new maplibregl.Map({
    container,
    style: STYLE,
    center: [START.lng, START.lat],
    zoom: START.zoom,
    attributionControl: { compact: false, customAttribution: 'Basemap: Natural Earth (public domain)' },
    doubleClickZoom: false,
  });
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }), 'top-left');
  map.addControl(new maplibregl.ScaleControl({ unit: 'metric' }), 'bottom-left');
  return map;
}

// An HTML label at [lng, lat]; answers the marker (call .remove() to drop it).
export function label(map, lngLat, text, className = '') {
  const el = document.createElement('div');
  el.className = `map-label ${className}`.trim();
  el.textContent = text;
  return new maplibregl.Marker({ element: el }).setLngLat(lngLat).addTo(map);
}
