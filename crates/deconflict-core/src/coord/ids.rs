//! Identifiers of the coordination records, each a newtype with a validating
//! constructor: a value of one of these types is always well formed. Parties
//! are named by [`crate::PartyName`] (the token `sub`), as everywhere else.

use std::fmt;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Why a coordination identifier was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CoordIdError {
    /// A line id is chosen by the operator from a small character set.
    #[error("line id {0:?} must be 1 to 64 characters of A-Z a-z 0-9 . _ -")]
    BadLineId(String),
    /// Messages and checks are named by the UUIDv7 the service gave them.
    #[error("{what} {value:?} is not a UUIDv7 (xxxxxxxx-xxxx-7xxx-xxxx-xxxxxxxxxxxx)")]
    NotUuidV7 {
        /// Which kind of id.
        what: &'static str,
        /// What was given (at most 64 characters of it).
        value: String,
    },
}

/// A line between command posts, named by the operator: 1 to 64 characters
/// of `[A-Za-z0-9._-]`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct LineId(String);

impl LineId {
    /// # Errors
    /// [`CoordIdError::BadLineId`] for anything outside the set or length.
    pub fn parse(s: &str) -> Result<Self, CoordIdError> {
        let ok = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-');
        if s.is_empty() || s.len() > 64 || !s.chars().all(ok) {
            return Err(CoordIdError::BadLineId(s.chars().take(64).collect()));
        }
        Ok(Self(s.to_owned()))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for LineId {
    type Error = CoordIdError;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<LineId> for String {
    fn from(id: LineId) -> Self {
        id.0
    }
}

impl fmt::Display for LineId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Parses the canonical hyphenated form of a version-7 UUID (either case).
fn parse_v7(what: &'static str, s: &str) -> Result<Uuid, CoordIdError> {
    let bad = || CoordIdError::NotUuidV7 { what, value: s.chars().take(64).collect() };
    if s.len() != 36 {
        return Err(bad());
    }
    let uuid = Uuid::try_parse(s).map_err(|_| bad())?;
    if uuid.get_version_num() != 7 {
        return Err(bad());
    }
    Ok(uuid)
}

macro_rules! v7_id {
    ($(#[$doc:meta])* $name:ident, $what:literal) => {
        $(#[$doc])*
        ///
        /// A UUIDv7 the service made (monotonic within a process), so ids
        /// sort by creation time; shown in lower-case hyphenated form.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(Uuid);

        impl $name {
            /// A new id, later than every id made before in this process.
            pub(crate) fn new() -> Self {
                Self(Uuid::now_v7())
            }

            /// # Errors
            /// [`CoordIdError::NotUuidV7`] for anything but a canonical UUIDv7.
            pub fn parse(s: &str) -> Result<Self, CoordIdError> {
                parse_v7($what, s).map(Self)
            }
        }

        impl TryFrom<String> for $name {
            type Error = CoordIdError;

            fn try_from(s: String) -> Result<Self, Self::Error> {
                Self::parse(&s)
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> Self {
                id.to_string()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.hyphenated().fmt(f)
            }
        }
    };
}

v7_id!(
    /// A hotline message (the first message of a thread also names the thread).
    MessageId,
    "message id"
);
v7_id!(
    /// A communication check.
    CheckId,
    "check id"
);
v7_id!(
    /// A notice's record (notices are addressed by their intent and recipient).
    NoticeId,
    "notice id"
);

/// A thread is named by its first message.
pub type ThreadId = MessageId;

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn line_ids_are_short_and_plain() {
        assert!(LineId::parse("alpha-bravo_1.2").is_ok());
        for bad in ["", "bad id!", "ü", &"x".repeat(65)] {
            assert!(matches!(LineId::parse(bad), Err(CoordIdError::BadLineId(_))), "{bad:?}");
        }
        assert!(serde_json::from_str::<LineId>("\"a b\"").is_err(), "stored ids are checked too");
    }

    #[test]
    fn message_ids_are_uuid_v7_and_ordered() {
        let (a, b) = (MessageId::new(), MessageId::new());
        assert!(a < b && a.to_string() < b.to_string(), "ids and their text sort by creation");
        assert_eq!(MessageId::parse(&a.to_string()).unwrap(), a);
        assert_eq!(MessageId::parse(&a.to_string().to_uppercase()).unwrap(), a);
        // A version-4 UUID, no hyphens, braces, empty.
        for bad in ["2f8343be-6482-4d1b-a474-16847e01af1e", &a.to_string().replace('-', ""), "", "x"] {
            let err = MessageId::parse(bad).unwrap_err().to_string();
            assert!(err.contains("message id"), "{err}");
        }
        let json = serde_json::to_string(&a).unwrap();
        assert_eq!(serde_json::from_str::<MessageId>(&json).unwrap(), a);
    }
}
