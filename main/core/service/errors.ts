/**
 * What crosses the contract when something fails: a CoreError becomes a ContractError with
 * the same code, `errors.<code>` as its i18n key, core's own message (what exactly went
 * wrong, naming the path or key: the person's own paths and the server's words, with every
 * registered secret redacted and clipped to the contract's 2000 characters; the UI shows
 * the translated text for the code and this as the details), and the request id, OSS code
 * and subject. Anything else becomes 'unknown' with the generic
 * message; the detail goes to the log only.
 */
import {
  CONTRACT_ERROR_CODES,
  ContractError,
  isContractError,
  type ContractErrorCode,
  type SettingsDto,
} from '../../../shared/contract/index.js';
import { isCoreError } from '../errors.js';
import { redact } from '../secrets/secret-registry.js';

export interface ServiceLogger {
  debug(object: object, message: string): void;
  warn(object: object, message: string): void;
  error(object: object, message: string): void;
  /** Changes the level (settings.update applies logLevel through it when it is there). */
  setLevel?(level: SettingsDto['logLevel']): void;
}

export const silentServiceLogger: ServiceLogger = {
  debug: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

const KNOWN: ReadonlySet<string> = new Set(CONTRACT_ERROR_CODES);

export function isContractCode(code: string): code is ContractErrorCode {
  return KNOWN.has(code);
}

const clip = (value: string | undefined, max: number) =>
  value === undefined || value.length === 0 ? undefined : redact(value).slice(0, max);

export function toContractError(error: unknown, logger: ServiceLogger): ContractError {
  if (isContractError(error)) return error;
  if (isCoreError(error)) {
    const code = isContractCode(error.code) ? error.code : 'unknown';
    const details: { requestId?: string; ossCode?: string; subject?: string } = {};
    const requestId = clip(error.requestId, 128);
    const ossCode = clip(error.ossCode, 128);
    const subject = clip(error.subject, 4096);
    if (requestId !== undefined) details.requestId = requestId;
    if (ossCode !== undefined) details.ossCode = ossCode;
    if (subject !== undefined) details.subject = subject;
    logger.debug({ code, detail: redact(error.message) }, 'core error crossing the contract');
    return new ContractError(code, clip(error.message, 2000), details);
  }
  const detail = error instanceof Error ? error.message : String(error);
  logger.error({ detail: redact(detail) }, 'unexpected error in the service');
  return new ContractError('unknown');
}
