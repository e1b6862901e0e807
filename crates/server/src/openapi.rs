//! The OpenAPI 3.1 document of the native endpoints (everything routed outside
//! `/dss/v1`), generated from the handlers' `#[utoipa::path]` annotations and
//! the DTOs' `ToSchema` derives. Served at `GET /v1/openapi.json` and committed
//! as `docs/openapi-native.json` (a test keeps the two in step; regenerate with
//! `UPDATE_OPENAPI=1 cargo test -p server openapi`).

use axum::Json;
use utoipa::Modify;
use utoipa::OpenApi;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};

use crate::handlers::{blind, events, interuss, lines, messages, notices, operations, ops, parties, tracks};

/// The native API description.
#[derive(Debug, OpenApi)]
#[openapi(
    info(
        title = "deconflict native API",
        version = env!("CARGO_PKG_VERSION"),
        description = "The native endpoints of deconflict (everything outside the F3548 `/dss/v1` API). \
            Authenticated endpoints take `Authorization: Bearer <JWT>`; each security requirement \
            lists the scopes of one accepted alternative. Every refusal is JSON `{\"message\"}` \
            unless said otherwise.",
    ),
    paths(
        openapi_json,
        events::stream,
        events::export,
        events::key,
        parties::list,
        parties::put,
        parties::set_webhook,
        lines::list,
        lines::get,
        lines::put,
        lines::suspend,
        lines::resume,
        lines::heartbeat,
        blind::line,
        blind::publish_key,
        blind::rotate,
        blind::envelope,
        blind::file,
        blind::update,
        blind::end,
        blind::list,
        blind::get,
        blind::matches,
        blind::send_sealed,
        blind::sealed_inbox,
        lines::exercise,
        lines::checks,
        lines::messages,
        messages::send,
        messages::inbox,
        messages::get,
        messages::read,
        messages::ack,
        notices::list,
        notices::ack,
        operations::query,
        operations::get,
        operations::set_details,
        tracks::post,
        tracks::list,
        crate::handlers::alerts::list,
        crate::handlers::alerts::stream,
        interuss::version,
        interuss::validate_oauth,
        interuss::pool,
        interuss::dss_instances,
        interuss::heartbeat,
        ops::healthz,
        ops::metrics,
    ),
    components(schemas(crate::error::ErrorBody, crate::dto::live::TrackView, crate::dto::live::AlertView)),
    modifiers(&BearerScheme),
    tags(
        (name = "events", description = "The change feed (Server-Sent Events)."),
        (name = "audit", description = "The hash-chained, signed audit log."),
        (name = "parties", description = "The party registry."),
        (name = "lines", description = "Lines between command posts."),
        (name = "blind", description = "Blind operations: keys relayed, tokens matched, no place ever seen."),
        (name = "messages", description = "The hotline."),
        (name = "notices", description = "Advance notice of operations."),
        (name = "operations", description = "Need-to-know view of operations."),
        (name = "tracks", description = "Live tracks."),
        (name = "alerts", description = "Tactical alerts."),
        (name = "aux", description = "InterUSS auxiliary endpoints."),
        (name = "ops", description = "Health and metrics."),
        (name = "openapi", description = "This document."),
    ),
)]
pub struct NativeApi;

/// Adds the `bearer` security scheme (a JWT in the `Authorization` header).
#[derive(Debug)]
struct BearerScheme;

impl Modify for BearerScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some("RS256 or ES256 JWT; scopes in the space-separated `scope` claim."))
                    .build(),
            ),
        );
    }
}

/// The document as committed: pretty-printed JSON with a final newline.
///
/// # Panics
/// Never in practice: the document is plain data that always serialises.
#[must_use]
pub fn document() -> String {
    #[allow(clippy::expect_used)]
    let mut text = NativeApi::openapi().to_pretty_json().expect("the OpenAPI document serialises");
    text.push('\n');
    text
}

