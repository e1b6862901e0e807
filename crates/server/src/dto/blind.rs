//! Wire types of blind operations (issue 14): keys and envelopes as base64,
//! tokens as 64 hex digits, times RFC 3339. No place is ever in them.

use std::collections::BTreeMap;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use deconflict_core::PartyName;
use deconflict_core::coord::blind::{
    BlindDraft, BlindLine, BlindMatchView, BlindOp, BlindState, SealedGeometry, TOKEN_LEN,
};
use serde::{Deserialize, Serialize};

use crate::dto::{format_time, parse_time};
use crate::error::ApiError;

/// Bytes from base64, or a 400 naming the field.
pub fn base64_field(field: &str, s: &str) -> Result<Vec<u8>, ApiError> {
    B64.decode(s).map_err(|e| ApiError::bad(format!("{field}: not base64 ({e})")))
}

fn token(field: &str, s: &str) -> Result<[u8; TOKEN_LEN], ApiError> {
    audit::hex::decode_array::<TOKEN_LEN>(s)
        .ok_or_else(|| ApiError::bad(format!("{field}: a token is {} hex digits, not {s:?}", TOKEN_LEN * 2)))
}

/// A line's token parameters: those of its current epoch, which its
/// envelopes bind.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BlindPolicyDto {
    /// H3 resolution of the cells.
    pub cell_resolution: u8,
    /// Time slot length, µs.
    pub slot_micros: i64,
    /// Altitude band height, m.
    pub band_m: f64,
    /// Horizontal separation, m.
    pub buffer_h_m: f64,
    /// Vertical separation, m.
    pub buffer_v_m: f64,
    /// Time separation, µs.
    pub buffer_t_micros: i64,
    /// Largest footprint area of one operation, m².
    pub max_area_m2: f64,
    /// Most tokens of one operation, padding included.
    pub max_tokens: usize,
    /// Smallest padded token set.
    pub min_tokens: usize,
}

impl BlindPolicyDto {
    /// The validated policy.
    ///
    /// # Errors
    /// 400 naming the parameter out of range.
    pub fn to_policy(&self) -> Result<blind::LinePolicy, ApiError> {
        let p = blind::PolicyParams {
            cell_resolution: self.cell_resolution,
            slot_micros: self.slot_micros,
            band_m: self.band_m,
            buffer_h_m: self.buffer_h_m,
            buffer_v_m: self.buffer_v_m,
            buffer_t_micros: self.buffer_t_micros,
            max_area_m2: self.max_area_m2,
            max_tokens: self.max_tokens,
            min_tokens: self.min_tokens,
        };
        blind::LinePolicy::new(p).map_err(|e| match e {
            blind::BlindError::InvalidPolicy { name, value, rule } => {
                ApiError::bad(format!("policy.{name}: {value} is invalid ({rule})"))
            }
            other => ApiError::bad(format!("policy: {other}")),
        })
    }
}

impl From<blind::PolicyParams> for BlindPolicyDto {
    fn from(p: blind::PolicyParams) -> Self {
        BlindPolicyDto {
            cell_resolution: p.cell_resolution,
            slot_micros: p.slot_micros,
            band_m: p.band_m,
            buffer_h_m: p.buffer_h_m,
            buffer_v_m: p.buffer_v_m,
            buffer_t_micros: p.buffer_t_micros,
            max_area_m2: p.max_area_m2,
            max_tokens: p.max_tokens,
            min_tokens: p.min_tokens,
        }
    }
}

/// A member's published key.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct BlindMemberDto {
    /// The party.
    pub party: String,
    /// Its X25519 public key, base64.
    pub public_key: String,
    /// The key's fingerprint, to check out of band.
    pub fingerprint: String,
}

/// `GET /v1/lines/{id}/blind`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct BlindLineDto {
    /// The line.
    pub line: String,
    /// The current key epoch (0 before the first).
    pub epoch: u64,
    /// Who sealed the current epoch's key.
    pub sealed_by: Option<String>,
    /// The members who published a key.
    pub members: Vec<BlindMemberDto>,
    /// Members with an envelope of the current epoch.
    pub keyed: Vec<String>,
    /// The token parameters.
    pub policy: BlindPolicyDto,
}

impl From<&BlindLine> for BlindLineDto {
    fn from(b: &BlindLine) -> Self {
        let fingerprint = |k: &str| {
            B64.decode(k)
                .ok()
                .and_then(|b| blind::keys::PartyPublicKey::from_bytes(&b).ok())
                .map_or_else(String::new, |k| k.fingerprint())
        };
        BlindLineDto {
            line: b.line.to_string(),
            epoch: b.epoch,
            sealed_by: b.sealed_by.as_ref().map(PartyName::to_string),
            members: b
                .members
                .iter()
                .map(|(p, k)| BlindMemberDto {
                    party: p.to_string(),
                    public_key: k.clone(),
                    fingerprint: fingerprint(k),
                })
                .collect(),
            keyed: b.keyed.iter().map(PartyName::to_string).collect(),
            policy: b.policy().params().into(),
        }
    }
}

/// `PUT /v1/lines/{id}/blind/key`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PublishKeyDto {
    /// The caller's X25519 public key, base64 of 32 bytes.
    pub public_key: String,
}

/// `POST /v1/lines/{id}/blind/epochs`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RotateDto {
    /// The new epoch: the current one plus one.
    pub epoch: u64,
    /// The new line key sealed to each member with a key: party → base64 envelope.
    pub envelopes: BTreeMap<String, String>,
    /// The new epoch's token policy, the one the envelopes were sealed
    /// under (the current one to keep it).
    pub policy: BlindPolicyDto,
}

