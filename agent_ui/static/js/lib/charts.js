// Hand-made SVG charts: a progress bar, a gauge (donut), horizontal bars and a stacked strip.
// Each carries a <title> and an aria-label so the figures are readable without the picture.
import { count } from './format.js';

const NS = 'http://www.w3.org/2000/svg';

function svg(tag, attrs = {}, ...children) {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  for (const c of children) el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return el;
}

function titled(root, text) {
  root.setAttribute('role', 'img');
  root.setAttribute('aria-label', text);
  root.prepend(svg('title', {}, text));
  return root;
}

export function repaidBar(repaid, total) {
  const share = total > 0 ? Math.max(0, Math.min(1, repaid / total)) : 0;
  const root = svg('svg', { viewBox: '0 0 200 14', class: 'chart bar', width: 200, height: 14 },
    svg('rect', { x: 0, y: 0, width: 200, height: 14, rx: 7, class: 'track' }),
    svg('rect', { x: 0, y: 0, width: Math.round(200 * share), height: 14, rx: 7, class: 'fill' }));
  return titled(root, `${Math.round(share * 100)}% repaid`);
}

// A ring gauge for a share (service level, abandon rate): `good` says whether high is good.
export function gauge(ratio, caption, { good = true, size = 96 } = {}) {
  const r = 40;
  const c = 2 * Math.PI * r;
  const v = Math.max(0, Math.min(1, Number(ratio) || 0));
  const tone = good ? (v >= 0.8 ? 'ok' : v >= 0.6 ? 'warn' : 'bad') : (v <= 0.05 ? 'ok' : v <= 0.15 ? 'warn' : 'bad');
  const root = svg('svg', { viewBox: '0 0 100 100', width: size, height: size, class: `chart gauge ${tone}` },
    svg('circle', { cx: 50, cy: 50, r, class: 'track' }),
    svg('circle', { cx: 50, cy: 50, r, class: 'fill', 'stroke-dasharray': `${c * v} ${c}`,
      transform: 'rotate(-90 50 50)' }),
    svg('text', { x: 50, y: 55, 'text-anchor': 'middle', class: 'value' }, `${Math.round(v * 100)}%`));
  return titled(root, `${caption}: ${Math.round(v * 1000) / 10}%`);
}

// Horizontal bars: items [{label, value, display?}]; `labelWidth` px for the labels on the left.
export function bars(items, caption, { width = 420, row = 22, labelWidth = 150 } = {}) {
  const max = Math.max(1, ...items.map((i) => Number(i.value) || 0));
  const labelW = labelWidth;
  const chars = Math.floor(labelW / 6.8);
  const height = Math.max(row, items.length * row);
  const shown = items.map((i) => String(i.display ?? count(i.value)));
  const valueW = Math.max(60, ...shown.map((t) => t.length * 7 + 12));  // the figure after the longest bar fits
  const root = svg('svg', { viewBox: `0 0 ${width} ${height}`, width, height, class: 'chart bars' });
  items.forEach((item, n) => {
    const w = Math.round(((Number(item.value) || 0) / max) * Math.max(40, width - labelW - valueW));
    const y = n * row;
    root.append(
      svg('text', { x: labelW - 6, y: y + row * 0.68, 'text-anchor': 'end', class: 'label' }, String(item.label).slice(0, chars)),
      svg('rect', { x: labelW, y: y + 3, width: Math.max(w, 1), height: row - 6, rx: 3, class: 'fill' }),
      svg('text', { x: labelW + w + 6, y: y + row * 0.68, class: 'value' }, shown[n]));
  });
  return titled(root, `${caption}: ${items.map((i) => `${i.label} ${i.display ?? count(i.value)}`).join(', ') || 'no data'}`);
}

// One strip split by category: segments [{key, label, value}] (agents by state).
export function strip(segments, caption, { width = 420, height = 18 } = {}) {
  const total = segments.reduce((a, s) => a + s.value, 0);
  const root = svg('svg', { viewBox: `0 0 ${width} ${height}`, width, height, class: 'chart strip' });
  let x = 0;
  for (const s of segments) {
    if (!s.value) continue;
    const w = total ? (s.value / total) * width : 0;
    root.append(svg('rect', { x, y: 0, width: w, height, class: `seg ${s.key}` }, svg('title', {}, `${s.label}: ${s.value}`)));
    x += w;
  }
  if (!total) root.append(svg('rect', { x: 0, y: 0, width, height, class: 'track' }));
  return titled(root, `${caption}: ${segments.map((s) => `${s.label} ${s.value}`).join(', ')}`);
}
