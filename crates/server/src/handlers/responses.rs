//! The refusals the native endpoints share, as OpenAPI response sets that a
//! handler's `responses(...)` lists after its own answers: who may not call
//! and what is not there. Each body is an [`ErrorBody`](crate::error).
//! A handler still lists its own 400, 409 and 429, which say what is checked.

use std::collections::BTreeMap;

use utoipa::IntoResponses;
use utoipa::openapi::{ContentBuilder, Ref, RefOr, Response, ResponseBuilder};

/// The refusal answers `(status, description)`, each with an `ErrorBody`.
fn refusals(entries: &[(u16, &str)]) -> BTreeMap<String, RefOr<Response>> {
    let body = || ContentBuilder::new().schema(Some(Ref::from_schema_name("ErrorBody"))).build();
    entries
        .iter()
        .map(|&(status, description)| {
            let response =
                ResponseBuilder::new().description(description).content("application/json", body());
            (status.to_string(), response.build().into())
        })
        .collect()
}

/// The 401 every authenticated endpoint can answer.
const UNAUTHENTICATED: (u16, &str) = (401, "Missing or invalid bearer token.");

/// Declares one response set per line: a unit type and its refusals.
macro_rules! refusal_sets {
    ($($(#[$doc:meta])* $name:ident = [$($status:literal: $description:literal),*];)*) => {$(
        $(#[$doc])*
        #[derive(Debug)]
        pub struct $name;
        impl IntoResponses for $name {
            fn responses() -> BTreeMap<String, RefOr<Response>> {
                refusals(&[UNAUTHENTICATED, $(($status, $description)),*])
            }
        }
    )*};
}

refusal_sets! {
    /// 401, or 403 without the scope.
    Denied = [403: "The token lacks the scope."];
    /// 401, 403 without `deconflict.admin`.
    AdminOnly = [403: "The token lacks `deconflict.admin`."];
    /// Calls on one line: 400 (the line id, query or body), 401, 403 (scope,
    /// or not a party on the line), 404.
    OnLine = [
        400: "Not a line id, or a bad query or body: the message names the problem.",
        403: "The token lacks the scope, or the caller is not a party on the line.",
        404: "No such line."
    ];
    /// Calls on one message: 400 (the message id or body), 401, 403 (scope,
    /// or neither its sender nor a recipient), 404.
    OnMessage = [
        400: "Not a message id, or a bad body: the message names the problem.",
        403: "The token lacks the scope, or the caller is neither the message's sender nor a recipient.",
        404: "No such message."
    ];
    /// Calls on one operation: 400 (not a UUID, or a bad body), 401, 403
    /// (scope), 404 (absent, or hidden from the caller: the two look alike).
    OnOperation = [
        400: "The id is not a UUID, or a bad body: the message names the problem.",
        403: "The token lacks the scope.",
        404: "No such operation, or not visible to the caller."
    ];
    /// Calls on one of the caller's blind operations: 401, 403 (another's), 404.
    OnBlindOperation = [403: "Not the caller's operation.", 404: "No such operation."];
}
