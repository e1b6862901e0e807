// Browser tests of the live picture against `deconflict demo`:
// node test/demo.mjs BASE_URL SCREENSHOT_DIR
// The demo's scenario is done and its simulated aircraft fly: the page shows
// operations, tracks, the predicted conflict, alerts, the hotline and late
// notices; acknowledging a message on the page acknowledges it through the
// API; another party's page shows neither Alpha's purpose nor its full
// geometry; a broken stream shows as disconnected; every request stays on
// the server's origin.
import { join } from 'node:path';
import { start } from './harness.mjs';

const t = await start('demo.mjs');
const { check, api, devToken, signIn, shots, soon } = t;
const PURPOSE = 'Border surveillance sortie 7'; // alpha's, set by the scenario
const OFFICER = 'Maj. Page Test';

try {
  const alpha = await devToken('alpha');
  const pa = await t.openPage('alpha');
  await signIn(pa, 'alpha');
  check('the demo\'s operations appear (alpha\'s own and bravo\'s overlapping part)', await soon(pa, () => {
    const ops = window.deconflict.ops;
    return ops.some((o) => o.own) && ops.some((o) => !o.own && o.manager === 'bravo');
  }), JSON.stringify(await pa.evaluate(() => window.deconflict.ops.map((o) => [o.manager, o.own]))));
  check('alpha\'s simulated tracks are drawn with heading vectors, callsign and flight level', await soon(pa, () => {
    const m = window.deconflict.map;
    const points = m.queryRenderedFeatures({ layers: ['track-points'] }).length;
    const vectors = m.queryRenderedFeatures({ layers: ['track-vectors'] }).length;
    const labels = [...document.querySelectorAll('.map-label.track')].map((e) => e.textContent);
    return points >= 2 && vectors >= 2 && labels.some((l) => /^ALP21 FL200 350 kt$/.test(l));
  }), await pa.evaluate(() => [...document.querySelectorAll('.map-label.track')].map((e) => e.textContent).join(' | ')));
  check('an alert between ALP21 and BRV42 appears in the list, with its urgency in words', await soon(pa, () => [...document.querySelectorAll('#alerts-list li')]
    .some((li) => /ALP21/.test(li.textContent) && /BRV42/.test(li.textContent) && /PREDICTED|IMMINENT|LOST/.test(li.textContent) && /UTC/.test(li.textContent))),
  await pa.textContent('#alerts-list'));
  check('the predicted conflict is drawn as both aircraft at the closest approach with the time to loss of separation', await soon(pa, () => {
    const labels = [...document.querySelectorAll('.map-label.conflict')].map((e) => e.textContent);
    const pts = window.deconflict.map.querySourceFeatures('conflicts').filter((f) => f.geometry.type === 'Point');
    return labels.some((l) => /alpha ALP21 at CPA/.test(l)) && labels.some((l) => /bravo BRV42 at CPA/.test(l))
      && labels.some((l) => /LoS in \d+ s|LOST/.test(l)) && pts.length >= 2;
  }), await pa.evaluate(() => [...document.querySelectorAll('.map-label.conflict')].map((e) => e.textContent).join(' | ')));
  const sorted = await pa.evaluate(() => window.deconflict.live.sorted().map((a) => [a.severity, a.time_to_los_s]));
  const rank = { lost: 0, imminent: 1, predicted: 2 };
  check('alerts are listed most urgent first', sorted.every((a, i) => i === 0 || rank[sorted[i - 1][0]] <= rank[a[0]]), JSON.stringify(sorted));
  check('the live updates show as connected', await soon(pa, () => document.getElementById('live-state').dataset.state === 'live'));
  check('the hotline line shows its liveness', /LIVE/.test(await pa.textContent('#lines-list')) && /last heard: alpha/.test(await pa.textContent('#lines-list')));
  check('a late advance notice is flagged', await soon(pa, () => document.querySelector('#notices-list li[data-late="true"]')?.textContent.includes('LATE')));
  check('times are shown in UTC with the zone', /UTC$/.test(await pa.textContent('#clock')));

  // The hotline: Bravo's urgent message waits on top; acknowledging it on the page goes through the API.
  const waiting = pa.locator('#messages-list li.waiting', { hasText: 'BRV42 and your ALP21' });
  await waiting.first().waitFor({ timeout: 20000 });
  const first = await pa.evaluate(() => document.querySelector('#messages-list li')?.classList.contains('waiting'));
  check('messages waiting for alpha are on top', first);
  const id = await waiting.first().getAttribute('data-message-id');
  await pa.fill('#officer', OFFICER);
  const button = waiting.first().locator('button.ack');
  check('the acknowledge button names the officer', (await button.textContent()) === `Acknowledge as ${OFFICER}`, await button.textContent());
  await pa.screenshot({ path: join(shots, 'demo-alpha.png') });
  await button.click();
  await soon(pa, (mid) => !document.querySelector(`#messages-list li.waiting[data-message-id="${mid}"]`), id, 15000);
  const { body: msg } = await api(alpha, 'GET', `/v1/messages/${id}`);
  const mine = (msg.deliveries || []).find((d) => d.recipient === 'alpha');
  check('acknowledging on the page acknowledges the message through the API, by the named officer', mine && mine.acked_at && mine.acked_by_operator === OFFICER, JSON.stringify(msg));
  check('the page shows the acknowledgement', /acknowledged .* by Maj\. Page Test/.test(await pa.locator(`#messages-list li[data-message-id="${id}"]`).textContent()));

  // Sending with a priority.
  await pa.selectOption('#send-priority', 'flash');
  await pa.fill('#send-text', 'ALP21 climbing to FL220 now');
  await pa.click('#send');
  check('a message sent from the page arrives with its priority', await soon(pa, () => [...document.querySelectorAll('#messages-list li')]
    .some((li) => li.textContent.includes('ALP21 climbing to FL220 now') && li.textContent.includes('FLASH'))));
  const own = await pa.evaluate(() => window.deconflict.ops.find((o) => o.own && o.manager === 'alpha'));
  check('alpha sees its own purpose and full geometry (the control for the next check)', own && own.purpose === PURPOSE && own.volumes?.length > 0, JSON.stringify(own));

  // Bravo: alpha's operation only as the overlapping part, without purpose.
  const pb = await t.openPage('bravo');
  await signIn(pb, 'bravo');
  await soon(pb, () => window.deconflict.ops.some((o) => o.manager === 'alpha'));
  const seen = await pb.evaluate(() => window.deconflict.ops.find((o) => o.manager === 'alpha'));
  check('bravo\'s page has alpha\'s operation only as parts, without volumes or purpose', seen && !seen.own && seen.parts?.length && !('volumes' in seen) && !('purpose' in seen), JSON.stringify(seen));
  await pb.click(`#ops-list li[data-op-id="${seen?.id}"] button`);
  await soon(pb, () => document.querySelector('.map-label.track'));
  check('bravo\'s page never shows or receives alpha\'s purpose', !(await pb.textContent('body')).includes(PURPOSE) && !t.bodies.get(pb).some((b) => b.includes(PURPOSE)));
  check('bravo\'s page never receives alpha\'s own track list', !t.bodies.get(pb).some((b) => b.includes('"id":"ALP07"')));

  // Charlie: not involved in the conflict; a stream that breaks shows as disconnected.
  const pc = await t.openPage('charlie');
  await pc.route('**/v1/alerts/stream', (route) => route.abort());
  await signIn(pc, 'charlie');
  check('a broken stream shows as disconnected', await soon(pc, () => document.getElementById('live-state').dataset.state === 'disconnected'
    && /disconnected/.test(document.getElementById('live-state').textContent), null, 15000));
  check('charlie\'s page shows its own tracks and no alert', await soon(pc, () => document.querySelectorAll('.map-label.track').length >= 2)
    && (await pc.locator('#alerts-list li').count()) === 0);
  check('charlie\'s page never receives alpha\'s purpose', !t.bodies.get(pc).some((b) => b.includes(PURPOSE)));
  await pc.screenshot({ path: join(shots, 'demo-charlie-disconnected.png') });

  // Readable at 1366x768 and on a 4K screen.
  const layout = await pa.evaluate(() => ({ map: document.getElementById('map').clientWidth, side: document.getElementById('side').clientWidth,
    font: parseFloat(getComputedStyle(document.getElementById('alerts-list')).fontSize) }));
  check('at 1366x768 the map and the panels both have room', layout.map >= 800 && layout.side >= 330 && layout.font >= 14, JSON.stringify(layout));
  await pa.setViewportSize({ width: 3840, height: 2160 });
  const big = await pa.evaluate(() => ({ side: document.getElementById('side').clientWidth,
    font: parseFloat(getComputedStyle(document.getElementById('alerts-list')).fontSize) }));
  check('on a 4K screen the text is larger and the panel wider', big.font >= 19 && big.side >= 480, JSON.stringify(big));
  await pa.screenshot({ path: join(shots, 'demo-alpha-4k.png') });
} catch (e) {
  check('the run finished', false, e.stack);
} finally {
  await t.finish();
}
