/**
 * The local server as "Storage on this computer" embeds it: on 127.0.0.1 only, one
 * generated key, the given buckets. The service layer (main/core) may not import
 * main/osslocal, so the programs that host the service (`ossync serve`, the desktop app)
 * pass this function to it (ServiceOptions.localServer).
 */
import { OssLocalServer } from './server.js';

export interface EmbeddedServerOptions {
  /** Where the server keeps its objects and metadata. */
  root: string;
  /** 0 for any free port. */
  port: number;
  accessKeyId: string;
  accessKeySecret: string;
  buckets: string[];
  region: string;
}

export function startEmbeddedServer(options: EmbeddedServerOptions): Promise<OssLocalServer> {
  return OssLocalServer.start({
    root: options.root,
    host: '127.0.0.1',
    port: options.port,
    credentials: [{ accessKeyId: options.accessKeyId, accessKeySecret: options.accessKeySecret }],
    buckets: options.buckets,
    region: options.region,
  });
}