/// `GET /v1/openapi.json`: this OpenAPI document (no token needed).
#[utoipa::path(get, path = "/v1/openapi.json", tag = "openapi", operation_id = "openapi_json",
    responses((status = 200, description = "The OpenAPI 3.1 document.", body = serde_json::Value)))]
pub async fn openapi_json() -> Json<utoipa::openapi::OpenApi> {
    Json(NativeApi::openapi())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::collections::BTreeSet;
    use std::path::PathBuf;

    use super::*;

    fn committed_path() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/openapi-native.json")
    }

    #[test]
    fn openapi_document_matches_the_committed_file() {
        let generated = document();
        let path = committed_path();
        if std::env::var_os("UPDATE_OPENAPI").is_some() {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, &generated).unwrap();
            return;
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            committed == generated,
            "docs/openapi-native.json is not what the code generates; regenerate it with \
             `UPDATE_OPENAPI=1 cargo test -p server openapi` and commit it"
        );
    }

    /// `(METHOD, path)` of every route in `router()` outside `/dss/v1`, read
    /// from the source of `lib.rs`: each `.route("path", method(..)...)` call
    /// up to its closing parenthesis (routes built with `format!` are F3548).
    fn native_routes() -> BTreeSet<(String, String)> {
        let src = include_str!("lib.rs");
        let mut out = BTreeSet::new();
        for chunk in src.split(".route(").skip(1) {
            let Some(rest) = chunk.trim_start().strip_prefix('"') else { continue };
            let (path, rest) = rest.split_once('"').unwrap();
            if path.starts_with("/dss/") {
                continue; // the F3548 API, described by the standard
            }
            if path == "/" || path == "/docs" || path.starts_with("/web/") {
                continue; // the web pages, their files and the development sign-in, not the API
            }
            let mut depth = 1;
            let end = rest
                .char_indices()
                .find(|&(_, c)| {
                    depth += match c {
                        '(' => 1,
                        ')' => -1,
                        _ => 0,
                    };
                    depth == 0
                })
                .map_or(rest.len(), |(i, _)| i);
            let handlers = &rest[..end];
            for m in ["get", "post", "put", "delete", "patch"] {
                if handlers.contains(&format!("{m}(")) {
                    out.insert((m.to_uppercase(), path.to_owned()));
                }
            }
        }
        out
    }

    fn documented_routes() -> BTreeSet<(String, String)> {
        let doc = serde_json::to_value(NativeApi::openapi()).unwrap();
        let mut out = BTreeSet::new();
        for (path, item) in doc["paths"].as_object().unwrap() {
            for method in item.as_object().unwrap().keys() {
                out.insert((method.to_uppercase(), path.clone()));
            }
        }
        out
    }

    #[test]
    fn openapi_documents_exactly_the_native_routes() {
        let routed = native_routes();
        assert!(routed.len() > 30, "too few routes parsed from lib.rs: {routed:?}");
        let documented = documented_routes();
        let undocumented: Vec<_> = routed.difference(&documented).collect();
        let unrouted: Vec<_> = documented.difference(&routed).collect();
        assert!(undocumented.is_empty(), "routed but missing from NativeApi: {undocumented:?}");
        assert!(unrouted.is_empty(), "in NativeApi but not routed: {unrouted:?}");
    }

    #[test]
    fn openapi_operation_ids_are_unique_and_refusals_are_described() {
        let doc = serde_json::to_value(NativeApi::openapi()).unwrap();
        let mut ids = BTreeSet::new();
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, op) in item.as_object().unwrap() {
                let id = op["operationId"].as_str().unwrap().to_owned();
                assert!(ids.insert(id.clone()), "duplicate operationId {id}");
                let secured = op.get("security").is_some_and(|s| !s.as_array().unwrap().is_empty());
                let responses = op["responses"].as_object().unwrap();
                assert_eq!(
                    secured,
                    responses.contains_key("401"),
                    "{method} {path}: a secured operation documents 401 and only it"
                );
            }
        }
    }

    #[test]
    fn openapi_track_report_fields_match_the_parser() {
        let doc = serde_json::to_value(NativeApi::openapi()).unwrap();
        let props = doc["components"]["schemas"]["TrackReportDto"]["properties"].as_object().unwrap();
        let documented: BTreeSet<&str> = props.keys().map(String::as_str).collect();
        let parsed: BTreeSet<&str> = crate::handlers::tracks::FIELDS.into_iter().collect();
        assert_eq!(documented, parsed);
    }

    /// Every place `schema` leaves a JSON value untyped (`{}`, or an object
    /// with neither properties nor a value type), following `$ref`s into
    /// `components.schemas` (each once), as `where` paths.
    fn untyped(
        doc: &serde_json::Value,
        schema: &serde_json::Value,
        at: &str,
        seen: &mut BTreeSet<String>,
    ) -> Vec<String> {
        use serde_json::Value;
        let Some(o) = schema.as_object() else { return vec![] };
        if let Some(Value::String(r)) = o.get("$ref") {
            let name = r.trim_start_matches("#/components/schemas/").to_owned();
            if !seen.insert(name.clone()) {
                return vec![];
            }
            return untyped(doc, &doc["components"]["schemas"][&name], &name, seen);
        }
        let typed_by = ["type", "oneOf", "anyOf", "allOf", "enum", "const"];
        if !typed_by.iter().any(|k| o.contains_key(*k)) {
            return vec![at.to_owned()];
        }
        let is_object = o
            .get("type")
            .is_some_and(|t| t == "object" || t.as_array().is_some_and(|a| a.contains(&"object".into())));
        let has_shape =
            o.contains_key("properties") || o.get("additionalProperties").is_some_and(Value::is_object);
        let mut out = if is_object && !has_shape { vec![at.to_owned()] } else { vec![] };
        for key in ["oneOf", "anyOf", "allOf"] {
            for (i, s) in o.get(key).and_then(Value::as_array).into_iter().flatten().enumerate() {
                out.extend(untyped(doc, s, &format!("{at}.{key}[{i}]"), seen));
            }
        }
        for (name, s) in o.get("properties").and_then(Value::as_object).into_iter().flatten() {
            out.extend(untyped(doc, s, &format!("{at}.{name}"), seen));
        }
        for key in ["items", "additionalProperties"] {
            if let Some(s) = o.get(key).filter(|s| s.is_object()) {
                out.extend(untyped(doc, s, &format!("{at}.{key}"), seen));
            }
        }
        out
    }

    #[test]
    fn openapi_native_responses_are_typed() {
        let doc = serde_json::to_value(NativeApi::openapi()).unwrap();
        let mut found = Vec::new();
        for (path, item) in doc["paths"].as_object().unwrap() {
            if path == "/v1/openapi.json" {
                continue; // an OpenAPI 3.1 document: its schema is the specification's own
            }
            for (method, op) in item.as_object().unwrap() {
                for (status, response) in op["responses"].as_object().unwrap() {
                    for (media, content) in response["content"].as_object().into_iter().flatten() {
                        let at = format!("{method} {path} {status} {media}");
                        let mut seen = BTreeSet::new();
                        found.extend(untyped(&doc, &content["schema"], &at, &mut seen));
                    }
                }
            }
        }
        assert!(found.is_empty(), "untyped response schemas: {found:#?}");
        // The check itself finds an untyped body.
        let mut seen = BTreeSet::new();
        assert_eq!(untyped(&doc, &serde_json::json!({}), "x", &mut seen), ["x"]);
        let loose = serde_json::json!({"type": "object", "properties": {"a": {"type": "object"}}});
        assert_eq!(untyped(&doc, &loose, "x", &mut seen), ["x.a"]);
    }
}
