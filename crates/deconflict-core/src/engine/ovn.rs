//! New OVNs and subscription versions.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use geom::Time;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::EngineError;
use crate::ids::{EntityId, Ovn};

/// A fresh OVN: URL-safe base64 of SHA-256 over a random salt, the id and the time.
/// With `requested_suffix` (the InterUSS extension) it is `{id}_{suffix}`, where the
/// suffix must pass [`check_suffix`].
pub(super) fn new_ovn(
    id: EntityId,
    now: Time,
    requested_suffix: Option<&str>,
    skew_us: i64,
) -> Result<Ovn, EngineError> {
    let text = match requested_suffix {
        Some(suffix) => {
            check_suffix(suffix, now, skew_us)?;
            format!("{id}_{suffix}")
        }
        None => {
            let salt: [u8; 16] = rand::random();
            let mut h = Sha256::new();
            h.update(salt);
            h.update(id.as_uuid().as_bytes());
            h.update(now.as_micros().to_le_bytes());
            URL_SAFE_NO_PAD.encode(h.finalize())
        }
    };
    Ovn::parse(&text).map_err(|e| EngineError::BadRequest(e.to_string()))
}

/// 400 unless `suffix` is a UUIDv7 whose timestamp is within `skew_us` of
/// `now`. Checked before anything is read, so an invalid suffix is a 400
/// whatever exists under the id (as the InterUSS DSS answers).
pub(super) fn check_suffix(suffix: &str, now: Time, skew_us: i64) -> Result<(), EngineError> {
    let bad = |why: &str| EngineError::BadRequest(format!("requested_ovn_suffix: {why}"));
    let uuid = Uuid::try_parse(suffix).map_err(|_| bad("not a UUID"))?;
    if uuid.get_version_num() != 7 {
        return Err(bad("not a version-7 UUID"));
    }
    let ts = uuid.get_timestamp().ok_or_else(|| bad("no timestamp"))?;
    let (secs, nanos) = ts.to_unix();
    let micros = i64::try_from(secs)
        .ok()
        .and_then(|s| s.checked_mul(1_000_000))
        .map(|us| us + i64::from(nanos / 1_000))
        .ok_or_else(|| bad("timestamp out of range"))?;
    if (micros - now.as_micros()).abs() > skew_us {
        return Err(bad("its timestamp is more than 5 minutes from the server clock"));
    }
    Ok(())
}

/// A new subscription or availability version: the write time in µs, base 32,
/// strictly greater than the previous one.
pub(super) fn new_version(now: Time, previous: Option<&str>) -> String {
    let prev = previous.and_then(|p| u64::from_str_radix(p, 32).ok()).unwrap_or(0);
    let t = u64::try_from(now.as_micros()).unwrap_or(0).max(prev + 1);
    to_base32(t)
}

fn to_base32(mut n: u64) -> String {
    const DIGITS: &[u8; 32] = b"0123456789abcdefghijklmnopqrstuv";
    let mut out = Vec::with_capacity(13);
    loop {
        out.push(DIGITS[(n % 32) as usize]);
        n /= 32;
        if n == 0 {
            break;
        }
    }
    out.reverse();
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn versions_increase_even_within_one_microsecond() {
        let now = Time::from_micros(1_700_000_000_000_000);
        let a = new_version(now, None);
        let b = new_version(now, Some(&a));
        assert_ne!(a, b);
        assert!(u64::from_str_radix(&b, 32).unwrap() > u64::from_str_radix(&a, 32).unwrap());
    }

    #[test]
    fn suffix_must_be_recent_uuid_v7() {
        let id = EntityId::random();
        let now_us = 1_700_000_000_000_000i64;
        let now = Time::from_micros(now_us);
        let ts = uuid::Timestamp::from_unix(uuid::NoContext, (now_us / 1_000_000) as u64, 0);
        let v7 = Uuid::new_v7(ts).to_string();
        let ovn = new_ovn(id, now, Some(&v7), 300_000_000).unwrap();
        assert_eq!(ovn.as_str(), format!("{id}_{v7}"));
        let later = Time::from_micros(now_us + 600_000_000);
        assert!(new_ovn(id, later, Some(&v7), 300_000_000).is_err());
        assert!(new_ovn(id, now, Some(&Uuid::new_v4().to_string()), 300_000_000).is_err());
        let plain = new_ovn(id, now, None, 0).unwrap();
        assert_eq!(plain.as_str().len(), 43);
    }
}
