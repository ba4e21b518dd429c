import type { StatusView } from '../controller/index.js';
import { clipText } from '../core/index.js';

// How `status` looks in a terminal. Every line goes through terminalText: report reasons, evidence
// and decisions carry text from operators, alarms and servers, and no escape code or stray line
// break of theirs reaches the terminal.

/** A terminal line's budget; longer text is cut (and marked). */
const LINE_BYTES = 2048;

/** `text` with its control characters replaced, each line kept a line. */
export function terminalText(text: string): string {
  return text
    .split('\n')
    .map((line) => clipText(line, LINE_BYTES))
    .join('\n');
}

export function renderStatus(view: StatusView): string {
  const pad = (text: string, width: number): string => text.padEnd(width);
  const lines = [
    `cluster ${view.cluster}${view.paused ? ' (PAUSED)' : ''}  config ${view.configVersion ?? 'unreadable'}  voters ${view.voters.synced}/${view.voters.count} synced (desired ${view.voters.desired})  observers ${view.observers.count} (desired ${view.observers.desired})${view.spares.desired > 0 || view.spares.count > 0 ? `  hot spares ${view.spares.synced}/${view.spares.count} synced (desired ${view.spares.desired})` : ''}`,
    `  ${pad('id', 4)}${pad('role', 9)}${pad('mode', 11)}${pad('health', 9)}${pad('zxid lag', 10)}${pad('latency', 10)}${pad('conns', 7)}${pad('outst.', 7)}${pad('zone', 12)}`,
    ...view.members.map(
      (m) =>
        `  ${pad(String(m.serverId), 4)}${pad(m.role, 9)}${pad(m.mode, 11)}${pad(m.health, 9)}${pad(m.zxidLag === undefined ? '-' : String(m.zxidLag), 10)}${pad(m.avgLatencyMs === undefined ? '-' : `${m.avgLatencyMs} ms`, 10)}${pad(m.connections === undefined ? '-' : String(m.connections), 7)}${pad(m.outstanding === undefined ? '-' : String(m.outstanding), 7)}${pad(m.zone ?? '-', 12)}${m.evidence}`,
    ),
    `operation: ${view.operation ?? 'none'}`,
    `decision:  ${view.decision}`,
    `next step: ${view.step}`,
    ...view.reports.map((r) => `report:    ${r}`),
  ];
  return lines.map((line) => clipText(line, LINE_BYTES)).join('\n');
}
