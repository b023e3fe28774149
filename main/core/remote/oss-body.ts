import type { IncomingMessage } from 'node:http';
import { Transform, type Readable } from 'node:stream';
import { CoreError, isCoreError } from '../errors.js';
import type { OssCall } from './oss-call.js';
import { describeTarget, toCoreError, type OssErrorContext } from './oss-errors.js';
import type { UploadBody } from './remote-store.js';

/**
 * Request and response bodies of a call: the upload body must have exactly the size
 * announced in Content-Length, and a download must deliver every byte it announced.
 * Either side failing ends the call with a CoreError.
 */

/**
 * The stream to give ali-oss for an upload: the caller's stream, checked to carry exactly
 * `body.size` bytes. A shorter or longer stream means the file changed while it was read;
 * sent as is, a short body would leave the request hanging until the server gives up.
 */
export function guardUploadBody(
  call: OssCall,
  body: UploadBody,
  context: OssErrorContext,
): Readable {
  let sent = 0;
  const changed = (): CoreError =>
    new CoreError(
      'file-changed',
      `The data for ${describeTarget(context)} was ${sent > body.size ? 'longer' : 'shorter'} than the ${body.size} bytes announced (${sent} read): the file changed while it was uploaded; it will be read again.`,
      { subject: context.key },
    );
  const guard = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      sent += chunk.length;
      if (sent > body.size) callback(changed());
      else callback(null, chunk);
    },
    flush(callback) {
      callback(sent === body.size ? null : changed());
    },
  });
  body.stream.on('error', (error) => call.fail(localBodyError(error, context)));
  guard.on('error', (error) =>
    call.fail(isCoreError(error) ? error : localBodyError(error, context)),
  );
  call.track(body.stream, false);
  call.track(guard, false);
  body.stream.pipe(guard);
  return guard;
}

function localBodyError(error: unknown, context: OssErrorContext): CoreError {
  return isCoreError(error) ? error : toCoreError(error, context);
}

/**
 * The stream handed to the caller for a download. It fails with `incomplete-body` when the
 * response ends before Content-Length bytes, and with the call's failure (cancelled,
 * timeout) when the call is ended; destroying it releases the connection.
 */
export function guardDownloadBody(
  call: OssCall,
  response: IncomingMessage,
  expected: number | undefined,
  context: OssErrorContext,
): Readable {
  let received = 0;
  const incomplete = (): CoreError =>
    new CoreError(
      'incomplete-body',
      `The download of ${describeTarget(context)} ended early (${received} of ${expected ?? '?'} bytes): it will be retried.`,
      { subject: context.key },
    );
  const out = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      received += chunk.length;
      callback(null, chunk);
    },
    flush(callback) {
      callback(expected !== undefined && received !== expected ? incomplete() : null);
    },
  });
  const broken = (): void => {
    if (!out.destroyed) out.destroy(call.failure ?? incomplete());
  };
  response.on('error', broken);
  response.on('aborted', broken);
  response.on('close', () => {
    if (!response.complete) broken();
  });
  out.on('close', () => {
    // Read to the end, failed, or dropped by the caller: either way the call is over.
    if (!response.destroyed && !response.complete) response.destroy();
    call.dispose();
  });
  // A caller that dropped the stream without a listener must not crash the process when
  // the call is ended later; readers (pipeline, for await) attach their own and see it.
  out.on('error', () => undefined);
  call.track(out, true);
  call.track(response, false);
  response.pipe(out);
  return out;
}
