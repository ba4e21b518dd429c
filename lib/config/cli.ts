import { z } from 'zod';

// Options of `npm start` (local mode). Parsed from argv by lib/cli; validated here.

export const StartOptionsSchema = z.object({
  /** Where local clusters keep their servers and state. */
  home: z.string().min(1).default('.zk-autoscaler'),
  cluster: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'must be 1-63 lowercase letters, digits or "-"')
    .default('local'),
  /** Servers run on `<prefix>.<id>`; any 127.a.b works on Linux, where all of 127/8 is loopback. */
  addressPrefix: z
    .string()
    .regex(/^127\.(25[0-5]|2[0-4]\d|1?\d?\d)\.(25[0-5]|2[0-4]\d|1?\d?\d)$/, 'must be "127.<a>.<b>"')
    .default('127.0.10'),
  voters: z.coerce.number().int().min(1).max(7).default(3),
});
export type StartOptions = z.output<typeof StartOptionsSchema>;
