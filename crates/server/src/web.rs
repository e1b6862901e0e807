//! The web map: a page served from the server's own origin (`GET /` and
//! `GET /web/...`), its files embedded in the binary at compile time from the
//! repository's `web/` folder, so `cargo build` alone builds a server with the
//! page and nothing is fetched from elsewhere at run time.
//!
//! Every answer carries a strict Content-Security-Policy ([`CSP`]): scripts,
//! styles, images, workers and connections from this origin only, no `eval`,
//! no inline script or style, and no framing.
//!
//! In `--dev` only, `GET /web/dev-token?party=NAME` hands out a development
//! token for NAME with the ordinary party scopes, so the sign-in form can be
//! prefilled; outside `--dev` it is a 404.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use crate::auth::{DevKey, TokenRequest, scope};
use crate::error::ApiError;
use crate::handlers::{ApiPath, ApiQuery};
use crate::state::AppState;

/// The Content-Security-Policy of the page and its files. maplibre's CSP
/// build loads its worker from a URL of this origin (`worker-src 'self'`) and
/// needs no `eval`; its stylesheet draws the control icons as `data:` SVG
/// images, the one source beyond `'self'` (an image cannot run script).
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
    font-src 'self'; connect-src 'self'; worker-src 'self'; object-src 'none'; base-uri 'none'; \
    form-action 'none'; frame-ancestors 'none'";

const HTML: &str = "text/html; charset=utf-8";
const JS: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";
const GEOJSON: &str = "application/geo+json";
const TEXT: &str = "text/plain; charset=utf-8";
const SVG: &str = "image/svg+xml";

/// One embedded file: its path under `/web/`, media type and bytes.
#[derive(Debug)]
pub struct Asset {
    /// The path under `/web/` (e.g. `app/main.js`).
    pub path: &'static str,
    /// Its `Content-Type`.
    pub content_type: &'static str,
    /// Its bytes.
    pub bytes: &'static [u8],
}

macro_rules! asset {
    ($path:literal, $file:literal, $ty:expr) => {
        Asset { path: $path, content_type: $ty, bytes: include_bytes!(concat!("../../../web/", $file)) }
    };
}

/// The page itself, served at `/`.
const INDEX: &[u8] = include_bytes!("../../../web/index.html");

/// The API reference page, served at `/docs`.
const DOCS: &[u8] = include_bytes!("../../../web/docs.html");

/// Every file under `/web/`: the page's own modules (`web/app/`, written by
/// hand) and what `web/build.mjs` made from npm packages (`web/dist/`).
pub const ASSETS: &[Asset] = &[
    asset!("app/style.css", "app/style.css", CSS),
    asset!("app/icon.svg", "app/icon.svg", SVG),
    asset!("app/main.js", "app/main.js", JS),
    asset!("app/api.js", "app/api.js", JS),
    asset!("app/session.js", "app/session.js", JS),
    asset!("app/basemap.js", "app/basemap.js", JS),
    asset!("app/palette.js", "app/palette.js", JS),
    asset!("app/time.js", "app/time.js", JS),
    asset!("app/shapes.js", "app/shapes.js", JS),
    asset!("app/operations.js", "app/operations.js", JS),
    asset!("app/constraints.js", "app/constraints.js", JS),
    asset!("app/details.js", "app/details.js", JS),
    asset!("app/draw.js", "app/draw.js", JS),
    asset!("app/filing.js", "app/filing.js", JS),
    asset!("app/geojson.js", "app/geojson.js", JS),
    asset!("app/sse.js", "app/sse.js", JS),
    asset!("app/live.js", "app/live.js", JS),
    asset!("app/hotline.js", "app/hotline.js", JS),
    asset!("app/notices.js", "app/notices.js", JS),
    asset!("app/blind.js", "app/blind.js", JS),
    asset!("app/docs.js", "app/docs.js", JS),
    asset!("app/docs.css", "app/docs.css", CSS),
    asset!("docs/swagger-ui-bundle.js", "dist/docs/swagger-ui-bundle.js", JS),
    asset!("docs/swagger-ui.css", "dist/docs/swagger-ui.css", CSS),
    asset!("docs/LICENSE-swagger-ui.txt", "dist/docs/LICENSE-swagger-ui.txt", TEXT),
    asset!("vendor/maplibre-gl-csp.js", "dist/vendor/maplibre-gl-csp.js", JS),
    asset!("vendor/maplibre-gl-csp-worker.js", "dist/vendor/maplibre-gl-csp-worker.js", JS),
    asset!("vendor/maplibre-gl.css", "dist/vendor/maplibre-gl.css", CSS),
    asset!("vendor/LICENSE-maplibre-gl.txt", "dist/vendor/LICENSE-maplibre-gl.txt", TEXT),
    asset!("basemap/land.geojson", "dist/basemap/land.geojson", GEOJSON),
    asset!("basemap/borders.geojson", "dist/basemap/borders.geojson", GEOJSON),
];

