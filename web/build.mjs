// Regenerates web/dist/ from the npm packages in node_modules (run `npm ci`
// first, then `npm run build`). The output is committed so that `cargo build`
// needs no node: the server embeds web/index.html, web/app/ and web/dist/.
//
//   dist/vendor/  maplibre-gl's CSP build (no eval, no blob: worker) and its CSS
//   dist/basemap/ land and borders from Natural Earth 1:50m (world-atlas),
//                 TopoJSON turned into GeoJSON with topojson-client
//   dist/docs/    Swagger UI's browser bundle and CSS (swagger-ui-dist), for
//                 the API reference at /docs
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { feature, mesh } from 'topojson-client';

const here = dirname(fileURLToPath(import.meta.url));
const modules = join(here, 'node_modules');
const out = join(here, 'dist');

function write(rel, text) {
  const path = join(out, rel);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
  console.log(`${rel}\t${text.length} bytes`);
}

// A source-map comment would make a browser with developer tools open ask for
// a file we do not ship: drop it.
function withoutSourceMap(text) {
  return text.replace(/\n\/\/# sourceMappingURL=\S+\s*$/, '\n').replace(/\n\/\*# sourceMappingURL=\S+ ?\*\/\s*$/, '\n');
}

const maplibre = join(modules, 'maplibre-gl', 'dist');
for (const file of ['maplibre-gl-csp.js', 'maplibre-gl-csp-worker.js', 'maplibre-gl.css']) {
  write(join('vendor', file), withoutSourceMap(readFileSync(join(maplibre, file), 'utf8')));
}
write('vendor/LICENSE-maplibre-gl.txt', readFileSync(join(maplibre, 'LICENSE.txt'), 'utf8'));

// Three decimals of a degree (about 100 m) is finer than 1:50m data.
function rounded(geojson) {
  return JSON.stringify(geojson, (key, value) =>
    typeof value === 'number' && key !== '' ? Math.round(value * 1000) / 1000 : value);
}

const atlas = (name) => JSON.parse(readFileSync(join(modules, 'world-atlas', name), 'utf8'));
const land = atlas('land-50m.json');
write('basemap/land.geojson', rounded(feature(land, land.objects.land)));
const countries = atlas('countries-50m.json');
// Borders between two countries only: coastlines come from the land outline.
const borders = mesh(countries, countries.objects.countries, (a, b) => a !== b);
write('basemap/borders.geojson', rounded({ type: 'Feature', properties: {}, geometry: borders }));

const swagger = join(modules, 'swagger-ui-dist');
for (const file of ['swagger-ui-bundle.js', 'swagger-ui.css']) {
  write(join('docs', file), withoutSourceMap(readFileSync(join(swagger, file), 'utf8')));
}
write('docs/LICENSE-swagger-ui.txt', readFileSync(join(swagger, 'LICENSE'), 'utf8'));
