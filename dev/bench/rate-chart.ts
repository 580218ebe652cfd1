/**
 * Accepted and throttled calls per second over time, as a hand-written SVG: one panel per strategy (or
 * API) on shared axes, stacked bars (accepted below, throttled on top, so a bar's height is what was
 * sent) and the limit L as a dashed line. No browser, no plotting library: strings.
 */
import type { RateBins } from './rate-bins.ts';

/** One panel: a strategy's (or an API's) calls over time against its limit. */
export interface ChartPanel {
  /** Bold, at the panel's top left: the strategy or API. */
  readonly name: string;
  /** After the name: the figures that matter (goodput, throttled share). */
  readonly note: string;
  readonly bins: RateBins;
  readonly limitQps: number;
}

export interface RateChart {
  readonly title: string;
  readonly panels: readonly ChartPanel[];
}

const WIDTH = 760;
const LEFT = 56;
const RIGHT = 86;
const HEADER = 54;
const PANEL_TITLE = 20;
const PLOT_HEIGHT = 120;
const PANEL_GAP = 26;
const FOOTER = 44;
/** The y axis ends at this many times the largest L; taller bars are cut there and marked. */
const CLIP_AT_LIMITS = 3;
const ACCEPTED = '#2b6cb0';
const THROTTLED = '#dd6b20';
const FONT = "-apple-system, 'Segoe UI', Helvetica, Arial, sans-serif";

const fmt = (x: number) => String(Math.round(x * 10) / 10);

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** A round step that cuts `max` into at most `ticks` intervals. */
function niceStep(max: number, ticks: number): number {
  const steps = [1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000];
  return steps.find((s) => max / s <= ticks) ?? Math.ceil(max / ticks);
}

/** The highest rate sent in any bin, accepted and throttled together, calls per second. */
function peakRate(bins: RateBins): number {
  const r = ratesOf(bins);
  return Math.max(0, ...r.ok.map((ok, i) => ok + (r.throttled[i] ?? 0)));
}

function ratesOf(bins: RateBins): { ok: number[]; throttled: number[] } {
  const perSecond = 1000 / bins.binMs;
  return { ok: bins.ok.map((n) => n * perSecond), throttled: bins.throttled.map((n) => n * perSecond) };
}

/** The chart as a complete SVG document. */
export function rateChartSvg(chart: RateChart): string {
  const plotWidth = WIDTH - LEFT - RIGHT;
  const binMs = chart.panels[0]?.bins.binMs ?? 250;
  const spanS = Math.max(1, ...chart.panels.map((p) => (p.bins.ok.length * p.bins.binMs) / 1000));
  const limit = Math.max(...chart.panels.map((p) => p.limitQps));
  const peak = Math.max(limit * 1.2, ...chart.panels.map((p) => peakRate(p.bins)));
  // Beyond a few times L the picture only says "far too much"; clipping there keeps L's region readable.
  const shown = Math.min(peak, limit * CLIP_AT_LIMITS);
  const yStep = niceStep(shown, 5);
  const yMax = Math.ceil(shown / yStep) * yStep;
  const xStep = niceStep(spanS, 12);
  const xMax = Math.ceil(spanS / xStep) * xStep;
  const x = (s: number) => LEFT + (s / xMax) * plotWidth;
  const panelHeight = PANEL_TITLE + PLOT_HEIGHT + PANEL_GAP;
  const height = HEADER + chart.panels.length * panelHeight + FOOTER - PANEL_GAP;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="${FONT}" font-size="12">`,
    `<title>${escapeXml(chart.title)}</title>`,
    `<rect width="${WIDTH}" height="${height}" fill="#ffffff"/>`,
    `<text x="${LEFT}" y="20" font-size="15" font-weight="600" fill="#1a202c">${escapeXml(chart.title)}</text>`,
    ...legend(38, binMs),
  ];
  chart.panels.forEach((panel, i) => {
    const top = HEADER + i * panelHeight;
    out.push(...panelSvg(panel, top, { x, yMax, yStep, xMax, xStep }));
  });
  const axisY = HEADER + chart.panels.length * panelHeight - PANEL_GAP + 34;
  out.push(
    `<text x="${fmt(LEFT + plotWidth / 2)}" y="${axisY}" text-anchor="middle" fill="#2d3748">seconds since the first request</text>`,
    '</svg>',
    '',
  );
  return out.join('\n');
}

function legend(y: number, binMs: number): string[] {
  const item = (at: number, swatch: string, label: string) => [
    swatch.replace('{x}', String(at)),
    `<text x="${at + 18}" y="${y + 4}" fill="#2d3748">${escapeXml(label)}</text>`,
  ];
  return [
    ...item(LEFT, `<rect x="{x}" y="${y - 6}" width="12" height="12" fill="${ACCEPTED}"/>`, 'accepted'),
    ...item(LEFT + 90, `<rect x="{x}" y="${y - 6}" width="12" height="12" fill="${THROTTLED}"/>`, 'throttled'),
    `<line x1="${LEFT + 184}" y1="${y}" x2="${LEFT + 206}" y2="${y}" stroke="#1a202c" stroke-width="2" stroke-dasharray="6 3"/>`,
    `<text x="${LEFT + 212}" y="${y + 4}" fill="#2d3748">the API's limit L</text>`,
    `<text x="${WIDTH - RIGHT}" y="${y + 4}" text-anchor="end" fill="#4a5568">calls/s, ${binMs} ms bins, by send time</text>`,
  ];
}

