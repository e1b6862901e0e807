//! Validated identifiers and opaque tokens of the strategic model.
//!
//! Every id is a newtype with a validating constructor, so a value of one of these
//! types is always well formed: `EntityId::parse("not-a-uuid")` fails instead of
//! travelling through the system as a bare string.

use std::fmt;

use uuid::Uuid;

/// Why a textual identifier was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    /// Not a UUID version 4 in the canonical hyphenated form F3548 requires.
    #[error("`{0}` is not a version-4 UUID (xxxxxxxx-xxxx-4xxx-[89ab]xxx-xxxxxxxxxxxx)")]
    NotUuidV4(String),
    /// An OVN must be 16 to 128 characters long.
    #[error(
        "OVN must be 16 to 128 characters from [A-Za-z0-9._~-], got {0} characters or a character outside that set"
    )]
    BadOvn(usize),
    /// A party name (the token `sub`) must be non-empty and printable.
    #[error("party name must be 1 to 256 printable characters")]
    BadParty,
    /// A URL a party gives (USS base URL, webhook) breaks a rule of [`check_url`].
    #[error("URL `{0}` {1}")]
    BadBaseUrl(String, &'static str),
}

/// Parses the canonical lower- or upper-case hyphenated form of a version-4 UUID
/// with an RFC 4122 variant, as the F3548 `EntityID` pattern demands.
fn parse_uuid_v4(s: &str) -> Result<Uuid, IdError> {
    let bad = || IdError::NotUuidV4(s.chars().take(64).collect());
    if s.len() != 36 {
        return Err(bad());
    }
    let uuid = Uuid::try_parse(s).map_err(|_| bad())?;
    let variant_ok = matches!(s.as_bytes()[19], b'8' | b'9' | b'a' | b'b' | b'A' | b'B');
    if uuid.get_version_num() != 4 || !variant_ok {
        return Err(bad());
    }
    Ok(uuid)
}

macro_rules! uuid_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(Uuid);

        impl $name {
            /// Parses a version-4 UUID in canonical form.
            ///
            /// # Errors
            /// [`IdError::NotUuidV4`] for anything else.
            pub fn parse(s: &str) -> Result<Self, IdError> {
                parse_uuid_v4(s).map(Self)
            }

            /// A fresh random id.
            pub fn random() -> Self {
                Self(Uuid::new_v4())
            }

            /// The underlying UUID.
            pub fn as_uuid(&self) -> Uuid {
                self.0
            }

            /// Rebuilds an id from storage; the caller vouches it was valid when stored.
            pub fn from_uuid(uuid: Uuid) -> Self {
                Self(uuid)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.hyphenated().fmt(f)
            }
        }

        /// Stored and sent in canonical form; reading one (a record body, a
        /// path segment) checks it again.
        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                Self::parse(&s).map_err(serde::de::Error::custom)
            }
        }
    };
}

uuid_id!(
    /// Id of an operational intent or constraint reference (F3548 `EntityID`).
    EntityId
);
uuid_id!(
    /// Id of a subscription (F3548 `SubscriptionID`).
    SubscriptionId
);

/// Opaque version token of an operational intent or constraint (F3548 `EntityOVN`),
/// 16 to 128 characters from the URL-safe set `[A-Za-z0-9._~-]`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Ovn(String);

impl Ovn {
    /// # Errors
    /// [`IdError::BadOvn`] when the length or a character is out of bounds.
    pub fn parse(s: &str) -> Result<Self, IdError> {
        let ok_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '~' | '-');
        if (16..=128).contains(&s.len()) && s.chars().all(ok_char) {
            Ok(Self(s.to_owned()))
        } else {
            Err(IdError::BadOvn(s.chars().count()))
        }
    }

    /// The token as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Ovn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The party that owns an entity: the `sub` claim of the token that wrote it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PartyName(String);

impl PartyName {
    /// # Errors
    /// [`IdError::BadParty`] when empty, over 256 characters or containing control characters.
    pub fn new(s: &str) -> Result<Self, IdError> {
        if s.is_empty() || s.chars().count() > 256 || s.chars().any(char::is_control) {
            return Err(IdError::BadParty);
        }
        Ok(Self(s.to_owned()))
    }

    /// The name as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The name the service itself acts and sends under
    /// ([`crate::engine::events::SERVICE_ACTOR`]); no party may take it.
    pub fn service() -> Self {
        Self(crate::engine::events::SERVICE_ACTOR.to_owned())
    }

    /// Whether this is [`PartyName::service`].
    pub fn is_service(&self) -> bool {
        self.0 == crate::engine::events::SERVICE_ACTOR
    }
}

impl fmt::Display for PartyName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Record bodies (`crate::coord`) store a party name as its text; reading one
/// back checks it again.
impl serde::Serialize for PartyName {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> serde::Deserialize<'de> for PartyName {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        PartyName::new(&s).map_err(serde::de::Error::custom)
    }
}

