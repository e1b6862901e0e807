//! Wire types (DTOs): the JSON the API speaks, kept apart from the domain
//! types, with conversions that validate on the way in.

pub mod coord;
pub mod events;
pub mod geometry;
pub mod hotline;
pub mod live;
pub mod native;
pub mod scd;

pub use geometry::{Bounds, TimeDto, Volume4dDto, format_time, parse_time};
