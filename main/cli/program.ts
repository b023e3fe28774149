/**
 * The `ossync` command line as a commander program, built without running anything: main.ts
 * parses the process arguments with it, and test/unit/cli/cli-reference.test.ts checks that
 * docs/cli.md names every command and option it has (and none it lacks).
 */
import { Command } from 'commander';
import { registerGet } from './commands/get.js';
import { registerJobs } from './commands/jobs.js';
import { registerLocalOss } from './commands/local-oss.js';
import { registerLs } from './commands/ls.js';
import { registerPairs } from './commands/pairs.js';
import { registerPut } from './commands/put.js';
import { registerServe } from './commands/serve.js';
import { registerSync } from './commands/sync.js';

export function createProgram(): Command {
  const program = new Command()
    .name('ossync')
    .description('OSSync: keep local folders in sync with Alibaba Cloud OSS buckets')
    .showHelpAfterError()
    .exitOverride();
  registerPut(program);
  registerGet(program);
  registerLs(program);
  registerSync(program);
  registerPairs(program);
  registerJobs(program);
  registerLocalOss(program);
  registerServe(program);
  return program;
}
