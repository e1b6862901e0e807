// Filing an operation through the F3548 PUT, and what a 409 means: the
// operations it conflicts with, shown on the map, with a field for each one's
// key (its current OVN, which its own USS hands out), to file again.
import { call, describe, uuid } from './api.js';
import { label } from './basemap.js';
import { labelPoint } from './shapes.js';
import { rfc3339 } from './time.js';

// One F3548 Volume4D from an outline ({polygon} or {circle}), metres and ms.
export function extent(outline, lowerM, upperM, startMs, endMs) {
  const volume = outline.circle
    ? { outline_circle: { center: outline.circle.center, radius: { value: outline.circle.radiusM, units: 'M' } } }
    : { outline_polygon: { vertices: outline.polygon } };
  volume.altitude_lower = { value: lowerM, reference: 'W84', units: 'M' };
  volume.altitude_upper = { value: upperM, reference: 'W84', units: 'M' };
  return {
    volume,
    time_start: { value: rfc3339(startMs), format: 'RFC3339' },
    time_end: { value: rfc3339(endMs), format: 'RFC3339' },
  };
}

// Files `pending` ({id, extents, keys, ussBaseUrl, details}); answers
// {ok, message, conflict} and, on a 409, shows the conflict.
export async function submit(app, pending) {
  const body = {
    extents: pending.extents, key: pending.keys, state: 'Accepted', uss_base_url: pending.ussBaseUrl,
    new_subscription: { uss_base_url: pending.ussBaseUrl, notify_for_constraints: false },
  };
  const reply = await call('PUT', `/dss/v1/operational_intent_references/${pending.id}`, body);
  if (reply.status === 409 && reply.body && (reply.body.missing_operational_intents || reply.body.missing_constraints)) {
    showConflict(app, pending, reply.body);
    return { ok: false, conflict: true, message: `refused, conflicts with ${conflictCount(reply.body)} entities: ${describe(reply)}` };
  }
  if (!reply.ok) return { ok: false, message: `refused ${describe(reply)}` };
  clearConflict(app);
  const ovn = reply.body.operational_intent_reference.ovn;
  const d = pending.details;
  if (d && (d.purpose || d.contact)) {
    const r = await call('PUT', `/v1/operations/${pending.id}/details`, d);
    if (!r.ok) return { ok: true, message: `filed ${pending.id}, but its details were refused: ${describe(r)}` };
  }
  return { ok: true, message: `filed ${pending.id} (OVN ${ovn})` };
}

function conflictCount(body) {
  return (body.missing_operational_intents || []).length + (body.missing_constraints || []).length;
}

export function clearConflict(app) {
  for (const m of app.conflictLabels) m.remove();
  app.conflictLabels = [];
  app.conflictIds = new Set();
  app.pending = null;
  app.els.conflict.hidden = true;
  app.els.conflictList.replaceChildren();
  app.drawing.setConflict(false);
  app.refilter();
}

function showConflict(app, pending, body) {
  clearConflict(app);
  app.pending = pending;
  const refs = [
    ...(body.missing_operational_intents || []).map((r) => ({ ...r, kind: 'operation' })),
    ...(body.missing_constraints || []).map((r) => ({ ...r, kind: 'constraint' })),
  ];
  app.conflictIds = new Set(refs.map((r) => r.id));
  const list = app.els.conflictList;
  refs.forEach((r, i) => {
    const li = document.createElement('li');
    li.dataset.conflictId = r.id;
    const input = document.createElement('input');
    input.id = `conflict-key-${i}`;
    input.dataset.conflictId = r.id;
    input.autocomplete = 'off';
    const l = document.createElement('label');
    l.htmlFor = input.id;
    l.textContent = `Key of ${r.kind} ${r.id} of ${r.manager} (ask ${r.uss_base_url})`;
    li.append(l, input);
    list.append(li);
  });
  app.els.conflict.hidden = false;
  // On the map: the refused footprint in the conflict style, labelled with
  // whom it conflicts; the others' outlines where this party may see them.
  app.drawing.setConflict(true);
  const ring = pending.extents[0] && app.ringOf(pending.extents[0].volume);
  if (ring) {
    const names = refs.map((r) => `${r.manager} ${r.id.slice(0, 8)}`).join(', ');
    app.conflictLabels.push(label(app.map, labelPoint(ring), `conflicts with ${names}`, 'conflict'));
  }
  app.refilter();
}

// The keys typed for a pending conflict, with those already given.
export function keysFromForm(app) {
  const typed = [...app.els.conflictList.querySelectorAll('input')].map((i) => i.value.trim()).filter(Boolean);
  return [...new Set([...(app.pending ? app.pending.keys : []), ...typed])];
}

export function newPending(extents, ussBaseUrl, details) {
  return { id: uuid(), extents, keys: [], ussBaseUrl, details };
}
