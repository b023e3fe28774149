/**
 * The baseline the local OSS server is measured against: a minimal node:http server that
 * discards PUT bodies, serves GET bodies from memory, and answers a listing with a
 * pre-rendered 1,000-key page. Run as a child process; prints its port on the first line.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

const bigSize = Number(process.argv[2] ?? 256 * 1024 * 1024);
const big = Buffer.alloc(bigSize, 7);
const listing = Buffer.from(
  '<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult>' +
    Array.from(
      { length: 1000 },
      (_, i) =>
        `<Contents><Key>dir/${String(i).padStart(7, '0')}.bin</Key><LastModified>2026-01-01T00:00:00.000Z</LastModified><ETag>"5EB63BBBE01EEED093CB22BB8F5ACDC3"</ETag><Type>Normal</Type><Size>4096</Size><StorageClass>Standard</StorageClass></Contents>`,
    ).join('') +
    '</ListBucketResult>',
);

const server = createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
  if (req.method === 'PUT') {
    req.on('data', () => {});
    req.on('end', () => {
      res.writeHead(200, { 'Content-Length': '0' });
      res.end();
    });
    return;
  }
  const body = req.url?.startsWith('/list') ? listing : big;
  res.writeHead(200, { 'Content-Length': String(body.length) });
  res.end(body);
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`listening on http://127.0.0.1:${(server.address() as AddressInfo).port}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
