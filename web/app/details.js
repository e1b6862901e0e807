// The selected operation: everything this party may see of it.
import { pieces } from './operations.js';
import { altitudeText, FEET_TO_M } from './shapes.js';
import { formatUtc } from './time.js';

function facts(pairs) {
  const dl = document.createElement('dl');
  dl.className = 'facts';
  for (const [k, v] of pairs) {
    const dt = document.createElement('dt');
    dt.textContent = k;
    const dd = document.createElement('dd');
    dd.textContent = v;
    dl.append(dt, dd);
  }
  return dl;
}

export function render(container, op) {
  container.replaceChildren();
  if (!op) {
    const p = document.createElement('p');
    p.className = 'note';
    p.textContent = 'Choose an operation on the map or in the list.';
    container.append(p);
    return;
  }
  const rows = [
    ['Operation', op.id],
    ['Party', op.own ? `${op.manager} (yours)` : op.manager],
    ['State', op.state],
    ['Contact', op.contact || 'none given'],
  ];
  if (op.own) rows.push(['Purpose', op.purpose || 'none given']);
  container.append(facts(rows));
  const note = document.createElement('p');
  note.className = 'note';
  note.textContent = op.own
    ? 'Your operation, in full.'
    : 'Only the parts inside your own operations and constraints are shown; the rest and the purpose are not yours to see.';
  container.append(note);
  pieces(op).forEach((p, i) => {
    const h = document.createElement('h3');
    h.textContent = op.own ? `Volume ${i + 1}` : `Part ${i + 1}`;
    const extra = p.circle ? [['Circle', `radius ${Math.round(p.circle.radius.value)} m (${Math.round(p.circle.radius.value / FEET_TO_M)} ft)`]] : [];
    container.append(h, facts([
      ['Altitude', altitudeText(p.lower, p.upper)],
      ['From', formatUtc(p.start)],
      ['Until', formatUtc(p.end)],
      ...extra,
    ]));
  });
}
