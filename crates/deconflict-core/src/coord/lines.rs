//! The party registry, lines, suspension and heartbeats.

use super::events as ev;
use super::model::{Heartbeat, Line, LineState, LineView, Party, Policy, WebhookCursor};
use super::{Coord, MAX_LIST, SECOND_US, SERVICE_ACTOR, bad, decode, emit, kind, load, save};
use crate::Role;
use crate::engine::{Ctx, EngineError};
use crate::events::EventKind;
use crate::ids::Manager;
use crate::records::RecordKey;
use crate::store::Tx;

/// What an administrator sets on a line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineSpec {
    /// Human name.
    pub name: String,
    /// Party names (at least two, each registered).
    pub parties: Vec<String>,
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
    if Manager::new(&p.name).is_err() || p.name == SERVICE_ACTOR {
        return bad(format!("party name {:?} cannot be a token sub", p.name));
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

/// 400 unless `id` can name a line.
pub fn check_line_id(id: &str) -> Result<(), EngineError> {
    if id.is_empty() || id.len() > 64 || !id.chars().all(|c| c.is_ascii_alphanumeric() || "._-".contains(c)) {
        return bad(format!("line id {id:?} must be 1 to 64 characters of A-Z a-z 0-9 . _ -"));
    }
    Ok(())
}

/// Stores a line; its record is due at its next communication check.
pub(crate) fn save_line(tx: &mut dyn Tx, line: &Line) -> Result<(), EngineError> {
    save(tx, kind::LINE, &line.id, line, (None, None), line.next_check_us)
}

/// 403 unless the caller is the operator.
pub(crate) fn require_operator(ctx: &Ctx, what: &str) -> Result<(), EngineError> {
    if ctx.roles.has(Role::Operator) {
        return Ok(());
    }
    Err(EngineError::Forbidden(format!("only the operator may {what}; {} is a party", ctx.caller)))
}

/// The line `id` as `ctx` may read it: any line for the operator, otherwise
/// only a line the caller is on (404 for an unknown line, 403 otherwise).
pub(crate) fn readable_line(tx: &mut dyn Tx, ctx: &Ctx, id: &str) -> Result<Line, EngineError> {
    if ctx.roles.has(Role::Operator) {
        return load(tx, kind::LINE, id)?
            .ok_or_else(|| EngineError::NotFound(format!("line {id} not found")));
    }
    line_for(tx, id, ctx.caller.as_str())
}

/// The line `id` if `caller` is on it (404 for an unknown line, 403 otherwise).
pub(crate) fn line_for(tx: &mut dyn Tx, id: &str, caller: &str) -> Result<Line, EngineError> {
    let line: Line =
        load(tx, kind::LINE, id)?.ok_or_else(|| EngineError::NotFound(format!("line {id} not found")))?;
    if !line.has(caller) {
        return Err(EngineError::Forbidden(format!("{caller} is not a party on line {id}")));
    }
    Ok(line)
}

/// Every line (at most [`MAX_LIST`]).
pub(crate) fn all_lines(tx: &mut dyn Tx) -> Result<Vec<Line>, EngineError> {
    tx.records_by(kind::LINE, RecordKey::All, MAX_LIST)?.iter().map(decode).collect()
}

/// Records a sign of life of `party` on `line_id`.
pub(crate) fn touch_heartbeat(
    tx: &mut dyn Tx,
    line_id: &str,
    party: &str,
    at_us: i64,
    via: &str,
) -> Result<Heartbeat, EngineError> {
    let hb = Heartbeat { line_id: line_id.to_owned(), party: party.to_owned(), at_us, via: via.to_owned() };
    save(tx, kind::HEARTBEAT, &format!("{line_id}:{party}"), &hb, (Some(line_id), Some(party)), None)?;
    Ok(hb)
}

fn view(tx: &mut dyn Tx, line: Line) -> Result<LineView, EngineError> {
    let heartbeats = tx
        .records_by(kind::HEARTBEAT, RecordKey::K1(&line.id), MAX_LIST)?
        .iter()
        .map(decode)
        .collect::<Result<Vec<Heartbeat>, _>>()?;
    Ok(LineView { line, heartbeats })
}

impl Coord<'_> {
    fn allow_http(&self) -> bool {
        self.engine.limits().allow_http_base_urls
    }

    /// Creates or replaces a party (the operator only). Returns the party and
    /// whether it was created.
    ///
    /// # Errors
    /// `Forbidden` for a party; `BadRequest` naming the bad field; `Timeout`, `Store`.
    pub fn put_party(&self, ctx: &Ctx, mut party: Party) -> Result<(Party, bool), EngineError> {
        require_operator(ctx, "register parties")?;
        check_party(&party, self.allow_http())?;
        party.updated_at_us = ctx.now.as_micros();
        let actor = ctx.caller.to_string();
        self.engine.write_tx(ctx.deadline, |tx| {
            let created = tx.record(kind::PARTY, &party.name)?.is_none();
            write_party(tx, &party, &actor)?;
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
    pub fn set_webhook(&self, ctx: &Ctx, party: &str, url: Option<String>) -> Result<Party, EngineError> {
        if ctx.caller.as_str() != party && !ctx.roles.has(Role::Operator) {
            return Err(EngineError::Forbidden(format!(
                "only {party} itself or the operator may change {party}'s webhook; {} may not",
                ctx.caller
            )));
        }
        check_webhook(url.as_deref(), self.allow_http())?;
        let actor = ctx.caller.to_string();
        self.engine.write_tx(ctx.deadline, |tx| {
            let mut p: Party = load(tx, kind::PARTY, party)?
                .ok_or_else(|| EngineError::NotFound(format!("party {party} is not registered")))?;
            p.webhook_url.clone_from(&url);
            p.updated_at_us = ctx.now.as_micros();
            write_party(tx, &p, &actor)?;
            Ok(p)
        })
    }

    /// Loads a registry at start-up: writes the parties that are new or changed.
    /// Returns how many were written.
    ///
    /// # Errors
    /// `BadRequest` naming the bad entry; `Store`.
    pub fn load_parties(&self, now: geom::Time, parties: &[Party]) -> Result<usize, EngineError> {
        for (i, p) in parties.iter().enumerate() {
            check_party(p, self.allow_http())
                .map_err(|e| EngineError::BadRequest(format!("parties[{i}]: {e}")))?;
        }
        self.engine.write_tx(None, |tx| {
            let mut written = 0;
            for p in parties {
                let old: Option<Party> = load(tx, kind::PARTY, &p.name)?;
                let same =
                    old.is_some_and(|o| o.display_name == p.display_name && o.webhook_url == p.webhook_url);
                if !same {
                    let mut p = p.clone();
                    p.updated_at_us = now.as_micros();
                    write_party(tx, &p, SERVICE_ACTOR)?;
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
        self.engine
            .read_tx(|tx| tx.records_by(kind::PARTY, RecordKey::All, MAX_LIST)?.iter().map(decode).collect())
    }

    /// Creates or updates line `id` (the operator only). Returns it and whether it was created.
    ///
    /// # Errors
    /// `Forbidden` for a party; `BadRequest` (bad id, fewer than two parties,
    /// unknown party, bad policy); `Timeout`, `Store`.
    pub fn put_line(&self, ctx: &Ctx, id: &str, spec: &LineSpec) -> Result<(LineView, bool), EngineError> {
        require_operator(ctx, "create or change lines")?;
        check_line_id(id)?;
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
        let now = ctx.now.as_micros();
        self.engine.write_tx(ctx.deadline, |tx| {
            for p in &parties {
                if tx.record(kind::PARTY, p)?.is_none() {
                    return bad(format!("party {p:?} is not registered (PUT /v1/parties/{p} first)"));
                }
            }
            let old: Option<Line> = load(tx, kind::LINE, id)?;
            let interval_us = spec.policy.liveness_interval_s * SECOND_US;
            let line = match &old {
                None => Line {
                    id: id.to_owned(),
                    name: spec.name.clone(),
                    parties: parties.clone(),
                    state: LineState::Active,
                    policy: spec.policy,
                    created_at_us: now,
                    updated_at_us: now,
                    next_check_us: Some(now + interval_us),
                },
                Some(o) => {
                    let next_check_us = match o.state {
                        LineState::Suspended { .. } => None,
                        _ if o.policy.liveness_interval_s != spec.policy.liveness_interval_s => {
                            Some(now + interval_us)
                        }
                        _ => o.next_check_us,
                    };
                    Line {
                        name: spec.name.clone(),
                        parties: parties.clone(),
                        policy: spec.policy,
                        updated_at_us: now,
                        next_check_us,
                        ..o.clone()
                    }
                }
            };
            save_line(tx, &line)?;
            let told: Vec<String> = line
                .parties
                .iter()
                .chain(old.iter().flat_map(|o| o.parties.iter()))
                .cloned()
                .chain(std::iter::once(ctx.caller.to_string()))
                .collect();
            let kind = if old.is_some() { EventKind::LineUpdated } else { EventKind::LineCreated };
            emit(tx, now, kind, ctx.caller.as_str(), id, told, &ev::LineChanged { line: &line })?;
            Ok((view(tx, line)?, old.is_none()))
        })
    }

    /// The lines `ctx.caller` is on (every line for the operator).
    ///
    /// # Errors
    /// `Store`.
    pub fn lines(&self, ctx: &Ctx) -> Result<Vec<LineView>, EngineError> {
        let caller = ctx.caller.as_str();
        let all = ctx.roles.has(Role::Operator);
        self.engine.read_tx(|tx| {
            all_lines(tx)?.into_iter().filter(|l| all || l.has(caller)).map(|l| view(tx, l)).collect()
        })
    }

    /// One line, if the caller is on it (or is the operator).
    ///
    /// # Errors
    /// `NotFound`, `Forbidden`, `Store`.
    pub fn line(&self, ctx: &Ctx, id: &str) -> Result<LineView, EngineError> {
        self.engine.read_tx(|tx| {
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
    pub fn suspend_line(&self, ctx: &Ctx, id: &str, why: &str) -> Result<LineView, EngineError> {
        check_text("why", why, 1000)?;
        let (now, by) = (ctx.now.as_micros(), ctx.caller.to_string());
        self.engine.write_tx(ctx.deadline, |tx| {
            let mut line = line_for(tx, id, &by)?;
            if let LineState::Suspended { by: who, why: reason, .. } = &line.state {
                return Err(EngineError::Stale(format!("line {id} is already suspended by {who}: {reason}")));
            }
            let before = line.state.as_str();
            line.state = LineState::Suspended { by: by.clone(), at_us: now, why: why.to_owned() };
            line.next_check_us = None;
            line.updated_at_us = now;
            save_line(tx, &line)?;
            touch_heartbeat(tx, id, &by, now, "suspend")?;
            let payload = ev::LineSuspended { line_id: id, by: &by, at_us: now, why, state_before: before };
            emit(tx, now, EventKind::LineSuspended, &by, id, line.parties.clone(), &payload)?;
            view(tx, line)
        })
    }

    /// Puts a suspended line back in service, recording who and when; the next
    /// communication check is one interval away.
    ///
    /// # Errors
    /// `NotFound`, `Forbidden`, `Stale` (not suspended, 409), `Timeout`, `Store`.
    pub fn resume_line(&self, ctx: &Ctx, id: &str, why: Option<&str>) -> Result<LineView, EngineError> {
        if let Some(w) = why {
            check_text("why", w, 1000)?;
        }
        let (now, by) = (ctx.now.as_micros(), ctx.caller.to_string());
        self.engine.write_tx(ctx.deadline, |tx| {
            let mut line = line_for(tx, id, &by)?;
            let LineState::Suspended { by: suspended_by, at_us, why: suspended_why } = line.state.clone()
            else {
                return Err(EngineError::Stale(format!(
                    "line {id} is not suspended (it is {})",
                    line.state.as_str()
                )));
            };
            line.state = LineState::Active;
            line.next_check_us = Some(now + line.policy.liveness_interval_s * SECOND_US);
            line.updated_at_us = now;
            save_line(tx, &line)?;
            touch_heartbeat(tx, id, &by, now, "resume")?;
            let payload = ev::LineResumed {
                line_id: id,
                by: &by,
                at_us: now,
                why,
                suspended: ev::Suspension { by: &suspended_by, at_us, why: &suspended_why },
            };
            emit(tx, now, EventKind::LineResumed, &by, id, line.parties.clone(), &payload)?;
            view(tx, line)
        })
    }

    /// Records that `ctx.caller` is alive on line `id`.
    ///
    /// # Errors
    /// `NotFound`, `Forbidden`, `Timeout`, `Store`.
    pub fn heartbeat(&self, ctx: &Ctx, id: &str) -> Result<Heartbeat, EngineError> {
        let (now, by) = (ctx.now.as_micros(), ctx.caller.to_string());
        self.engine.write_tx(ctx.deadline, |tx| {
            let line = line_for(tx, id, &by)?;
            let hb = touch_heartbeat(tx, id, &by, now, "heartbeat")?;
            let payload: &ev::LineHeartbeat = &hb;
            emit(tx, now, EventKind::LineHeartbeat, &by, id, line.parties.clone(), payload)?;
            Ok(hb)
        })
    }
}

fn write_party(tx: &mut dyn Tx, party: &Party, actor: &str) -> Result<(), EngineError> {
    save(tx, kind::PARTY, &party.name, party, (None, None), None)?;
    if party.webhook_url.is_some() && tx.record(kind::WEBHOOK_CURSOR, &party.name)?.is_none() {
        // Start at the head: a new webhook gets what happens from now on (the
        // stream with `Last-Event-ID` serves history).
        let head = tx.last_sealed()?.map_or(0, |e| e.seq);
        let cursor = WebhookCursor { seq: head, ..WebhookCursor::default() };
        save(tx, kind::WEBHOOK_CURSOR, &party.name, &cursor, (None, None), None)?;
    }
    let payload = ev::PartyUpdated {
        name: &party.name,
        display_name: &party.display_name,
        webhook: party.webhook_url.is_some(),
        webhook_url: party.webhook_url.as_deref(),
    };
    let told = [party.name.clone(), actor.to_owned()];
    emit(tx, party.updated_at_us, EventKind::PartyUpdated, actor, &party.name, told, &payload)
}
