//! Wire types of the native operations API (`/v1/operations`): what a party
//! may see of operations under the need-to-know rule
//! (`deconflict_core::visibility`). There is no OVN field, and `purpose` is
//! only ever filled for the caller's own operations.

use deconflict_core::visibility::{IntentDetails, View, VisibleOperation, VisiblePart};
use serde::{Deserialize, Serialize};

use crate::dto::geometry::LatLngDto;
use crate::dto::{Bounds, Volume4dDto, format_time};
use crate::error::ApiError;

/// `POST /v1/operations/query` body.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QueryOperationsDto {
    /// The area to search; missing altitudes and times are unbounded.
    pub area: Option<Volume4dDto>,
}

impl QueryOperationsDto {
    /// The validated area.
    ///
    /// # Errors
    /// 400 when missing or invalid, naming the field.
    pub fn area(&self) -> Result<geom::Volume4D, ApiError> {
        self.area
            .as_ref()
            .ok_or_else(|| ApiError::bad("area is required"))
            .and_then(|a| a.to_volume("area", Bounds::Open))
    }
}

/// `PUT /v1/operations/{id}/details` body. Both fields default to empty;
/// the call replaces whatever was set before.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DetailsDto {
    /// Free text, for the owner only (at most 2 KiB).
    #[serde(default)]
    pub purpose: String,
    /// How to reach the operator (at most 256 characters), shown to the
    /// parties whose airspace the operation shares.
    #[serde(default)]
    pub contact: String,
}

impl From<DetailsDto> for IntentDetails {
    fn from(d: DetailsDto) -> Self {
        IntentDetails { purpose: d.purpose, contact: d.contact }
    }
}

/// The part of another party's volume inside one of the caller's volumes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PartDto {
    /// Outer rings of the horizontal intersection (no closing vertex,
    /// great-circle edges); empty when the footprints only touch.
    pub polygons: Vec<Vec<LatLngDto>>,
    /// Lower bound of the altitude overlap, metres above the WGS84 ellipsoid.
    pub altitude_lower_m: f64,
    /// Upper bound of the altitude overlap, metres above the WGS84 ellipsoid.
    pub altitude_upper_m: f64,
    /// Start of the time overlap (RFC 3339, inclusive).
    pub time_start: String,
    /// End of the time overlap (RFC 3339, exclusive).
    pub time_end: String,
}

impl PartDto {
    fn new(p: &VisiblePart) -> Self {
        Self {
            polygons: p
                .polygons
                .iter()
                .map(|ring| ring.iter().map(|v| LatLngDto { lat: v.lat(), lng: v.lng() }).collect())
                .collect(),
            altitude_lower_m: p.altitude.lower(),
            altitude_upper_m: p.altitude.upper(),
            time_start: format_time(p.time.start()),
            time_end: format_time(p.time.end()),
        }
    }
}

/// One operation as the caller may see it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OperationDto {
    /// The operational intent id.
    pub id: String,
    /// Who filed it.
    pub manager: String,
    /// F3548 state.
    pub state: String,
    /// Whether it is the caller's own.
    pub own: bool,
    /// The contact channel, `null` when none was set.
    pub contact: Option<String>,
    /// Own operations only: the purpose (`null` when none was set). Absent
    /// for other parties' operations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purpose: Option<Option<String>>,
    /// Own operations only: every volume, in full.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volumes: Option<Vec<Volume4dDto>>,
    /// Other parties' operations only: the parts in the caller's airspace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parts: Option<Vec<PartDto>>,
}

impl OperationDto {
    /// The wire form of a visible operation.
    pub fn new(op: &VisibleOperation) -> Self {
        let (purpose, volumes, parts) = match &op.view {
            View::Own { volumes, purpose } => {
                (Some(purpose.clone()), Some(volumes.iter().map(Volume4dDto::from_volume).collect()), None)
            }
            View::Other { parts } => (None, None, Some(parts.iter().map(PartDto::new).collect())),
        };
        Self {
            id: op.id.to_string(),
            manager: op.party.to_string(),
            state: op.state.as_str().to_owned(),
            own: op.own(),
            contact: op.contact.clone(),
            purpose,
            volumes,
            parts,
        }
    }
}

/// `POST /v1/operations/query` answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OperationsDto {
    /// The operations the caller may see, by id.
    pub operations: Vec<OperationDto>,
}
