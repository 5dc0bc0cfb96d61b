// How the console writes times, ages, durations and counts.

const pad = (n) => String(n).padStart(2, '0');

/** A Unix-ms time as local `YYYY-MM-DD HH:MM:SS`; '—' when absent. */
export function when(ms) {
  if (typeof ms !== 'number' || !Number.isFinite(ms)) return '—';
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** A local `HH:00` label for the hour starting at `ms`. */
export function hourLabel(ms) {
  return `${pad(new Date(ms).getHours())}:00`;
}

/** A span of milliseconds in words: `850 ms`, `42 s`, `3 min 12 s`, `2 h 5 min`, `3 d 4 h`. */
export function span(ms) {
  if (typeof ms !== 'number' || !Number.isFinite(ms)) return '—';
  const abs = Math.abs(ms);
  if (abs < 1000) return `${Math.round(abs)} ms`;
  const s = Math.floor(abs / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return s % 60 ? `${m} min ${s % 60} s` : `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 48) return m % 60 ? `${h} h ${m % 60} min` : `${h} h`;
  const d = Math.floor(h / 24);
  return h % 24 ? `${d} d ${h % 24} h` : `${d} d`;
}

/** `3 min ago` / `in 3 min`, relative to now. */
export function relative(ms, now = Date.now()) {
  if (typeof ms !== 'number' || !Number.isFinite(ms)) return '';
  return ms <= now ? `${span(now - ms)} ago` : `in ${span(ms - now)}`;
}

/** A count with thousands separated by a thin space: 12 345. */
export function count(n) {
  return typeof n === 'number' && Number.isFinite(n) ? n.toLocaleString('en-US').replaceAll(',', '\u202f') : '—';
}
