// Constraints around the map's centre, from the F3548 query. F3548
// constraint references carry no geometry (the details are the managing
// USS's), so they are listed, not drawn.
import { call, describe } from './api.js';
import { circleArea } from './operations.js';
import { formatUtc, parseTime } from './time.js';

export async function load(area, list) {
  const reply = await call('POST', '/dss/v1/constraint_references/query', { area_of_interest: circleArea(area) });
  list.replaceChildren();
  if (!reply.ok) return `constraints not loaded: ${describe(reply)}`;
  const refs = reply.body.constraint_references || [];
  for (const c of refs) {
    const li = document.createElement('li');
    li.textContent = `${c.manager} · ${c.id.slice(0, 8)} · ${formatUtc(parseTime(c.time_start))} to ${formatUtc(parseTime(c.time_end))}`;
    list.append(li);
  }
  return refs.length ? null : 'no constraints around the centre';
}
