//! The standard message templates: each names its required and optional
//! fields and writes the standard text from them (the sender's own text
//! becomes the remarks).

use std::collections::BTreeMap;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A standard message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Template {
    /// "INTENT TO OPERATE": `what`, `when`; optional `where`.
    IntentToOperate,
    /// "REQUEST TO VACATE": `where`, `until`; optional `reason`.
    RequestToVacate,
    /// "EMERGENCY ASSISTANCE": `nature`; optional `position`.
    EmergencyAssistance,
}

/// A template name that is none of [`Template::ALL`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("template {0:?} is not one of intent_to_operate, request_to_vacate, emergency_assistance")]
pub struct UnknownTemplate(pub String);

/// Why a template's fields cannot be filled in.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    /// A field the template does not have.
    #[error("fields.{field} is not a field of template {template} (fields: {fields})")]
    Unknown {
        /// The field given.
        field: String,
        /// The template.
        template: &'static str,
        /// Its fields, comma-separated.
        fields: String,
    },
    /// A required field is missing or blank.
    #[error("template {template} needs fields.{field}")]
    Missing {
        /// The template.
        template: &'static str,
        /// The field.
        field: &'static str,
    },
}

impl Template {
    /// Every template.
    pub const ALL: [Template; 3] =
        [Template::IntentToOperate, Template::RequestToVacate, Template::EmergencyAssistance];

    /// Its name in records and on the wire.
    pub fn name(self) -> &'static str {
        match self {
            Template::IntentToOperate => "intent_to_operate",
            Template::RequestToVacate => "request_to_vacate",
            Template::EmergencyAssistance => "emergency_assistance",
        }
    }

    /// The fields it must have.
    pub fn required(self) -> &'static [&'static str] {
        match self {
            Template::IntentToOperate => &["what", "when"],
            Template::RequestToVacate => &["where", "until"],
            Template::EmergencyAssistance => &["nature"],
        }
    }

    /// The fields it may have.
    pub fn optional(self) -> &'static [&'static str] {
        match self {
            Template::IntentToOperate => &["where"],
            Template::RequestToVacate => &["reason"],
            Template::EmergencyAssistance => &["position"],
        }
    }

    /// The standard text of `sender`'s message with `fields`, then `remarks`.
    ///
    /// # Errors
    /// [`TemplateError`] naming an unknown field or a missing required one.
    pub fn fill(
        self,
        fields: &BTreeMap<String, String>,
        sender: &str,
        remarks: &str,
    ) -> Result<String, TemplateError> {
        let known = |k: &str| self.required().contains(&k) || self.optional().contains(&k);
        if let Some(k) = fields.keys().find(|k| !known(k)) {
            return Err(TemplateError::Unknown {
                field: k.clone(),
                template: self.name(),
                fields: [self.required(), self.optional()].concat().join(", "),
            });
        }
        let get = |k: &str| fields.get(k).map(|v| v.trim()).filter(|v| !v.is_empty());
        for field in self.required() {
            if get(field).is_none() {
                return Err(TemplateError::Missing { template: self.name(), field });
            }
        }
        let req = |k: &str| get(k).unwrap_or_default();
        let mut text = match self {
            Template::IntentToOperate => format!(
                "INTENT TO OPERATE. {sender} intends to operate: {}. When: {}.",
                req("what"),
                req("when")
            ),
            Template::RequestToVacate => format!(
                "REQUEST TO VACATE. {sender} requests that {} be vacated until {}.",
                req("where"),
                req("until")
            ),
            Template::EmergencyAssistance => {
                format!("EMERGENCY ASSISTANCE. {sender} requests immediate assistance: {}.", req("nature"))
            }
        };
        // Each optional field given follows as " Field: value." ("where" as " Where: ...").
        for field in self.optional() {
            if let Some(value) = get(field) {
                let (first, rest) = field.split_at(1);
                text.push_str(&format!(" {}{rest}: {value}.", first.to_ascii_uppercase()));
            }
        }
        if !remarks.trim().is_empty() {
            text.push_str(" Remarks: ");
            text.push_str(remarks.trim());
        }
        Ok(text)
    }
}

impl FromStr for Template {
    type Err = UnknownTemplate;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Template::ALL.into_iter().find(|t| t.name() == s).ok_or_else(|| UnknownTemplate(s.to_owned()))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn fields(kv: &[(&str, &str)]) -> BTreeMap<String, String> {
        kv.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn names_parse_back_and_match_the_stored_form() {
        for t in Template::ALL {
            assert_eq!(t.name().parse::<Template>().unwrap(), t);
            assert_eq!(serde_json::to_string(&t).unwrap(), format!("\"{}\"", t.name()));
        }
        let err = "bogus".parse::<Template>().unwrap_err().to_string();
        assert!(err.contains("bogus") && err.contains("request_to_vacate"), "{err}");
    }

    #[test]
    fn fields_are_checked_and_filled() {
        let t = Template::RequestToVacate;
        let err = t.fill(&fields(&[("where", "grid 12")]), "alpha", "").unwrap_err();
        assert_eq!(err.to_string(), "template request_to_vacate needs fields.until");
        let err =
            t.fill(&fields(&[("where", "a"), ("until", "b"), ("colour", "c")]), "alpha", "").unwrap_err();
        assert!(
            err.to_string().contains("fields.colour") && err.to_string().contains("where, until, reason")
        );
        let err = t.fill(&fields(&[("where", "a"), ("until", "  ")]), "alpha", "").unwrap_err();
        assert!(matches!(err, TemplateError::Missing { field: "until", .. }), "blank is missing");
        assert_eq!(
            t.fill(
                &fields(&[("where", "grid 12"), ("until", "1400Z"), ("reason", "live firing")]),
                "alpha",
                ""
            )
            .unwrap(),
            "REQUEST TO VACATE. alpha requests that grid 12 be vacated until 1400Z. Reason: live firing."
        );
        assert_eq!(
            Template::IntentToOperate
                .fill(&fields(&[("what", "survey"), ("when", "now")]), "bravo", " two drones ")
                .unwrap(),
            "INTENT TO OPERATE. bravo intends to operate: survey. When: now. Remarks: two drones"
        );
    }
}
