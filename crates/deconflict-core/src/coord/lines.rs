//! The party registry, lines, suspension and heartbeats.

use geom::Time;

use super::events as ev;
use super::ids::LineId;
use super::model::{Heartbeat, HeartbeatSource, Line, LineState, LineView, Party, Policy, WebhookCursor};
use super::{Coord, bad, emit, kind, load, load_all, plus_s, save};
use crate::Role;
use crate::engine::{Ctx, EngineError};
use crate::events::EventKind;
use crate::ids::PartyName;
use crate::records::RecordKey;
use crate::store::Tx;

/// What the operator sets on a line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineSpec {
    /// Human name.
    pub name: String,
    /// The parties (at least two, each registered).
    pub parties: Vec<PartyName>,
    /// Rules.
    pub policy: Policy,
}

fn check_text(field: &str, s: &str, max: usize) -> Result<(), EngineError> {
    if s.trim().is_empty() {
        return bad(format!("{field} must not be empty"));
    }
    if s.chars().count() > max {
        return bad(format!("{field} is longer than {max} characters"));
    }
    if s.chars().any(char::is_control) {
        return bad(format!("{field} must not contain control characters"));
    }
    Ok(())
}

fn check_party(p: &Party, allow_http: bool) -> Result<(), EngineError> {
    if p.name.is_service() {
        return bad(format!("party name {:?} is the service's own", p.name.as_str()));
    }
    check_text("display_name", &p.display_name, 200)?;
    check_webhook(p.webhook_url.as_deref(), allow_http)
}

fn check_webhook(url: Option<&str>, allow_http: bool) -> Result<(), EngineError> {
    match url {
        Some(url) => crate::ids::check_url(url, allow_http)
            .map_err(|e| EngineError::BadRequest(format!("webhook_url: {e}"))),
        None => Ok(()),
    }
}

/// Stores a line; its record is due at its next communication check.
pub(crate) fn save_line(tx: &mut dyn Tx, line: &Line) -> Result<(), EngineError> {
    save(tx, kind::LINE, line.id.as_str(), line, (None, None), line.next_check)
}

/// 403 unless the caller is the operator.
pub(crate) fn require_operator(ctx: &Ctx, what: &str) -> Result<(), EngineError> {
    if ctx.roles.has(Role::Operator) {
        return Ok(());
    }
    Err(EngineError::Forbidden(format!("only the operator may {what}; {} is a party", ctx.caller)))
}

fn load_line(tx: &mut dyn Tx, id: &LineId) -> Result<Line, EngineError> {
    load(tx, kind::LINE, id.as_str())?.ok_or_else(|| EngineError::NotFound(format!("line {id} not found")))
}

/// The line `id` as `ctx` may read it: any line for the operator, otherwise
/// only a line the caller is on (404 for an unknown line, 403 otherwise).
pub(crate) fn readable_line(tx: &mut dyn Tx, ctx: &Ctx, id: &LineId) -> Result<Line, EngineError> {
    if ctx.roles.has(Role::Operator) {
        return load_line(tx, id);
    }
    line_for(tx, id, &ctx.caller)
}

/// The line `id` if `caller` is on it (404 for an unknown line, 403 otherwise).
pub(crate) fn line_for(tx: &mut dyn Tx, id: &LineId, caller: &PartyName) -> Result<Line, EngineError> {
    let line = load_line(tx, id)?;
    if !line.has(caller) {
        return Err(EngineError::Forbidden(format!("{caller} is not a party on line {id}")));
    }
    Ok(line)
}

/// Every line (at most [`MAX_LIST`](super::MAX_LIST)).
pub(crate) fn all_lines(tx: &mut dyn Tx) -> Result<Vec<Line>, EngineError> {
    load_all(tx, kind::LINE, RecordKey::All)
}

