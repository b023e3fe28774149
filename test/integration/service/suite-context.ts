/** What the parts of the service contract suite share (service-contract.test.ts builds it). */
import { expect } from 'vitest';
import {
  ContractError,
  type MethodName,
  type Params,
  type Result,
} from '../../../shared/contract/index.js';
import type { Service } from '../../../main/core/service/service.js';
import type { LocalOss } from '../../helpers/osslocal.js';

export type Call = <M extends MethodName>(method: M, params: Params<M>) => Promise<Result<M>>;

export interface SuiteContext {
  /** The method through the transport under test (in process or over the WebSocket). */
  call: Call;
  /** Every result, error and event the client received, as text. */
  seen: string[];
  /** The account in use (the local OSS server, `bucket` as its default bucket). */
  accountId: number;
  oss: LocalOss;
  bucket: string;
  /** A scratch folder for this test file. */
  work: string;
  /** The service itself, for looking behind the contract (its runtime, its data dir). */
  service: Service;
  dataDir: string;
}

/** Awaits a call that must fail with a ContractError of `code`. */
export async function refused(promise: Promise<unknown>, code: string): Promise<ContractError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(ContractError);
  expect((error as ContractError).code).toBe(code);
  return error as ContractError;
}
