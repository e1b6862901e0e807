//! The store conformance suite: one set of checks every [`Store`](crate::Store)
//! backend must pass, so memory, SQLite and PostgreSQL cannot drift apart. A
//! backend's tests call [`store_conformance!`](crate::store_conformance) with
//! an expression that makes a fresh, empty store; each check becomes its own
//! `#[test]`, in a module per area.
//!
//! The checks are written by area, each generic over `&dyn Store`:
//! strategic entities, events and the audit chain, leases, records, and the
//! upgrades from older schemas (which each backend prepares itself, then
//! calls). Also home to the small fixture builders the checks (and
//! backends' own tests) use. Checks panic with a message on failure, like
//! any test.

#![allow(clippy::missing_panics_doc)]

mod events;
mod fixtures;
mod leases;
mod records;
mod strategic;
mod upgrades;

pub use events::*;
pub use fixtures::*;
pub use leases::*;
pub use records::*;
pub use strategic::*;
pub use upgrades::*;

/// Generates the conformance tests on a fresh store made by `$make` (an
/// expression returning something that derefs to a `Store`; it may `return`
/// to skip a test): one `#[test]` per check, in a module per area
/// (`conformance::strategic::intent_round_trip`, ...).
#[macro_export]
macro_rules! store_conformance {
    ($make:expr) => {
        /// The shared store conformance suite ([`deconflict_core::testsuite`]).
        mod conformance {
            #[allow(unused_imports)]
            use super::*;

            $crate::store_conformance!(@area strategic $make;
                intent_round_trip constraint_round_trip subscription_round_trip availability_round_trip
                area_candidates_are_a_superset pole_and_antimeridian_candidates
                uncommitted_writes_are_rolled_back intents_of_subscription
                ended_by_lists_exactly_what_ended usage_is_per_manager_and_live area_writes_lock_and_bump);
            $crate::store_conformance!(@area events $make;
                events_are_sealed_in_order entries_come_back_exactly_as_sealed checkpoints_round_trip
                forgotten_entries_keep_their_links);
            $crate::store_conformance!(@area leases $make; leases_are_exclusive_until_they_expire);
            $crate::store_conformance!(@area records $make;
                records_round_trip_and_lookups record_ids_are_in_byte_order_and_bodies_exact
                records_newest_first_resume_below_the_cursor records_after_is_a_cursor);
        }
    };
    (@area $area:ident $make:expr; $($check:ident)*) => {
        mod $area {
            #[allow(unused_imports)]
            use super::*;

            $(
                #[test]
                fn $check() {
                    let store = $make;
                    $crate::testsuite::$check(&*store);
                }
            )*
        }
    };
}
