/**
 * Line charts for the results: drawn as SVG here, rendered to PNG by resvg (WebAssembly build, no
 * native module) with the DejaVu Sans font shipped in the dejavu-fonts-ttf package.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { initWasm, Resvg } from '@resvg/resvg-wasm';

export interface Series {
  name: string;
  color: string;
  dashed?: boolean;
  points: Array<[number, number]>;
}

export interface Chart {
  title: string;
  subtitle?: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
  logY?: boolean;
  /** Horizontal reference lines, e.g. the machine's core count as CPU %. */
  hLines?: Array<{ y: number; label: string }>;
}

const W = 960;
const H = 560;
const M = { l: 80, r: 30, t: 70, b: 110 };

function niceTicks(lo: number, hi: number, n = 6): number[] {
  const span = hi - lo || 1;
  const step0 = span / n;
  const mag = 10 ** Math.floor(Math.log10(step0));
  const step = [1, 2, 2.5, 5, 10].map((k) => k * mag).find((s) => s >= step0) ?? step0;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9 && out.length < 50; v += step) out.push(Math.round(v * 1e6) / 1e6);
  return out;
}

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const fmt = (v: number): string => (Math.abs(v) >= 1000 ? v.toLocaleString('en') : String(v));

export function lineChartSvg(c: Chart): string {
  const pts = c.series.flatMap((s) => s.points).concat((c.hLines ?? []).map((h) => [0, h.y] as [number, number]));
  const xs = pts.map((p) => p[0]);
  const ys = pts.map((p) => p[1]).filter((y) => !c.logY || y > 0);
  const xMax = Math.max(1, ...xs) * 1.05;
  const fy = c.logY ? (y: number): number => Math.log10(Math.max(y, 1e-3)) : (y: number): number => y;
  const yLo = c.logY ? Math.floor(Math.log10(Math.max(1e-3, Math.min(...ys, 1)))) : 0;
  const yHi = c.logY ? Math.ceil(Math.log10(Math.max(...ys, 1) * 1.2)) : Math.max(1, ...ys) * 1.1;
  const px = (x: number): number => M.l + (x / xMax) * (W - M.l - M.r);
  const py = (y: number): number => H - M.b - ((fy(y) - yLo) / (yHi - yLo)) * (H - M.t - M.b);
  const out: string[] = [`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="DejaVu Sans" font-size="13">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2}" y="28" text-anchor="middle" font-size="18" font-weight="bold">${esc(c.title)}</text>`];
  if (c.subtitle) out.push(`<text x="${W / 2}" y="50" text-anchor="middle" font-size="12" fill="#555">${esc(c.subtitle)}</text>`);
  for (const x of niceTicks(0, xMax)) {
    out.push(`<line x1="${px(x)}" y1="${M.t}" x2="${px(x)}" y2="${H - M.b}" stroke="#e4e4e4"/>`,
      `<text x="${px(x)}" y="${H - M.b + 18}" text-anchor="middle">${fmt(x)}</text>`);
  }
  const yTicks = c.logY ? Array.from({ length: yHi - yLo + 1 }, (_, i) => 10 ** (yLo + i)) : niceTicks(0, yHi);
  for (const y of yTicks) {
    out.push(`<line x1="${M.l}" y1="${py(y)}" x2="${W - M.r}" y2="${py(y)}" stroke="#e4e4e4"/>`,
      `<text x="${M.l - 8}" y="${py(y) + 4}" text-anchor="end">${fmt(Math.round(y * 1000) / 1000)}</text>`);
  }
  out.push(`<line x1="${M.l}" y1="${H - M.b}" x2="${W - M.r}" y2="${H - M.b}" stroke="#333"/>`, `<line x1="${M.l}" y1="${M.t}" x2="${M.l}" y2="${H - M.b}" stroke="#333"/>`,
    `<text x="${(M.l + W - M.r) / 2}" y="${H - M.b + 42}" text-anchor="middle" font-size="14">${esc(c.xLabel)}</text>`,
    `<text transform="translate(22 ${(M.t + H - M.b) / 2}) rotate(-90)" text-anchor="middle" font-size="14">${esc(c.yLabel)}${c.logY ? ' (log scale)' : ''}</text>`);
  for (const h of c.hLines ?? []) {
    out.push(`<line x1="${M.l}" y1="${py(h.y)}" x2="${W - M.r}" y2="${py(h.y)}" stroke="#999" stroke-dasharray="2 4"/>`,
      `<text x="${W - M.r - 4}" y="${py(h.y) - 5}" text-anchor="end" fill="#777" font-size="12">${esc(h.label)}</text>`);
  }
  for (const s of c.series) {
    const p = s.points.filter((q) => !c.logY || q[1] > 0);
    if (p.length === 0) continue;
    out.push(`<polyline fill="none" stroke="${s.color}" stroke-width="2.5"${s.dashed ? ' stroke-dasharray="8 5"' : ''} points="${p.map((q) => `${px(q[0]).toFixed(1)},${py(q[1]).toFixed(1)}`).join(' ')}"/>`,
      ...p.map((q) => `<circle cx="${px(q[0]).toFixed(1)}" cy="${py(q[1]).toFixed(1)}" r="4" fill="${s.color}"/>`));
  }
  c.series.forEach((s, i) => {
    const x = M.l + 10 + (i % 2) * 430;
    const y = H - 52 + Math.floor(i / 2) * 20;
    out.push(`<line x1="${x}" y1="${y - 4}" x2="${x + 30}" y2="${y - 4}" stroke="${s.color}" stroke-width="2.5"${s.dashed ? ' stroke-dasharray="8 5"' : ''}/>`,
      `<text x="${x + 38}" y="${y}">${esc(s.name)}</text>`);
  });
  out.push('</svg>');
  return out.join('\n');
}

let ready: Promise<void> | undefined;

export async function writeChartPng(c: Chart, file: string): Promise<void> {
  ready ??= initWasm(readFileSync(require.resolve('@resvg/resvg-wasm/index_bg.wasm')));
  await ready;
  const font = readFileSync(require.resolve('dejavu-fonts-ttf/ttf/DejaVuSans.ttf'));
  const svg = lineChartSvg(c);
  const png = new Resvg(svg, { font: { fontBuffers: [font], defaultFontFamily: 'DejaVu Sans', loadSystemFonts: false } as never, fitTo: { mode: 'original' } }).render().asPng();
  writeFileSync(file, png);
}
