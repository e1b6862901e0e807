// The hotline panel: the party's lines with their liveness, the messages on
// each line (those waiting for this party's acknowledgement on top), an
// acknowledge button naming the officer, sending with a priority, and
// overdue deliveries and escalations shown. Reloaded on every event of
// /v1/events/stream and every 15 s.
import { call, describe, uuid } from './api.js';
import { formatUtcSeconds } from './time.js';

const PRIORITY = { flash: 0, urgent: 1, routine: 2 };
const OFFICER_KEY = 'deconflict.officer';

function el(tag, className, text) {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text !== undefined) e.textContent = text;
  return e;
}

// Whether `party` must still acknowledge message `m`.
export function waitsFor(m, party) {
  return (m.deliveries || []).some((d) => d.recipient === party && !d.acked_at);
}

// Waiting for me first (flash, urgent, routine; oldest first), then the rest newest first.
export function ordered(messages, party) {
  const mine = messages.filter((m) => waitsFor(m, party))
    .sort((a, b) => (PRIORITY[a.priority] - PRIORITY[b.priority]) || a.sent_at.localeCompare(b.sent_at));
  const rest = messages.filter((m) => !waitsFor(m, party)).sort((a, b) => b.sent_at.localeCompare(a.sent_at));
  return [...mine, ...rest];
}

// A line's liveness: each party's last heartbeat, and whether all were heard in time.
export function liveness(line, nowMs) {
  const window = ((line.policy?.liveness_interval_s ?? 3600) + (line.policy?.liveness_deadline_s ?? 300)) * 1000;
  const last = new Map();
  for (const h of line.heartbeats || []) {
    const t = Date.parse(h.at);
    if (!(last.get(h.party) >= t)) last.set(h.party, t);
  }
  const heard = line.parties.map((p) => ({ party: p, at: last.get(p) }));
  const alive = line.state?.kind === 'active' && heard.every((h) => h.at && nowMs - h.at <= window);
  return { alive, heard };
}

function deliveryText(d) {
  if (d.acked_at) return `${d.recipient}: acknowledged ${formatUtcSeconds(Date.parse(d.acked_at))} by ${d.acked_by_operator || 'unnamed'}`;
  const parts = [`${d.recipient}: NOT acknowledged`];
  if (d.ack_deadline) parts.push(`due ${formatUtcSeconds(Date.parse(d.ack_deadline))}`);
  if (d.overdue) parts.push('OVERDUE');
  if (d.escalations) parts.push(`escalated ${d.escalations}×`);
  return parts.join(', ');
}

export class Hotline {
  constructor(els, me) {
    this.els = els; // { lines, messages, status, officer, sendForm, sendLine, sendPriority, sendText, sendStatus }
    this.me = me;
    this.lines = [];
    this.messages = [];
    els.officer.value = sessionStorage.getItem(OFFICER_KEY) || '';
    els.officer.addEventListener('input', () => {
      sessionStorage.setItem(OFFICER_KEY, els.officer.value);
      this.render();
    });
    els.sendForm.addEventListener('submit', (ev) => { ev.preventDefault(); this.send(); });
  }

  officer() {
    return this.els.officer.value.trim();
  }

  async load() {
    const r = await call('GET', '/v1/lines');
    if (!r.ok) { this.status(`lines: ${describe(r)}`, true); return; }
    this.lines = r.body.lines || [];
    const threads = await Promise.all(this.lines.map((l) => call('GET', `/v1/lines/${encodeURIComponent(l.id)}/messages`)));
    const failed = threads.find((t) => !t.ok);
    if (failed) { this.status(`messages: ${describe(failed)}`, true); return; }
    const messages = threads.flatMap((t) => t.body.messages || []);
    // Re-render only on a change (or once a minute, for liveness), so a
    // reload does not take the keyboard focus away.
    const seen = JSON.stringify([this.lines, messages, Math.floor(Date.now() / 60000)]);
    if (seen === this.seen) return;
    this.seen = seen;
    this.messages = messages;
    this.render();
  }

  status(text, error = false) {
    this.els.status.textContent = text;
    this.els.status.classList.toggle('error', error);
  }

  render() {
    const now = Date.now();
    this.els.lines.replaceChildren(...this.lines.map((l) => {
      const li = el('li');
      li.dataset.lineId = l.id;
      const { alive, heard } = liveness(l, now);
      li.append(el('strong', `badge ${alive ? 'ok' : 'warn'}`, alive ? '✔ LIVE' : '✖ NOT LIVE'), ' ',
        el('span', '', `${l.name} (${l.state?.kind || 'unknown'}); last heard: ${heard.map((h) => `${h.party} ${h.at ? formatUtcSeconds(h.at) : 'never'}`).join(', ')}`));
      return li;
    }));
    const select = this.els.sendLine;
    const chosen = select.value;
    select.replaceChildren(...this.lines.map((l) => { const o = el('option', '', l.name); o.value = l.id; return o; }));
    if (this.lines.some((l) => l.id === chosen)) select.value = chosen;
    const officer = this.officer();
    const waiting = this.messages.filter((m) => waitsFor(m, this.me)).length;
    this.els.messages.replaceChildren(...ordered(this.messages, this.me).slice(0, 40).map((m) => {
      const li = el('li', `message ${waitsFor(m, this.me) ? 'waiting' : ''}`);
      li.dataset.messageId = m.id;
      const head = el('div');
      head.append(el('strong', `badge pri-${m.priority}`, m.priority.toUpperCase()), ' ',
        el('span', '', `${m.sender} → ${(m.recipients || []).join(', ')}, ${formatUtcSeconds(Date.parse(m.sent_at))}`));
      li.append(head, el('p', 'text', m.text));
      for (const d of m.deliveries || []) li.append(el('p', `note delivery ${d.overdue && !d.acked_at ? 'overdue' : ''}`, deliveryText(d)));
      if (waitsFor(m, this.me)) {
        const b = el('button', 'ack', officer ? `Acknowledge as ${officer}` : 'Acknowledge (type your name above)');
        b.type = 'button';
        b.disabled = !officer;
        b.addEventListener('click', () => this.ack(m.id));
        li.append(b);
      }
      return li;
    }));
    this.status(`${this.lines.length} line(s); ${waiting} message(s) waiting for your acknowledgement`);
  }

  async ack(id) {
    const r = await call('POST', `/v1/messages/${encodeURIComponent(id)}/ack`, { operator: this.officer() });
    if (!r.ok) { this.status(`acknowledging: ${describe(r)}`, true); return; }
    await this.load();
  }

  async send() {
    const { sendLine, sendPriority, sendText, sendStatus } = this.els;
    const text = sendText.value.trim();
    if (!sendLine.value) { sendStatus.textContent = 'no line to send on'; return; }
    if (!text) { sendStatus.textContent = 'write the message first'; return; }
    const r = await call('POST', `/v1/lines/${encodeURIComponent(sendLine.value)}/messages`,
      { priority: sendPriority.value, text, idempotency_key: uuid() });
    sendStatus.textContent = r.ok ? `sent (${sendPriority.value})` : `not sent: ${describe(r)}`;
    sendStatus.classList.toggle('error', !r.ok);
    if (r.ok) { sendText.value = ''; await this.load(); }
  }
}
