import type { Sample } from './simulate.js';

// A picture of a simulated (or recorded) run: read load on top; voters and observers, desired and
// actual, below; failed members and minutes without quorum marked in red.

const WIDTH = 960;
const PANEL = 170;
const LEFT = 60;
const TOP = 30;

export function renderRunSvg(title: string, samples: readonly Sample[]): string {
  const n = Math.max(1, samples.length - 1);
  const x = (i: number): number => LEFT + ((WIDTH - LEFT - 20) * i) / n;
  const maxLoad = Math.max(1, ...samples.map((s) => s.load));
  const maxServers = Math.max(1, ...samples.map((s) => Math.max(s.voters + s.observers, s.desiredVoters + s.desiredObservers)));
  const yLoad = (v: number): number => TOP + PANEL - (PANEL * v) / maxLoad;
  const yServers = (v: number): number => TOP + 2 * PANEL + 40 - (PANEL * v) / maxServers;
  const line = (values: number[], y: (v: number) => number, color: string, dash = ''): string =>
    `<polyline fill="none" stroke="${color}" stroke-width="1.5"${dash ? ` stroke-dasharray="${dash}"` : ''} points="${values.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(' ')}"/>`;
  const outages = samples
    .map((s, i) => (s.quorum ? '' : `<rect x="${x(i).toFixed(1)}" y="${TOP}" width="${Math.max(1, (WIDTH - LEFT) / n).toFixed(1)}" height="${2 * PANEL + 40}" fill="#f4cccc"/>`))
    .join('');
  const failures = samples.map((s, i) => (s.failures > 0 ? `<circle cx="${x(i).toFixed(1)}" cy="${yServers(0) - 4}" r="2.5" fill="#c00"/>` : '')).join('');
  const hours = samples.length > 120 ? Math.floor(samples.length / 60) : 0;
  const ticks = Array.from({ length: hours + 1 }, (_, h) => (h % Math.max(1, Math.ceil(hours / 12)) === 0 ? `<text x="${x(h * 60).toFixed(1)}" y="${TOP + 2 * PANEL + 58}" font-size="10" text-anchor="middle">${h}h</text>` : '')).join('');
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${TOP + 2 * PANEL + 70}" font-family="sans-serif">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${LEFT}" y="18" font-size="14" font-weight="bold">${escapeXml(title)}</text>`,
    outages,
    `<text x="8" y="${TOP + 12}" font-size="10">read req/s</text><text x="8" y="${TOP + 26}" font-size="10">max ${Math.round(maxLoad)}</text>`,
    line(samples.map((s) => s.load), yLoad, '#1f77b4'),
    `<text x="8" y="${TOP + PANEL + 52}" font-size="10">servers</text><text x="8" y="${TOP + PANEL + 66}" font-size="10">max ${maxServers}</text>`,
    line(samples.map((s) => s.desiredVoters + s.desiredObservers), yServers, '#999', '4 3'),
    line(samples.map((s) => s.voters + s.observers), yServers, '#2ca02c'),
    line(samples.map((s) => s.voters), yServers, '#ff7f0e'),
    failures,
    ticks,
    `<text x="${WIDTH - 330}" y="${TOP + PANEL + 30}" font-size="10"><tspan fill="#2ca02c">voters + observers</tspan>  <tspan fill="#ff7f0e">voters</tspan>  <tspan fill="#999">desired</tspan>  <tspan fill="#c00">failed member</tspan>  <tspan fill="#e06666">no quorum</tspan></text>`,
    '</svg>',
    '',
  ].join('\n');
}

function escapeXml(text: string): string {
  return text.replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c] ?? c);
}
