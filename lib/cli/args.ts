import { parseArgs } from 'node:util';
import { InvalidInputError } from '../errors.js';

/** `--some-name value` options into `{ someName: value }` (validated afterwards by a schema); unknown
 * or malformed arguments are an InvalidInputError naming them. */
export function parseOptions(argv: readonly string[], names: readonly string[]): Record<string, string> {
  try {
    const { values } = parseArgs({
      args: [...argv],
      options: Object.fromEntries(names.map((name) => [name, { type: 'string' as const }])),
      strict: true,
      allowPositionals: false,
    });
    return Object.fromEntries(
      Object.entries(values)
        .filter((e): e is [string, string] => typeof e[1] === 'string')
        .map(([name, value]) => [name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase()), value]),
    );
  } catch (err) {
    throw new InvalidInputError('command line', [err instanceof Error ? err.message : String(err)], { cause: err });
  }
}
