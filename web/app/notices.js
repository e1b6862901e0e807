// Advance notices on the party's lines: those it gave and those it received,
// each with the line's minimum notice and the late flag.
import { call, describe } from './api.js';
import { formatUtc } from './time.js';

export function noticeText(n, received) {
  const who = received ? `from ${n.giver}` : `to ${n.recipient}`;
  const notice = Math.round((Date.parse(n.time_start) - Date.parse(n.notified_at)) / 60000);
  return `${who}: operation ${n.intent_id.slice(0, 8)} starts ${formatUtc(Date.parse(n.time_start))}, `
    + `notice ${notice} min (line asks ${Math.round(n.min_notice_s / 60)} min)`
    + `${n.acked_at ? `, acknowledged by ${n.acked_by_operator || 'unnamed'}` : ''}`;
}

export async function load(list, status) {
  const r = await call('GET', '/v1/notices');
  if (!r.ok) {
    status.textContent = `notices: ${describe(r)}`;
    status.classList.add('error');
    return;
  }
  status.classList.remove('error');
  const items = [...(r.body.received || []).map((n) => [n, true]), ...(r.body.given || []).map((n) => [n, false])];
  list.replaceChildren(...items.map(([n, received]) => {
    const li = document.createElement('li');
    li.dataset.intentId = n.intent_id;
    li.dataset.late = String(n.late);
    const badge = document.createElement('strong');
    badge.className = `badge ${n.late ? 'warn' : 'ok'}`;
    badge.textContent = n.late ? '⚠ LATE' : '✔ in time';
    li.append(badge, ` ${received ? 'Received' : 'Given'} ${noticeText(n, received)}`);
    return li;
  }));
  status.textContent = items.length ? `${items.length} notice(s), ${items.filter(([n]) => n.late).length} late` : 'no advance notice';
}
