import { CommanderError } from 'commander';
import { EXIT, CliError } from './cli-error.js';
import { errorText } from './error-text.js';
import { printable, scrub } from './output.js';
import { createProgram } from './program.js';

const program = createProgram();

// A closed pipe (`ossync ls ... | head`) ends the command the way SIGPIPE would; queued
// transfers stay queued for the next run.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(128 + 13);
  throw error;
});

try {
  await program.parseAsync(process.argv);
} catch (error) {
  // Commander has printed its own message (or the help); a wrong command line exits 2.
  if (error instanceof CommanderError) process.exit(error.exitCode === 0 ? 0 : EXIT.usage);
  process.stderr.write(`ossync: ${scrub(printable(errorText(error)))}\n`);
  process.exit(error instanceof CliError ? error.exitCode : EXIT.failed);
}
