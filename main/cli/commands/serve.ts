import type { Command } from 'commander';

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('run OSSync headless with its UI in a browser')
    .option('--port <port>', 'port to listen on', '0')
    .option('--host <host>', 'address to bind', '127.0.0.1')
    .option('--data-dir <dir>', 'where OSSync keeps its state')
    .action(() => {
      throw new Error(
        'The headless host is not built yet (it arrives with the app-shell issue); for now run `npm run local-oss -- --root DIR --bucket NAME` to use storage on this computer.',
      );
    });
}
