//! The strategic core of deconflict: the domain model (operational intents,
//! constraints, subscriptions, availability), the engine that applies the
//! ASTM F3548-21 rules to them, and the [`Store`] trait that backends implement.
//!
//! It owns every decision about *who may write what*: the awareness (key) rule,
//! ownership, OVNs, subscriptions and their notification indexes. It knows
//! nothing of HTTP or JSON (the `server` crate maps to and from the wire) and
//! nothing of SQL (the store crates do).
//!
//! Invariants:
//! - No IO here except through [`Store`]; time is passed in ([`engine::Ctx::now`]).
//! - Exact geometry decides; stores only return candidates.
//! - A write either commits whole or leaves the store as it was.

pub mod codec;
pub mod coord;
pub mod engine;
pub mod events;
pub mod ids;
pub mod ledger;
pub mod memory;
pub mod model;
pub mod pool;
pub mod quota;
pub mod records;
pub mod reports;
pub mod retention;
pub mod roles;
pub mod store;
#[cfg(any(test, feature = "testsuite"))]
pub mod testsuite;
pub mod visibility;

pub use engine::{Ctx, Engine, EngineError, Limits};
pub use ids::{EntityId, IdError, Ovn, PartyName, SubscriptionId, UssBaseUrl};
pub use memory::MemoryStore;
pub use roles::{Role, Roles};
pub use store::{Store, StoreError, Tx, TxMode, Usage};
