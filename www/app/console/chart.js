// The last 24 hours as an inline SVG line chart, built node by node (no markup strings, no
// style attributes: the colours are classes of style.css), with the numbers as a table too.
import { el } from '../dom.js';
import { count, hourLabel } from './format.js';

const NS = 'http://www.w3.org/2000/svg';

/** The series drawn: key of an hour's counts, legend text. */
export const SERIES = [
  ['accepted', 'Accepted'],
  ['delivered', 'Delivered'],
  ['failed', 'Failed attempts'],
  ['refused', 'Refused'],
];

function svg(tag, attributes = {}, ...children) {
  const node = document.createElementNS(NS, tag);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, String(value));
  node.append(...children);
  return node;
}

// Drawing area, in viewBox units.
const W = 720;
const H = 220;
const LEFT = 44;
const RIGHT = 8;
const TOP = 10;
const BOTTOM = 26;

/** A round upper bound for the y axis: 1, 2, 5 times a power of ten. */
function ceiling(max) {
  if (max <= 4) return 4;
  const power = 10 ** Math.floor(Math.log10(max));
  for (const step of [1, 2, 5, 10]) if (step * power >= max) return step * power;
  return 10 * power;
}

/** The chart of `hours` (`[{ start, accepted, delivered, failed, refused }]`, oldest first). */
export function chart(hours) {
  const max = ceiling(Math.max(0, ...hours.flatMap((h) => SERIES.map(([key]) => h[key] ?? 0))));
  const plotW = W - LEFT - RIGHT;
  const plotH = H - TOP - BOTTOM;
  const x = (i) => LEFT + (hours.length <= 1 ? plotW / 2 : (i * plotW) / (hours.length - 1));
  const y = (v) => TOP + plotH - (v / max) * plotH;
  const root = svg('svg', {
    viewBox: `0 0 ${W} ${H}`,
    class: 'chart',
    role: 'img',
    'aria-labelledby': 'chart-title',
    'data-testid': 'chart',
  });
  root.append(svg('title', { id: 'chart-title' }, 'Accepted, delivered, failed attempts and refused, per hour, last 24 hours'));
  for (const fraction of [0, 0.5, 1]) {
    const value = max * fraction;
    root.append(
      svg('line', { x1: LEFT, x2: W - RIGHT, y1: y(value), y2: y(value), class: 'grid' }),
      svg('text', { x: LEFT - 6, y: y(value) + 4, class: 'axis end' }, count(value)),
    );
  }
  hours.forEach((hour, i) => {
    if (i % 3 === 0 || i === hours.length - 1) {
      const anchor = i === 0 ? 'start' : i === hours.length - 1 ? 'end' : 'middle';
      // Every 6 hours and the current one stay on a small screen; the others give way.
      const major = i % 6 === 0 || i === hours.length - 1 ? 'major' : 'minor';
      root.append(svg('text', { x: x(i), y: H - 8, class: `axis ${anchor} ${major}` }, hourLabel(hour.start)));
    }
  });
  for (const [key, label] of SERIES) {
    const points = hours.map((hour, i) => `${x(i).toFixed(1)},${y(hour[key] ?? 0).toFixed(1)}`).join(' ');
    const group = svg('g', { class: `series series-${key}`, 'data-series': key });
    group.append(svg('polyline', { points }));
    hours.forEach((hour, i) => {
      if ((hour[key] ?? 0) > 0) {
        group.append(
          svg('circle', { cx: x(i).toFixed(1), cy: y(hour[key]).toFixed(1), r: 3 }, svg('title', {}, `${hourLabel(hour.start)}: ${count(hour[key])} ${label.toLowerCase()}`)),
        );
      }
    });
    root.append(group);
  }
  const legend = el(
    'ul',
    { class: 'legend' },
    ...SERIES.map(([key, label]) => el('li', { class: `series-${key}` }, el('span', { class: 'swatch', 'aria-hidden': 'true' }), label)),
  );
  const table = el(
    'table',
    { class: 'numbers', 'data-testid': 'chart-table' },
    el('thead', {}, el('tr', {}, el('th', { scope: 'col' }, 'Hour'), ...SERIES.map(([, label]) => el('th', { scope: 'col' }, label)))),
    el(
      'tbody',
      {},
      ...hours.map((hour) =>
        el('tr', {}, el('th', { scope: 'row' }, hourLabel(hour.start)), ...SERIES.map(([key]) => el('td', {}, count(hour[key] ?? 0)))),
      ),
    ),
  );
  return el(
    'figure',
    { class: 'chart-box' },
    root,
    legend,
    el('details', {}, el('summary', {}, 'The numbers'), table),
  );
}
