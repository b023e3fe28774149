/**
 * Entry point of the scan worker thread (see scanLocal in scanner.ts): runs one walk per
 * 'scan' message, one at a time, and stays for the next one, so the frequent rescans after
 * watcher events do not pay for a thread start each. Errors thrown by a walk reach the main
 * thread as the worker's 'error' event (and end the thread).
 */
import { parentPort } from 'node:worker_threads';
import type { ScanWorkerData, ScanWorkerMessage } from './scan-batch.js';
import { ScanWalker } from './scan-walker.js';

export interface ScanRequest {
  type: 'scan';
  data: ScanWorkerData;
}

const port = parentPort;
if (port === null) throw new Error('scan-worker.ts runs only as a worker thread (see scanLocal)');
port.on('message', (request: ScanRequest) => {
  new ScanWalker(request.data, (message: ScanWorkerMessage, transfer) =>
    port.postMessage(message, transfer),
  ).run();
});