/// A path segment holding an OVN is checked as it is read.
impl<'de> serde::Deserialize<'de> for Ovn {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Ovn::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// The rules every URL a party gives the service obeys (USS base URLs,
/// webhooks): absolute `https` (or `http` when allowed), a host, at most 2,048
/// characters, and only printable ASCII — international names in punycode, no
/// white space, control or invisible characters that could make two URLs look
/// alike.
///
/// # Errors
/// [`IdError::BadBaseUrl`] naming the rule the URL breaks.
pub fn check_url(s: &str, allow_http: bool) -> Result<(), IdError> {
    let bad = |why| Err(IdError::BadBaseUrl(s.chars().take(128).collect(), why));
    let rest = if let Some(rest) = s.strip_prefix("https://") {
        rest
    } else if let Some(rest) = s.strip_prefix("http://") {
        if !allow_http {
            return bad("must use https (this server does not allow plain http URLs)");
        }
        rest
    } else {
        return bad("must start with https://");
    };
    if s.len() > 2048 {
        return bad("longer than 2048 characters");
    }
    if let Some(c) = s.chars().find(|c| !c.is_ascii_graphic()) {
        return Err(IdError::BadBaseUrl(
            s.chars().take(128).collect(),
            if c.is_whitespace() || c.is_control() {
                "contains white space or control characters"
            } else {
                "contains a character that is not printable ASCII (write international names in punycode, xn--...)"
            },
        ));
    }
    if rest.is_empty() || rest.starts_with('/') {
        return bad("has no host");
    }
    Ok(())
}

/// Base URL of a USS (or command post) endpoint: absolute, `https` unless plain
/// `http` is allowed by configuration, stored without a trailing `/`, at most 2,048 characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UssBaseUrl(String);

impl UssBaseUrl {
    /// # Errors
    /// [`IdError::BadBaseUrl`] naming the rule the URL breaks.
    /// One trailing `/` is accepted and dropped (F3548 says a base URL has
    /// none, so that `/uss/v1/...` can be appended; the InterUSS DSS accepts
    /// one and so do we).
    pub fn parse(s: &str, allow_http: bool) -> Result<Self, IdError> {
        check_url(s, allow_http)?;
        let s = s.strip_suffix('/').unwrap_or(s);
        if s.ends_with('/') {
            return Err(IdError::BadBaseUrl(s.chars().take(128).collect(), "ends with more than one '/'"));
        }
        Ok(Self(s.to_owned()))
    }

    /// The URL as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for UssBaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn entity_id_accepts_only_v4() {
        assert!(EntityId::parse("2f8343be-6482-4d1b-a474-16847e01af1e").is_ok());
        // version 1
        assert!(EntityId::parse("2f8343be-6482-1d1b-a474-16847e01af1e").is_err());
        // variant c
        assert!(EntityId::parse("2f8343be-6482-4d1b-c474-16847e01af1e").is_err());
        // no hyphens
        assert!(EntityId::parse("2f8343be64824d1ba47416847e01af1e").is_err());
        assert!(EntityId::parse("").is_err());
    }

    #[test]
    fn ovn_bounds() {
        assert!(Ovn::parse("short").is_err());
        assert!(Ovn::parse(&"a".repeat(16)).is_ok());
        assert!(Ovn::parse(&"a".repeat(129)).is_err());
        assert!(Ovn::parse("abcdefghijklmnop/").is_err());
    }

    #[test]
    fn base_urls() {
        assert!(UssBaseUrl::parse("https://uss.example", false).is_ok());
        assert_eq!(UssBaseUrl::parse("https://uss.example/", false).unwrap().as_str(), "https://uss.example");
        assert!(UssBaseUrl::parse("https://uss.example//", false).is_err());
        assert!(UssBaseUrl::parse("http://uss.example", false).is_err());
        assert!(UssBaseUrl::parse("http://uss.example", true).is_ok());
        assert!(UssBaseUrl::parse("ftp://uss.example", true).is_err());
        assert!(UssBaseUrl::parse("https://", true).is_err());
    }

    #[test]
    fn urls_are_printable_ascii() {
        // A zero-width space, a non-ASCII host, a tab, a DEL.
        for url in [
            "http://\u{fc}\u{f1}\u{ee}\u{200b}.example",
            "https://b\u{fc}cher.example",
            "https://a\tb",
            "https://a\u{7f}b",
        ] {
            let err = UssBaseUrl::parse(url, true).unwrap_err();
            assert!(matches!(err, IdError::BadBaseUrl(..)), "{url}");
        }
        let err = UssBaseUrl::parse("https://b\u{fc}cher.example", false).unwrap_err().to_string();
        assert!(err.contains("punycode"), "{err}");
        assert!(UssBaseUrl::parse("https://xn--bcher-kva.example", false).is_ok());
        assert!(check_url("https://hooks.example/alpha/", false).is_ok());
    }
}
