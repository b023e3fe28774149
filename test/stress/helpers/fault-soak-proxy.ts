import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { createConnection, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy in front of the local OSS server, for the fault soak's outage: `down()` closes
 * its listening socket and cuts every connection through it (the endpoint is unreachable:
 * new connections are refused, requests in flight die mid-body), `up()` listens again on the
 * same port. The server behind it keeps its data, its fault rules and its counters.
 */
export interface OutageProxy {
  port: number;
  /** Connections accepted since the start (each one reached the server). */
  readonly accepted: number;
  down(): Promise<void>;
  up(): Promise<void>;
  close(): Promise<void>;
}

export async function startOutageProxy(targetPort: number): Promise<OutageProxy> {
  const sockets = new Set<Socket>();
  let accepted = 0;
  let server: Server | undefined;
  let port = 0;
  const listen = async (): Promise<void> => {
    const next = createServer((client) => {
      accepted++;
      const upstream = createConnection({ host: '127.0.0.1', port: targetPort });
      sockets.add(client);
      sockets.add(upstream);
      const end = (): void => {
        client.destroy();
        upstream.destroy();
        sockets.delete(client);
        sockets.delete(upstream);
      };
      client.on('error', end).on('close', end);
      upstream.on('error', end).on('close', end);
      client.pipe(upstream);
      upstream.pipe(client);
    });
    await new Promise<void>((resolve, reject) => {
      next.once('error', reject);
      next.listen(port, '127.0.0.1', () => resolve());
    });
    const address = next.address();
    if (address === null || typeof address === 'string') throw new Error('proxy has no port');
    port = address.port;
    server = next;
  };
  await listen();
  const stop = async (): Promise<void> => {
    const current = server;
    server = undefined;
    if (current === undefined) return;
    const closed = new Promise<void>((resolve) => current.close(() => resolve()));
    // resetAndDestroy: an RST, as a dropped link or a dead server looks to the client.
    for (const socket of sockets) socket.resetAndDestroy();
    sockets.clear();
    await closed;
  };
  return {
    get port() {
      return port;
    },
    get accepted() {
      return accepted;
    },
    down: stop,
    async up() {
      if (server !== undefined) return;
      // The port was ours a moment ago; another process may take it meanwhile (rare): retry.
      for (let attempt = 0; ; attempt++) {
        try {
          await listen();
          return;
        } catch (error) {
          if (attempt >= 50) throw error;
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      }
    },
    close: stop,
  };
}

/**
 * Counts the TCP connections this process opens (Node's `net.client.socket` channel): while
 * the proxy is down the app's requests never reach the server, so its connection attempts
 * are what shows whether its backoff spins. Every client socket counts; during an outage the
 * app is the only client in the process (the test's own client stays quiet then).
 */
export function countConnectionAttempts(): { readonly times: number[]; stop(): void } {
  const times: number[] = [];
  const listener = (): void => {
    times.push(performance.now());
  };
  subscribe('net.client.socket', listener);
  return {
    times,
    stop: () => unsubscribe('net.client.socket', listener),
  };
}