/// The embedded file at `path` (under `/web/`), if any.
pub fn asset(path: &str) -> Option<&'static Asset> {
    ASSETS.iter().find(|a| a.path == path)
}

fn respond(content_type: &'static str, bytes: &'static [u8]) -> Response {
    let mut resp = (StatusCode::OK, bytes).into_response();
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    // The files change with the binary: revalidate rather than cache stale code.
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    with_security_headers(resp)
}

/// Adds the page's security headers to a response.
pub fn with_security_headers(mut resp: Response) -> Response {
    let h = resp.headers_mut();
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    resp
}

/// `GET /`: the page.
pub async fn index() -> Response {
    respond(HTML, INDEX)
}

/// `GET /docs`: the API reference (Swagger UI over `/v1/openapi.json`).
pub async fn docs() -> Response {
    respond(HTML, DOCS)
}

/// `GET /web/{*path}`: an embedded file, or a JSON 404 naming the path.
pub async fn file(ApiPath(path): ApiPath<String>) -> Response {
    match asset(&path) {
        Some(a) => respond(a.content_type, a.bytes),
        None => with_security_headers(ApiError::NotFound(format!("no file /web/{path}")).into_response()),
    }
}

/// What signs development tokens for the page (`--dev` only).
#[derive(Debug, Clone)]
pub struct DevTokens {
    /// The development key.
    pub key: Arc<DevKey>,
    /// The audience written into the tokens (one the verifier accepts).
    pub audience: String,
}

/// `GET /web/dev-token` query.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DevTokenQuery {
    /// The party the token speaks for.
    pub party: String,
}

/// `GET /web/dev-token` answer.
#[derive(Debug, Serialize, Deserialize)]
pub struct DevTokenDto {
    /// A bearer token for the party, with the ordinary party scopes.
    pub token: String,
    /// Its lifetime in seconds.
    pub expires_in_s: u64,
}

/// Lifetime of a development token handed to the page.
const DEV_TOKEN_TTL_S: u64 = 3600;

/// `GET /web/dev-token?party=NAME`: a development token (`--dev` only; 404 otherwise).
pub async fn dev_token(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<DevTokenQuery>,
) -> Result<Response, ApiError> {
    let Some(dev) = &state.dev_tokens else {
        return Err(ApiError::NotFound(
            "development tokens are handed out only by a server started with --dev".into(),
        ));
    };
    let party =
        deconflict_core::PartyName::new(q.party.trim()).map_err(|e| ApiError::bad(format!("party: {e}")))?;
    let req = TokenRequest {
        sub: party.to_string(),
        scopes: scope::PARTY_DEFAULT.iter().map(|s| (*s).to_owned()).collect(),
        audience: dev.audience.clone(),
        ttl: std::time::Duration::from_secs(DEV_TOKEN_TTL_S),
    };
    let token = dev.key.sign(&req, state.clock.now_unix()).map_err(|e| ApiError::Internal(e.to_string()))?;
    let mut resp = Json(DevTokenDto { token, expires_in_s: DEV_TOKEN_TTL_S }).into_response();
    resp.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(with_security_headers(resp))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every module the page imports is one the server serves.
    #[test]
    fn every_imported_module_is_embedded() {
        let mut checked = 0;
        for a in ASSETS.iter().filter(|a| a.path.starts_with("app/") && a.path.ends_with(".js")) {
            let text = std::str::from_utf8(a.bytes).unwrap_or_default();
            for line in text.lines().filter(|l| l.starts_with("import ")) {
                let Some(spec) = line.split('\'').nth(1) else { continue };
                let target = spec.strip_prefix("./").map(|m| format!("app/{m}"));
                assert!(
                    target.as_deref().and_then(asset).is_some(),
                    "{} imports {spec}, which is not embedded",
                    a.path
                );
                checked += 1;
            }
        }
        assert!(checked > 5, "only {checked} imports found");
    }

    /// Everything the pages load (`src` and `href`) is an embedded file of
    /// this origin, or (links only) another page or document of it.
    #[test]
    fn the_pages_load_only_embedded_files() {
        for (name, page) in [("index.html", INDEX), ("docs.html", DOCS)] {
            let html = std::str::from_utf8(page).unwrap_or_default();
            let mut linked = 0;
            for attr in [" src=\"", " href=\""] {
                for part in html.split(attr).skip(1) {
                    let url = part.split('"').next().unwrap_or_default();
                    // docs.html links (`<a href>`) back to the map and to the document it shows.
                    if name == "docs.html" && attr == " href=\"" && matches!(url, "/" | "/v1/openapi.json") {
                        continue;
                    }
                    let path = url.strip_prefix("/web/");
                    assert!(
                        path.and_then(asset).is_some(),
                        "{name} loads {url}, which is not an embedded file"
                    );
                    linked += 1;
                }
            }
            assert!(linked >= 4, "{name}: {linked}");
        }
    }
}
