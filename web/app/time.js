// Times: shown in UTC with the zone written out; typed in datetime-local
// inputs that are read as UTC.
export function formatUtc(ms) {
  if (!Number.isFinite(ms)) return 'unbounded';
  return `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

// The value of a datetime-local input, read as UTC; NaN when empty or invalid.
export function readUtcInput(input) {
  return input.value ? Date.parse(`${input.value.length === 16 ? `${input.value}:00` : input.value}Z`) : NaN;
}

export function writeUtcInput(input, ms) {
  input.value = new Date(ms).toISOString().slice(0, 16);
}

// F3548 times are {value, format}; native ones RFC 3339 strings: read both.
export function parseTime(t) {
  if (t == null) return NaN;
  return Date.parse(typeof t === 'string' ? t : t.value);
}

export function rfc3339(ms) {
  return new Date(ms).toISOString();
}

// To the second, with the zone: "2026-05-01 12:00:05 UTC".
export function formatUtcSeconds(ms) {
  if (!Number.isFinite(ms)) return 'unknown time';
  return `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}