/** The panel's figures, and where its bars are cut, the peak they reach. */
function panelNote(panel: ChartPanel, yMax: number): string {
  const peak = peakRate(panel.bins);
  return peak > yMax ? `${panel.note}; bars cut at ${yMax}/s, peak ${Math.round(peak)}/s` : panel.note;
}

interface Axes {
  readonly x: (s: number) => number;
  readonly yMax: number;
  readonly yStep: number;
  readonly xMax: number;
  readonly xStep: number;
}

function panelSvg(panel: ChartPanel, top: number, axes: Axes): string[] {
  const plotTop = top + PANEL_TITLE;
  const bottom = plotTop + PLOT_HEIGHT;
  const y = (rate: number) => bottom - (rate / axes.yMax) * PLOT_HEIGHT;
  const right = WIDTH - RIGHT;
  const out: string[] = [
    `<text x="${LEFT}" y="${top + 12}" fill="#1a202c"><tspan font-weight="600">${escapeXml(panel.name)}</tspan>` +
      `<tspan dx="10" fill="#4a5568">${escapeXml(panelNote(panel, axes.yMax))}</tspan></text>`,
  ];
  for (let v = 0; v <= axes.yMax; v += axes.yStep) {
    out.push(
      `<line x1="${LEFT}" y1="${fmt(y(v))}" x2="${right}" y2="${fmt(y(v))}" stroke="#e2e8f0"/>`,
      `<text x="${LEFT - 6}" y="${fmt(y(v) + 4)}" text-anchor="end" fill="#4a5568">${v}</text>`,
    );
  }
  out.push(
    `<text transform="translate(${LEFT - 40} ${fmt((plotTop + bottom) / 2)}) rotate(-90)" text-anchor="middle" fill="#4a5568">calls/s</text>`,
  );
  const rates = ratesOf(panel.bins);
  const binS = panel.bins.binMs / 1000;
  const width = Math.max(0.5, axes.x(binS) - axes.x(0) - 0.6);
  const bars: string[] = [];
  const notches: string[] = [];
  rates.ok.forEach((rawOk, i) => {
    const ok = Math.min(rawOk, axes.yMax);
    const throttled = Math.min(rates.throttled[i] ?? 0, axes.yMax - ok);
    const left = fmt(axes.x(i * binS));
    if (rawOk + (rates.throttled[i] ?? 0) > axes.yMax) {
      // A cut bar ends in a white notch, so it is not read as reaching exactly the top.
      notches.push(`<rect x="${left}" y="${fmt(y(axes.yMax) + 3)}" width="${fmt(width)}" height="2" fill="#ffffff"/>`);
    }
    if (ok > 0)
      bars.push(
        `<rect x="${left}" y="${fmt(y(ok))}" width="${fmt(width)}" height="${fmt(bottom - y(ok))}" fill="${ACCEPTED}"/>`,
      );
    if (throttled > 0) {
      bars.push(
        `<rect x="${left}" y="${fmt(y(ok + throttled))}" width="${fmt(width)}" height="${fmt(y(ok) - y(ok + throttled))}" fill="${THROTTLED}"/>`,
      );
    }
  });
  out.push(`<g shape-rendering="crispEdges">`, ...bars, ...notches, '</g>');
  for (let s = 0; s <= axes.xMax; s += axes.xStep) {
    out.push(
      `<line x1="${fmt(axes.x(s))}" y1="${bottom}" x2="${fmt(axes.x(s))}" y2="${bottom + 4}" stroke="#4a5568"/>`,
      `<text x="${fmt(axes.x(s))}" y="${bottom + 16}" text-anchor="middle" fill="#4a5568">${s}</text>`,
    );
  }
  const limitY = fmt(y(panel.limitQps));
  out.push(
    `<line x1="${LEFT}" y1="${bottom}" x2="${right}" y2="${bottom}" stroke="#4a5568"/>`,
    `<line x1="${LEFT}" y1="${limitY}" x2="${right}" y2="${limitY}" stroke="#1a202c" stroke-width="1.5" stroke-dasharray="6 3"/>`,
    `<text x="${right + 6}" y="${fmt(y(panel.limitQps) + 4)}" fill="#1a202c">L = ${panel.limitQps}/s</text>`,
  );
  return out;
}
