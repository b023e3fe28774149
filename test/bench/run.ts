/**
 * `npm run bench -- NAME`: runs one benchmark (or all, without a name). Progress goes to
 * stdout; the last line is one JSON object with every figure, keyed by benchmark.
 */
import { runCrc64Bench } from './crc64.js';
import { runOssLocalBench } from './osslocal.js';

const BENCHES: Record<string, () => Promise<Record<string, number>>> = {
  osslocal: runOssLocalBench,
  crc64: runCrc64Bench,
};

const names = process.argv.slice(2);
const unknown = names.filter((name) => !(name in BENCHES));
if (unknown.length > 0) {
  process.stderr.write(
    `unknown benchmark ${unknown.join(', ')}; choose from: ${Object.keys(BENCHES).join(', ')}\n`,
  );
  process.exit(2);
}
const results: Record<string, Record<string, number>> = {};
for (const name of names.length > 0 ? names : Object.keys(BENCHES)) {
  process.stdout.write(`== ${name}\n`);
  results[name] = await (BENCHES[name] as () => Promise<Record<string, number>>)();
}
const summary = names.length === 1 ? { bench: names[0], ...results[names[0] as string] } : results;
process.stdout.write(`${JSON.stringify(summary)}\n`);
