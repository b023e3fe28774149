import { isCoreError } from '../core/errors.js';
import { describeError } from './progress-display.js';

/** One line for an error the command cannot get past: the core's message, its code, the request id. */
export function errorText(error: unknown): string {
  if (isCoreError(error))
    return describeError({
      code: error.code,
      message: error.message,
      ...(error.requestId === undefined ? {} : { requestId: error.requestId }),
    });
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0] ?? message;
}
