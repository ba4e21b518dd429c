import { z } from 'zod';
import { InvalidInputError, showValue } from '../errors.js';

/**
 * Parses `input` with `schema`, or throws InvalidInputError listing every problem as
 * `field: what is wrong (got value)`, so an operator can find the bad field without a debugger.
 */
export function parseOrThrow<S extends z.ZodType>(schema: S, input: unknown, source: string): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw new InvalidInputError(source, describeIssues(result.error, input), { cause: result.error });
}

function describeIssues(error: z.ZodError, input: unknown): string[] {
  return error.issues.map((issue) => {
    const field = issue.path.length === 0 ? '(root)' : issue.path.map(String).join('.');
    const value = valueAt(input, issue.path);
    const got = value.found ? ` (got ${showValue(value.value)})` : '';
    return `${field}: ${issue.message}${got}`;
  });
}

function valueAt(input: unknown, path: readonly PropertyKey[]): { found: boolean; value?: unknown } {
  let current: unknown = input;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return { found: false };
    if (!(key in current)) return { found: false };
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return { found: true, value: current };
}

/** JSON text into a value, or InvalidInputError naming where it came from. */
export function parseJsonText(text: string, source: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new InvalidInputError(source, [`(root): not JSON (${(err as Error).message})`], { cause: err });
  }
}
