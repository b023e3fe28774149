import { Command, CommanderError } from 'commander';
import { registerLocalOss } from './commands/local-oss.js';
import { registerServe } from './commands/serve.js';

const program = new Command()
  .name('ossync')
  .description('OSSync: keep local folders in sync with Alibaba Cloud OSS buckets')
  .showHelpAfterError()
  .exitOverride();

registerLocalOss(program);
registerServe(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) process.exit(error.exitCode);
  process.stderr.write(`ossync: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}
