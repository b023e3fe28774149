/**
 * `npm run bench -- NAME`: runs one benchmark (or all, without a name). Progress goes to
 * stdout; the last line is one JSON object with every figure, keyed by benchmark.
 */
import { runCrc64Bench } from './crc64.js';
import { runCrc64PoolBench } from './crc64-pool.js';
import { runOssLocalBench } from './osslocal.js';
import { runSyncBench } from './sync.js';
import { runTransferBench } from './transfer.js';
import { runUiBench } from './ui.js';

/** A benchmark's figures: numbers, plus whatever describes the setup (settings, ...). */
type Bench = () => Promise<Record<string, unknown>>;

const BENCHES: Record<string, Bench> = {
  osslocal: runOssLocalBench,
  crc64: runCrc64Bench,
  'crc64-pool': runCrc64PoolBench,
  transfer: runTransferBench,
  sync: (): Promise<Record<string, unknown>> => runSyncBench(),
  ui: runUiBench,
};

const names = process.argv.slice(2);
const unknown = names.filter((name) => !(name in BENCHES));
if (unknown.length > 0) {
  process.stderr.write(
    `unknown benchmark ${unknown.join(', ')}; choose from: ${Object.keys(BENCHES).join(', ')}\n`,
  );
  process.exit(2);
}
const results: Record<string, Record<string, unknown>> = {};
for (const name of names.length > 0 ? names : Object.keys(BENCHES)) {
  process.stdout.write(`== ${name}\n`);
  results[name] = await (BENCHES[name] as Bench)();
}
const summary = names.length === 1 ? { bench: names[0], ...results[names[0] as string] } : results;
process.stdout.write(`${JSON.stringify(summary)}\n`);
