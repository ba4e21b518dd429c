import { parseArgs } from 'node:util';
import { InvalidInputError } from '../errors.js';

export interface ParsedArgs {
  readonly positionals: string[];
  /** `--some-name value` as `{ someName: value }`; flags as `true`. */
  readonly options: Record<string, string | true>;
}

/** Parses argv against the option names a command takes; anything else is an InvalidInputError
 * that names it. Values are validated afterwards by the command's schema. */
export function parseCommandLine(argv: readonly string[], values: readonly string[], flags: readonly string[] = []): ParsedArgs {
  try {
    const { values: parsed, positionals } = parseArgs({
      args: [...argv],
      options: {
        ...Object.fromEntries(values.map((name) => [name, { type: 'string' as const }])),
        ...Object.fromEntries(flags.map((name) => [name, { type: 'boolean' as const }])),
      },
      strict: true,
      allowPositionals: true,
    });
    const options: Record<string, string | true> = {};
    for (const [name, value] of Object.entries(parsed)) {
      if (value === undefined || value === false) continue;
      options[name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase())] = value as string | true;
    }
    return { positionals, options };
  } catch (err) {
    throw new InvalidInputError('command line', [err instanceof Error ? err.message : String(err)], { cause: err });
  }
}
