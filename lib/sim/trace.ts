import { InvalidInputError } from '../errors.js';

// Load traces: CSV `minute,requests_per_second` (a header line is allowed), one row per minute.

export const MAX_TRACE_ROWS = 60 * 24 * 366;

export function parseTrace(text: string, source: string): number[] {
  const rows = text.split('\n').map((l) => l.trim()).filter((l) => l !== '');
  const issues: string[] = [];
  const values: number[] = [];
  rows.forEach((row, i) => {
    if (i === 0 && /^[a-z_ ,]+$/i.test(row)) return; // header
    const [minute, rps, ...rest] = row.split(',');
    if (rest.length > 0 || rps === undefined || !/^\d+$/.test(minute ?? '') || !/^\d+(\.\d+)?$/.test(rps.trim())) {
      if (issues.length < 5) issues.push(`line ${i + 1}: expected "minute,requests_per_second" (got ${JSON.stringify(row.slice(0, 60))})`);
      return;
    }
    if (Number(minute) !== values.length) {
      if (issues.length < 5) issues.push(`line ${i + 1}: minute ${minute} out of order (expected ${values.length})`);
      return;
    }
    values.push(Number(rps));
  });
  if (values.length === 0 && issues.length === 0) issues.push('rows: none');
  if (values.length > MAX_TRACE_ROWS) issues.push(`rows: ${values.length}, more than a year (${MAX_TRACE_ROWS})`);
  if (issues.length > 0) throw new InvalidInputError(source, issues);
  return values;
}
