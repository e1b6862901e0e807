// Server-Sent Events over fetch: EventSource cannot send the bearer token,
// so the stream is read as a fetch body and parsed here. Reconnects with
// backoff (1 s doubling to 15 s) and tells onState 'connecting', 'live' or
// 'disconnected' (with the reason), so the page can show it.
import { token } from './session.js';

// Parses SSE text into events; answers [events, rest] where rest is an unfinished block.
export function parseEvents(text) {
  const blocks = text.split(/\r?\n\r?\n/);
  const rest = blocks.pop();
  const events = [];
  for (const block of blocks) {
    let name = 'message';
    let id = null;
    const data = [];
    for (const line of block.split(/\r?\n/)) {
      if (!line || line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'event') name = value;
      else if (field === 'data') data.push(value);
      else if (field === 'id') id = value;
    }
    if (data.length) events.push({ name, id, data: data.join('\n') });
  }
  return [events, rest];
}

export class Stream {
  // path: of this origin; onEvent({name, id, data}); onState(state, why).
  constructor(path, onEvent, onState) {
    this.path = path;
    this.onEvent = onEvent;
    this.onState = onState;
    this.lastId = null;
    this.stopped = false;
    this.delay = 1000;
    this.abort = null;
  }

  start() {
    this.stopped = false;
    this.loop();
    return this;
  }

  stop() {
    this.stopped = true;
    if (this.abort) this.abort.abort();
  }

  async loop() {
    while (!this.stopped) {
      const why = await this.once();
      if (this.stopped) return;
      this.onState('disconnected', why);
      await new Promise((r) => { setTimeout(r, this.delay); });
      this.delay = Math.min(this.delay * 2, 15000);
    }
  }

  // One connection; answers why it ended.
  async once() {
    this.onState('connecting');
    this.abort = new AbortController();
    const headers = { Accept: 'text/event-stream', Authorization: `Bearer ${token()}` };
    if (this.lastId) headers['Last-Event-ID'] = this.lastId;
    let resp;
    try {
      resp = await fetch(this.path, { headers, signal: this.abort.signal, cache: 'no-store', credentials: 'omit', redirect: 'error' });
    } catch (e) {
      return `the server did not answer (${e.message})`;
    }
    if (!resp.ok || !resp.body) {
      return `the server answered ${resp.status}`;
    }
    this.onState('live');
    this.delay = 1000;
    const reader = resp.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return 'the server closed the stream';
        const [events, rest] = parseEvents(buffer + value);
        buffer = rest;
        for (const ev of events) {
          if (ev.id) this.lastId = ev.id;
          this.onEvent(ev);
        }
      }
    } catch (e) {
      return `the stream broke (${e.message})`;
    }
  }
}
