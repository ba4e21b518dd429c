#!/usr/bin/env node
// The CLI's entry (`npx zk-autoscaler ...`, and `npm start`): a composition root.
import { runCommand } from './commands.js';
import { ControllerError } from '../errors.js';
import { start } from './start.js';
import { terminalText } from './status.js';

const io = {
  out: (text: string) => process.stdout.write(`${text}\n`),
  err: (text: string) => process.stderr.write(`${text}\n`),
  tty: Boolean(process.stdout.isTTY),
};

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === 'start') {
    try {
      return await start(rest, io);
    } catch (err) {
      if (err instanceof ControllerError) {
        io.err(terminalText(`zk-autoscaler: ${err.message}`));
        return err.kind === 'invalid-input' ? 2 : 1;
      }
      throw err;
    }
  }
  return runCommand(argv, io);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    io.err(`zk-autoscaler: unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exit(1);
  },
);
