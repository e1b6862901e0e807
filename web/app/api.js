// The one way the page talks to the server: same origin, JSON, bearer token.
import { token } from './session.js';

// Sends a request to a path of this origin; answers {status, ok, body}.
// A network failure becomes status 0 with a message.
export async function call(method, path, body) {
  if (!path.startsWith('/')) throw new Error(`not a path of this origin: ${path}`);
  const headers = { Accept: 'application/json' };
  const t = token();
  if (t) headers.Authorization = `Bearer ${t}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let resp;
  try {
    resp = await fetch(path, {
      method, headers, body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store', credentials: 'omit', redirect: 'error',
    });
  } catch (e) {
    return { status: 0, ok: false, body: { message: `the server did not answer: ${e.message}` } };
  }
  const text = await resp.text();
  let json = null;
  if (text) {
    try { json = JSON.parse(text); } catch { json = { message: text }; }
  }
  return { status: resp.status, ok: resp.ok, body: json };
}

// The server's message for a refusal, with its status.
export function describe(reply) {
  const message = reply.body && reply.body.message ? reply.body.message : 'no message';
  return reply.status ? `${reply.status}: ${message}` : message;
}

// A random (version 4) UUID; crypto.randomUUID needs a secure context, this does not.
export function uuid() {
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
