// Two small SVG charts, drawn without a library: grouped horizontal bars and a
// Gantt chart. Each is an <svg role="img"> with a text summary; every bar has a
// <title> (shown on hover and read by screen readers) and the pages show the same
// numbers in a table beside the chart.

import { h } from "./common.js";

function svg(tag, attributes = {}, ...children) {
  return h(tag, { ...attributes, svg: true }, ...children);
}

// A round tick step (1, 2, 2.5 or 5 times a power of ten) giving at most six steps
// up to `max`.
function niceStep(max) {
  const raw = max / 6;
  const power = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 2.5, 5, 10].map((f) => f * power).find((step) => step >= raw);
}

// Grouped horizontal bars: one group per category, one bar per series.
// series: [{name, colour, values: [number per category]}]; values in 0..max.
export function barChart({ label, categories, series, max = null, format = (v) => String(v) }) {
  const rowH = 14;
  const gap = 10;
  const left = 110;
  const width = 640;
  const plotW = width - left - 70;
  const groupH = series.length * rowH + gap;
  const top = 24;
  const height = top + categories.length * groupH + 28;
  const all = series.flatMap((s) => s.values.filter((v) => v !== null && v !== undefined));
  const peak = max ?? Math.max(1e-12, ...all);
  const step = niceStep(peak);
  const end = Math.max(step, Math.ceil(peak / step - 1e-9) * step);
  const x = (v) => left + (plotW * Math.max(0, v)) / end;
  const ticks = [];
  for (let k = 0; k * step <= end + 1e-12; k += 1) ticks.push(k * step);
  const root = svg("svg", {
    viewBox: `0 0 ${width} ${height}`,
    width,
    height,
    role: "img",
    "aria-label": label,
  });
  root.append(svg("title", { text: label }));
  const grid = svg("g", { class: "grid" });
  for (const tick of ticks) {
    grid.append(svg("line", { x1: x(tick), x2: x(tick), y1: top - 4, y2: height - 24 }));
    grid.append(svg("text", { x: x(tick), y: height - 8, "text-anchor": "middle", text: format(tick) }));
  }
  root.append(grid);
  series.forEach((s, j) => {
    root.append(svg("rect", { x: left + j * 120, y: 4, width: 10, height: 10, fill: s.colour }));
    root.append(svg("text", { x: left + j * 120 + 14, y: 13, text: s.name }));
  });
  categories.forEach((category, i) => {
    const y0 = top + i * groupH;
    root.append(svg("text", { x: left - 6, y: y0 + (series.length * rowH) / 2 + 4, "text-anchor": "end", text: category }));
    series.forEach((s, j) => {
      const value = s.values[i];
      if (value === null || value === undefined) return;
      const bar = svg("rect", {
        class: "bar",
        x: left,
        y: y0 + j * rowH,
        width: Math.max(0.5, x(value) - left),
        height: rowH - 3,
        fill: s.colour,
      });
      bar.append(svg("title", { text: `${category}, ${s.name}: ${format(value)}` }));
      root.append(bar);
      root.append(svg("text", { x: x(value) + 4, y: y0 + j * rowH + rowH - 5, text: format(value) }));
    });
  });
  return h("div", { class: "chart" }, root);
}

// A Gantt chart. rows: [{label, bars: [{start, end, colour, title}]}] with times in
// ms since the epoch; start / end: the axis range (ms).
export function gantt({ label, rows, start, end }) {
  const rowH = 20;
  const left = 170;
  const width = 900;
  const plotW = width - left - 16;
  const top = 8;
  const height = top + rows.length * rowH + 30;
  const span = Math.max(1, end - start);
  const x = (t) => left + (plotW * (t - start)) / span;
  const root = svg("svg", { viewBox: `0 0 ${width} ${height}`, width, height, role: "img", "aria-label": label });
  root.append(svg("title", { text: label }));
  const hours = span / 3.6e6;
  const stepH = [1, 2, 3, 6, 12, 24, 48].find((s) => hours / s <= 12) || 96;
  const axis = svg("g", { class: "grid" });
  const first = Math.ceil(start / (stepH * 3.6e6)) * stepH * 3.6e6;
  for (let t = first; t <= end; t += stepH * 3.6e6) {
    axis.append(svg("line", { x1: x(t), x2: x(t), y1: top, y2: height - 24 }));
    const stamp = new Date(t).toISOString();
    const text = stepH >= 24 || new Date(t).getUTCHours() === 0 ? `${stamp.slice(5, 10)} ${stamp.slice(11, 16)}` : stamp.slice(11, 16);
    axis.append(svg("text", { x: x(t), y: height - 8, "text-anchor": "middle", text }));
  }
  root.append(axis);
  rows.forEach((row, i) => {
    const y = top + i * rowH;
    if (i % 2 === 1) root.append(svg("rect", { x: 0, y, width, height: rowH, fill: "#f3f5f8" }));
    root.append(svg("text", { x: left - 6, y: y + rowH / 2 + 4, "text-anchor": "end", text: row.label }));
    for (const bar of row.bars) {
      const x0 = x(Math.max(bar.start, start));
      const x1 = x(Math.min(bar.end, end));
      const rect = svg("rect", {
        class: "bar",
        x: x0,
        y: y + 3,
        width: Math.max(2, x1 - x0),
        height: rowH - 6,
        rx: 2,
        fill: bar.colour,
      });
      rect.append(svg("title", { text: bar.title }));
      root.append(rect);
    }
  });
  root.append(svg("text", { x: left - 44, y: height - 8, "text-anchor": "end", text: "UTC" }));
  return h("div", { class: "chart" }, root);
}
