import { Command, CommanderError } from 'commander';
import { EXIT, CliError } from './cli-error.js';
import { registerGet } from './commands/get.js';
import { registerJobs } from './commands/jobs.js';
import { registerLocalOss } from './commands/local-oss.js';
import { registerLs } from './commands/ls.js';
import { registerPairs } from './commands/pairs.js';
import { registerPut } from './commands/put.js';
import { registerServe } from './commands/serve.js';
import { registerSync } from './commands/sync.js';
import { errorText } from './error-text.js';
import { printable, scrub } from './output.js';

const program = new Command()
  .name('ossync')
  .description('OSSync: keep local folders in sync with Alibaba Cloud OSS buckets')
  .showHelpAfterError()
  .exitOverride();

// A closed pipe (`ossync ls ... | head`) ends the command the way SIGPIPE would; queued
// transfers stay queued for the next run.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(128 + 13);
  throw error;
});

registerPut(program);
registerGet(program);
registerLs(program);
registerSync(program);
registerPairs(program);
registerJobs(program);
registerLocalOss(program);
registerServe(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  // Commander has printed its own message (or the help); a wrong command line exits 2.
  if (error instanceof CommanderError) process.exit(error.exitCode === 0 ? 0 : EXIT.usage);
  process.stderr.write(`ossync: ${scrub(printable(errorText(error)))}\n`);
  process.exit(error instanceof CliError ? error.exitCode : EXIT.failed);
}