impl RotateDto {
    /// Parties and envelope bytes.
    ///
    /// # Errors
    /// 400 naming the bad party or envelope.
    pub fn envelopes(&self) -> Result<BTreeMap<PartyName, Vec<u8>>, ApiError> {
        self.envelopes
            .iter()
            .map(|(p, e)| {
                let party = PartyName::new(p).map_err(|err| ApiError::bad(format!("envelopes: {err}")))?;
                Ok((party, base64_field(&format!("envelopes.{p}"), e)?))
            })
            .collect()
    }
}

/// `GET /v1/lines/{id}/blind/envelope`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct EnvelopeDto {
    /// Its epoch.
    pub epoch: u64,
    /// Who sealed it.
    pub sender: String,
    /// The sealed line key, base64.
    pub envelope: String,
}

/// A blind operation filed or updated.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BlindFileDto {
    /// The line.
    pub line: String,
    /// The key epoch the tokens were made with.
    pub epoch: u64,
    /// Start of validity, RFC 3339.
    pub time_start: String,
    /// End of validity, RFC 3339.
    pub time_end: String,
    /// The padded token set, each 64 hex digits.
    pub tokens: Vec<String>,
    /// OVNs of conflicting blind operations the caller shows awareness of.
    #[serde(default)]
    pub keys: Vec<String>,
}

impl BlindFileDto {
    /// The draft.
    ///
    /// # Errors
    /// 400 naming the field.
    pub fn draft(&self) -> Result<BlindDraft, ApiError> {
        let time = |f: &str, s: &str| {
            parse_time(s).ok_or_else(|| ApiError::bad(format!("{f}: not RFC 3339: {s:?}")))
        };
        Ok(BlindDraft {
            epoch: self.epoch,
            start: time("time_start", &self.time_start)?,
            end: time("time_end", &self.time_end)?,
            tokens: self
                .tokens
                .iter()
                .enumerate()
                .map(|(i, t)| token(&format!("tokens[{i}]"), t))
                .collect::<Result<_, _>>()?,
            keys: self.keys.clone(),
        })
    }
}

/// One match as the caller sees it.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct BlindMatchDto {
    /// The caller's operation (empty in a refusal: nothing was filed).
    pub operation: String,
    /// The other operation.
    pub other_operation: String,
    /// Its owner.
    pub other_party: String,
    /// The caller's own tokens that matched (hex); decode them locally.
    pub my_tokens: Vec<String>,
    /// When it was found.
    pub at: String,
}

impl From<&BlindMatchView> for BlindMatchDto {
    fn from(m: &BlindMatchView) -> Self {
        BlindMatchDto {
            operation: m.operation.clone(),
            other_operation: m.other_operation.clone(),
            other_party: m.other_party.to_string(),
            my_tokens: m.my_tokens.clone(),
            at: format_time(m.at),
        }
    }
}

/// `GET /v1/blind/matches`.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct BlindMatchesDto {
    /// The matches of the caller's operations.
    pub matches: Vec<BlindMatchDto>,
}

/// A blind operation as its owner sees it.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct BlindOperationDto {
    /// Its id.
    pub id: String,
    /// Its line.
    pub line: String,
    /// Its key epoch.
    pub epoch: u64,
    /// `active` or `ended`.
    pub state: String,
    /// Start of validity.
    pub time_start: String,
    /// End of validity.
    pub time_end: String,
    /// Its version key (give it to a party that must show awareness of it).
    pub ovn: String,
    /// Bumped by each change.
    pub version: u64,
    /// How many tokens it published (padding included).
    pub token_count: usize,
    /// The matches found when it was filed (empty in listings).
    pub matches: Vec<BlindMatchDto>,
}

impl BlindOperationDto {
    /// The view of `op` with `matches`.
    pub fn new(op: &BlindOp, matches: &[BlindMatchView]) -> Self {
        BlindOperationDto {
            id: op.id.clone(),
            line: op.line.to_string(),
            epoch: op.epoch,
            state: match op.state {
                BlindState::Active => "active",
                BlindState::Ended => "ended",
            }
            .to_owned(),
            time_start: format_time(op.start),
            time_end: format_time(op.end),
            ovn: op.ovn.clone(),
            version: op.version,
            token_count: op.tokens.len(),
            matches: matches.iter().map(Into::into).collect(),
        }
    }
}

/// `GET /v1/blind/operations`.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct BlindOperationsDto {
    /// The caller's blind operations.
    pub operations: Vec<BlindOperationDto>,
}

/// 409 of a blind filing: the matched operations whose OVN was not shown.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct BlindConflictDto {
    /// What happened.
    pub message: String,
    /// The matches, with the caller's own matched tokens.
    pub missing: Vec<BlindMatchDto>,
}

/// `POST /v1/blind/sealed`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SendSealedDto {
    /// The line both parties are on.
    pub line: String,
    /// The recipient.
    pub to: String,
    /// The geometry sealed to the recipient, base64 (opaque to the service).
    pub sealed: String,
}

/// Sealed geometry relayed.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SealedDto {
    /// Its id.
    pub id: String,
    /// Sender.
    pub from: String,
    /// Recipient.
    pub to: String,
    /// Line.
    pub line: String,
    /// The sealed bytes, base64.
    pub sealed: String,
    /// When it was sent.
    pub sent_at: String,
}

impl From<&SealedGeometry> for SealedDto {
    fn from(g: &SealedGeometry) -> Self {
        SealedDto {
            id: g.id.clone(),
            from: g.from.to_string(),
            to: g.to.to_string(),
            line: g.line.to_string(),
            sealed: g.sealed.clone(),
            sent_at: format_time(g.sent_at),
        }
    }
}

/// `GET /v1/blind/sealed`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SealedInboxDto {
    /// Sealed geometry relayed to the caller.
    pub sealed: Vec<SealedDto>,
}
