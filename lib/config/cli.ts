import { z } from 'zod';
import { ClusterNameSchema } from './spec.js';

// The CLI's options, per command. Parsed from argv by lib/cli (strings in), validated here.

const Common = {
  /** Where local clusters keep their servers and state. */
  home: z.string().min(1).default('.zk-autoscaler'),
  /** `aws`: the same actions on SSM (the region and credentials come from the AWS environment). */
  target: z.enum(['local', 'aws']).default('local'),
  cluster: ClusterNameSchema.default('local'),
  json: z.literal(true).optional(),
};

export const StartOptionsSchema = z.object({
  ...Common,
  /** Servers run on `<prefix>.<id>`; any 127.a.b works on Linux, where all of 127/8 is loopback. */
  addressPrefix: z
    .string()
    .regex(/^127\.(25[0-5]|2[0-4]\d|1?\d?\d)\.(25[0-5]|2[0-4]\d|1?\d?\d)$/, 'must be "127.<a>.<b>"')
    .default('127.0.10'),
  voters: z.coerce.number().int().min(1).max(7).default(3),
  /** Seconds between ticks. */
  interval: z.coerce.number().min(0.5).max(3600).default(3),
});
export type StartOptions = z.output<typeof StartOptionsSchema>;

export const CommonOptionsSchema = z.object(Common);
export type CommonOptions = z.output<typeof CommonOptionsSchema>;

export const LoadOptionsSchema = z.object({
  ...Common,
  /** Operations per second, in total. */
  rate: z.coerce.number().int().min(1).max(20_000),
  readsPct: z.coerce.number().int().min(0).max(100).default(90),
  /** How long to run; the generator always stops by itself. */
  seconds: z.coerce.number().int().min(1).max(3600).default(60),
  clients: z.coerce.number().int().min(1).max(64).default(4),
  /** Connect string; default: the cluster's published one. */
  connect: z.string().regex(/^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|localhost):\d{1,5}(,(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|localhost):\d{1,5})*$/, 'must be loopback host:port pairs').optional(),
});

export const SimulateOptionsSchema = z.object({
  /** CSV `minute,requests_per_second`. */
  trace: z.string().min(1),
  /** A cluster spec (JSON); default: 3 voters over 3 zones, observers tracking 1,000 req/s per server. */
  spec: z.string().min(1).optional(),
  /** Requests per second one server serves before it is under capacity. */
  capacity: z.coerce.number().positive().default(1500),
  failureRate: z.coerce.number().min(0).max(0.5).default(0),
  seed: z.coerce.number().int().min(0).default(1),
  /** `zone:fromMinute-toMinute`, e.g. `a:600-690`. */
  zoneOutage: z
    .string()
    .regex(/^[A-Za-z0-9-]+:\d+-\d+$/, 'must be zone:fromMinute-toMinute, e.g. a:600-690')
    .optional(),
  /** Where to write the picture (SVG; a PNG beside it when rsvg-convert is installed). */
  out: z.string().min(1).optional(),
  json: z.literal(true).optional(),
});
