import type { ClusterSpec } from '../config/spec.js';

// Scheduled sizes: weekly windows in UTC. A window from 22:00 to 06:00 runs over midnight and
// belongs to the day it starts on.

type Schedule = ClusterSpec['schedules'][number];
const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;

export function activeSchedules(schedules: readonly Schedule[], now: number): Schedule[] {
  const date = new Date(now);
  const minute = date.getUTCHours() * 60 + date.getUTCMinutes();
  const today = DAYS[date.getUTCDay()] as Schedule['days'][number];
  const yesterday = DAYS[(date.getUTCDay() + 6) % 7] as Schedule['days'][number];
  return schedules.filter((s) => {
    const from = minutesOf(s.from);
    const to = minutesOf(s.to);
    if (from <= to) return s.days.includes(today) && minute >= from && minute < to;
    return (s.days.includes(today) && minute >= from) || (s.days.includes(yesterday) && minute < to);
  });
}

function minutesOf(clock: string): number {
  const [h = '0', m = '0'] = clock.split(':');
  return Number(h) * 60 + Number(m);
}
