export {
  OssLocalServer,
  type OssLocalServerOptions,
  type OssLocalStats,
  type RequestRecord,
} from './server.js';
export type { Credential, StsCredential } from './auth/types.js';
export type { FaultRule } from './faults/rules.js';
export { parseFaultRules } from './faults/rules.js';
export { OSS_OPERATIONS, type OssOperation } from './operations.js';
export { startEmbeddedServer, type EmbeddedServerOptions } from './embedded.js';
