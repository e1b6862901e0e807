//! What a caller may do beyond acting on its own data.
//!
//! Roles are decided once, at the edge, from the caller's credentials (the
//! server maps token scopes to roles in one function) and travel in
//! [`crate::Ctx`]; the rules that need them ask [`Roles::has`] instead of
//! taking boolean flags.

/// One privilege.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// May set an operational intent Nonconforming or Contingent (F3548
    /// `utm.conformance_monitoring_sa`).
    ConformanceMonitor,
    /// Administers the service: registers parties, creates lines, reads every
    /// line and its messages, changes any party's webhook.
    Operator,
    /// Reads every party's entries of the audit log.
    Auditor,
    /// Declares the availability of any USS (F3548 `utm.availability_arbitration`).
    Arbitrator,
}

impl Role {
    fn bit(self) -> u8 {
        match self {
            Role::ConformanceMonitor => 1,
            Role::Operator => 2,
            Role::Auditor => 4,
            Role::Arbitrator => 8,
        }
    }
}

/// A set of roles; the default is none (an ordinary party).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Roles(u8);

impl Roles {
    /// No role.
    pub const NONE: Roles = Roles(0);

    /// The same set with `role` added.
    #[must_use]
    pub fn with(self, role: Role) -> Self {
        Self(self.0 | role.bit())
    }

    /// Whether `role` is in the set.
    pub fn has(self, role: Role) -> bool {
        self.0 & role.bit() != 0
    }
}

impl FromIterator<Role> for Roles {
    fn from_iter<I: IntoIterator<Item = Role>>(iter: I) -> Self {
        iter.into_iter().fold(Roles::NONE, Roles::with)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sets() {
        let r: Roles = [Role::Operator, Role::Auditor].into_iter().collect();
        assert!(r.has(Role::Operator) && r.has(Role::Auditor));
        assert!(!r.has(Role::Arbitrator) && !r.has(Role::ConformanceMonitor));
        assert!(!Roles::default().has(Role::Operator));
    }
}
