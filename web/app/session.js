// The bearer token of this tab: kept in sessionStorage (gone when the tab
// closes), sent as the Authorization header by api.js, never in a URL.
const KEY = 'deconflict.token';

export function token() {
  return sessionStorage.getItem(KEY);
}

export function setToken(value) {
  sessionStorage.setItem(KEY, value.trim());
}

export function clearToken() {
  sessionStorage.removeItem(KEY);
}

// The party a token speaks for, read from its payload for display only: the
// server verifies the token and decides what the party may see.
export function partyOf(jwt) {
  const part = (jwt || '').split('.')[1];
  if (!part) return null;
  try {
    const text = atob(part.replace(/-/g, '+').replace(/_/g, '/'));
    return JSON.parse(text).sub ?? null;
  } catch {
    return null;
  }
}