/// Records a sign of life of `party` on `line_id`.
pub(crate) fn touch_heartbeat(
    tx: &mut dyn Tx,
    line_id: &LineId,
    party: &PartyName,
    at: Time,
    via: HeartbeatSource,
) -> Result<Heartbeat, EngineError> {
    let hb = Heartbeat { line_id: line_id.clone(), party: party.clone(), at, via };
    let id = format!("{line_id}:{party}");
    save(tx, kind::HEARTBEAT, &id, &hb, (Some(line_id.as_str()), Some(party.as_str())), None)?;
    Ok(hb)
}

pub(crate) fn view(tx: &mut dyn Tx, line: Line) -> Result<LineView, EngineError> {
    let heartbeats = load_all::<Heartbeat>(tx, kind::HEARTBEAT, RecordKey::K1(line.id.as_str()))?;
    Ok(LineView { line, heartbeats })
}

impl Coord<'_> {
    fn allow_http(&self) -> bool {
        self.limits.allow_http_base_urls
    }

    /// Creates or replaces a party (the operator only). Returns the party and
    /// whether it was created.
    ///
    /// # Errors
    /// `Forbidden` for a party; `BadRequest` naming the bad field; `Timeout`, `Store`.
    pub fn put_party(&self, ctx: &Ctx, mut party: Party) -> Result<(Party, bool), EngineError> {
        require_operator(ctx, "register parties")?;
        check_party(&party, self.allow_http())?;
        party.updated_at = ctx.now;
        self.runner.write(&ctx.deadline, |tx| {
            let created = tx.record(kind::PARTY, party.name.as_str())?.is_none();
            write_party(tx, &party, &ctx.caller)?;
            Ok((party.clone(), created))
        })
    }

    /// Sets (or, with `None`, removes) the webhook of `party`. Only the party
    /// itself or the operator may: whoever controls a party's webhook receives
    /// its events, and a 2xx from it counts as delivery to the party. The
    /// change is an event the party sees, naming who made it and the new URL.
    ///
    /// # Errors
    /// `Forbidden` for anyone else, `NotFound` for an unregistered party,
    /// `BadRequest` for a bad URL; `Timeout`, `Store`.
    pub fn set_webhook(
        &self,
        ctx: &Ctx,
        party: &PartyName,
        url: Option<String>,
    ) -> Result<Party, EngineError> {
        if &ctx.caller != party && !ctx.roles.has(Role::Operator) {
            return Err(EngineError::Forbidden(format!(
                "only {party} itself or the operator may change {party}'s webhook; {} may not",
                ctx.caller
            )));
        }
        check_webhook(url.as_deref(), self.allow_http())?;
        self.runner.write(&ctx.deadline, |tx| {
            let mut p: Party = load(tx, kind::PARTY, party.as_str())?
                .ok_or_else(|| EngineError::NotFound(format!("party {party} is not registered")))?;
            p.webhook_url.clone_from(&url);
            p.updated_at = ctx.now;
            write_party(tx, &p, &ctx.caller)?;
            Ok(p)
        })
    }

    /// Loads a registry at start-up: writes the parties that are new or changed.
    /// Returns how many were written.
    ///
    /// # Errors
    /// `BadRequest` naming the bad entry; `Store`.
    pub fn load_parties(&self, now: Time, parties: &[Party]) -> Result<usize, EngineError> {
        for (i, p) in parties.iter().enumerate() {
            check_party(p, self.allow_http())
                .map_err(|e| EngineError::BadRequest(format!("parties[{i}]: {e}")))?;
        }
        self.runner.write(&crate::txn::Deadline::NONE, |tx| {
            let mut written = 0;
            for p in parties {
                let old: Option<Party> = load(tx, kind::PARTY, p.name.as_str())?;
                let same =
                    old.is_some_and(|o| o.display_name == p.display_name && o.webhook_url == p.webhook_url);
                if !same {
                    let mut p = p.clone();
                    p.updated_at = now;
                    write_party(tx, &p, &PartyName::service())?;
                    written += 1;
                }
            }
            Ok(written)
        })
    }

    /// The registry, by name.
    ///
    /// # Errors
    /// `Store`.
    pub fn parties(&self) -> Result<Vec<Party>, EngineError> {
        self.runner.read(|tx| load_all(tx, kind::PARTY, RecordKey::All))
    }

    /// Creates or updates line `id` (the operator only). Returns it and whether it was created.
    ///
    /// # Errors
    /// `Forbidden` for a party; `BadRequest` (fewer than two parties, unknown
    /// party, bad policy); `Timeout`, `Store`.
    pub fn put_line(&self, ctx: &Ctx, id: &LineId, spec: &LineSpec) -> Result<(LineView, bool), EngineError> {
        require_operator(ctx, "create or change lines")?;
        check_text("name", &spec.name, 200)?;
        let mut parties = spec.parties.clone();
        parties.sort();
        parties.dedup();
        if parties.len() < 2 {
            return bad(format!("parties must name at least two different parties, not {}", parties.len()));
        }
        if let Some(p) = spec.policy.problem() {
            return bad(p);
        }
        let now = ctx.now;
        self.runner.write(&ctx.deadline, |tx| {
            for p in &parties {
                if tx.record(kind::PARTY, p.as_str())?.is_none() {
                    return bad(format!(
                        "party {:?} is not registered (PUT /v1/parties/{p} first)",
                        p.as_str()
                    ));
                }
            }
            let old: Option<Line> = load(tx, kind::LINE, id.as_str())?;
            let next = plus_s(now, spec.policy.liveness_interval_s);
            let line = match &old {
                None => Line {
                    id: id.clone(),
                    name: spec.name.clone(),
                    parties: parties.clone(),
                    state: LineState::Active,
                    policy: spec.policy,
                    created_at: now,
                    updated_at: now,
                    next_check: Some(next),
                },
                Some(o) => {
                    let next_check = match o.state {
                        LineState::Suspended { .. } => None,
                        _ if o.policy.liveness_interval_s != spec.policy.liveness_interval_s => Some(next),
                        _ => o.next_check,
                    };
                    Line {
                        name: spec.name.clone(),
                        parties: parties.clone(),
                        policy: spec.policy,
                        updated_at: now,
                        next_check,
                        ..o.clone()
                    }
                }
            };
            save_line(tx, &line)?;
            let told = line
                .parties
                .iter()
                .chain(old.iter().flat_map(|o| o.parties.iter()))
                .chain(std::iter::once(&ctx.caller));
            let kind = if old.is_some() { EventKind::LineUpdated } else { EventKind::LineCreated };
            emit(tx, now, kind, &ctx.caller, id, told, &ev::LineChanged { line: &line })?;
            Ok((view(tx, line)?, old.is_none()))
        })
    }

    /// The lines `ctx.caller` is on (every line for the operator).
    ///
    /// # Errors
    /// `Store`.
    pub fn lines(&self, ctx: &Ctx) -> Result<Vec<LineView>, EngineError> {
        let all = ctx.roles.has(Role::Operator);
        self.runner.read(|tx| {
            all_lines(tx)?.into_iter().filter(|l| all || l.has(&ctx.caller)).map(|l| view(tx, l)).collect()
        })
    }

    /// One line, if the caller is on it (or is the operator).
    ///
    /// # Errors
    /// `NotFound`, `Forbidden`, `Store`.
    pub fn line(&self, ctx: &Ctx, id: &LineId) -> Result<LineView, EngineError> {
        self.runner.read(|tx| {
            let line = readable_line(tx, ctx, id)?;
            view(tx, line)
        })
    }

    /// Takes a line out of service, recording who, when and why. No checks run
    /// and no messages are accepted until it is resumed.
    ///
    /// # Errors
    /// `NotFound`, `Forbidden` (not on the line), `BadRequest` (no reason),
    /// `Stale` (already suspended, 409), `Timeout`, `Store`.
    pub fn suspend_line(&self, ctx: &Ctx, id: &LineId, why: &str) -> Result<LineView, EngineError> {
        check_text("why", why, 1000)?;
        let (now, by) = (ctx.now, &ctx.caller);
        self.runner.write(&ctx.deadline, |tx| {
            let mut line = line_for(tx, id, by)?;
            if let LineState::Suspended { by: who, why: reason, .. } = &line.state {
                return Err(EngineError::Stale(format!("line {id} is already suspended by {who}: {reason}")));
            }
            let before = line.state.as_str();
            line.state = LineState::Suspended { by: by.clone(), at: now, why: why.to_owned() };
            line.next_check = None;
            line.updated_at = now;
            save_line(tx, &line)?;
            touch_heartbeat(tx, id, by, now, HeartbeatSource::Suspend)?;
            let payload = ev::LineSuspended { line_id: id, by, at: now, why, state_before: before };
            emit(tx, now, EventKind::LineSuspended, by, id, &line.parties, &payload)?;
            view(tx, line)
        })
    }

    /// Puts a suspended line back in service, recording who and when; the next
    /// communication check is one interval away.
    ///
    /// # Errors
    /// `NotFound`, `Forbidden`, `Stale` (not suspended, 409), `Timeout`, `Store`.
    pub fn resume_line(&self, ctx: &Ctx, id: &LineId, why: Option<&str>) -> Result<LineView, EngineError> {
        if let Some(w) = why {
            check_text("why", w, 1000)?;
        }
        let (now, by) = (ctx.now, &ctx.caller);
        self.runner.write(&ctx.deadline, |tx| {
            let mut line = line_for(tx, id, by)?;
            let LineState::Suspended { by: suspended_by, at, why: suspended_why } = line.state.clone() else {
                return Err(EngineError::Stale(format!(
                    "line {id} is not suspended (it is {})",
                    line.state.as_str()
                )));
            };
            line.state = LineState::Active;
            line.next_check = Some(plus_s(now, line.policy.liveness_interval_s));
            line.updated_at = now;
            save_line(tx, &line)?;
            touch_heartbeat(tx, id, by, now, HeartbeatSource::Resume)?;
            let payload = ev::LineResumed {
                line_id: id,
                by,
                at: now,
                why,
                suspended: ev::Suspension { by: &suspended_by, at, why: &suspended_why },
            };
            emit(tx, now, EventKind::LineResumed, by, id, &line.parties, &payload)?;
            view(tx, line)
        })
    }

    /// Records that `ctx.caller` is alive on line `id`.
    ///
    /// # Errors
    /// `NotFound`, `Forbidden`, `Timeout`, `Store`.
    pub fn heartbeat(&self, ctx: &Ctx, id: &LineId) -> Result<Heartbeat, EngineError> {
        let (now, by) = (ctx.now, &ctx.caller);
        self.runner.write(&ctx.deadline, |tx| {
            let line = line_for(tx, id, by)?;
            let hb = touch_heartbeat(tx, id, by, now, HeartbeatSource::Heartbeat)?;
            let payload: &ev::LineHeartbeat = &hb;
            emit(tx, now, EventKind::LineHeartbeat, by, id, &line.parties, payload)?;
            Ok(hb)
        })
    }
}

fn write_party(tx: &mut dyn Tx, party: &Party, actor: &PartyName) -> Result<(), EngineError> {
    save(tx, kind::PARTY, party.name.as_str(), party, (None, None), None)?;
    if party.webhook_url.is_some() && tx.record(kind::WEBHOOK_CURSOR, party.name.as_str())?.is_none() {
        // Start at the head: a new webhook gets what happens from now on (the
        // stream with `Last-Event-ID` serves history).
        let head = tx.last_sealed()?.map_or(0, |e| e.seq);
        let cursor = WebhookCursor { seq: head, ..WebhookCursor::default() };
        save(tx, kind::WEBHOOK_CURSOR, party.name.as_str(), &cursor, (None, None), None)?;
    }
    let payload = ev::PartyUpdated {
        name: &party.name,
        display_name: &party.display_name,
        webhook: party.webhook_url.is_some(),
        webhook_url: party.webhook_url.as_deref(),
    };
    let told = [&party.name, actor];
    emit(tx, party.updated_at, EventKind::PartyUpdated, actor, &party.name, told, &payload)
}
