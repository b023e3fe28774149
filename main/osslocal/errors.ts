/**
 * OSS error responses. Status codes and codes follow the OSS API reference; `EC` values
 * are stable per code so clients can log them, but they are ours, not Alibaba's.
 */
export class OssError extends Error {
  readonly status: number;
  readonly code: string;
  /** Extra elements of the error XML (for example ServerTime, StringToSign, Key). */
  readonly extra: Readonly<Record<string, string>>;
  /** Extra response headers (for example Retry-After). */
  readonly headers: Readonly<Record<string, string>>;

  constructor(
    status: number,
    code: string,
    message: string,
    extra: Record<string, string> = {},
    headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'OssError';
    this.status = status;
    this.code = code;
    this.extra = extra;
    this.headers = headers;
  }
}

const EC_BY_CODE: Readonly<Record<string, string>> = {
  AccessDenied: '0003-00000001',
  SignatureDoesNotMatch: '0002-00000040',
  InvalidAccessKeyId: '0002-00000030',
  RequestTimeTooSkewed: '0002-00000073',
  SecurityTokenExpired: '0002-00000035',
  InvalidSecurityToken: '0002-00000006',
  InvalidArgument: '0016-00000001',
  InvalidDigest: '0016-00000002',
  InvalidPart: '0042-00000002',
  InvalidPartOrder: '0042-00000003',
  EntityTooSmall: '0042-00000004',
  EntityTooLarge: '0016-00000004',
  MalformedXML: '0016-00000005',
  InvalidBucketName: '0015-00000001',
  InvalidObjectName: '0016-00000006',
  NoSuchKey: '0026-00000001',
  NoSuchBucket: '0015-00000002',
  NoSuchUpload: '0042-00000001',
  FileAlreadyExists: '0016-00000007',
  BucketAlreadyExists: '0015-00000003',
  BucketNotEmpty: '0015-00000004',
  MissingContentLength: '0016-00000008',
  InvalidRange: '0016-00000009',
  PreconditionFailed: '0016-00000010',
  MethodNotAllowed: '0016-00000011',
  NotImplemented: '0016-00000012',
  QpsLimitExceeded: '0001-00000001',
  ServiceUnavailable: '0001-00000002',
  InternalError: '0001-00000003',
};

export function ecFor(code: string): string {
  return EC_BY_CODE[code] ?? '0000-00000000';
}

export const errors = {
  accessDenied: (message = 'AccessDenied', extra: Record<string, string> = {}) =>
    new OssError(403, 'AccessDenied', message, extra),
  invalidArgument: (message: string, name?: string, value?: string) =>
    new OssError(
      400,
      'InvalidArgument',
      message,
      name === undefined ? {} : { ArgumentName: name, ArgumentValue: value ?? '' },
    ),
  invalidBucketName: (bucket: string) =>
    new OssError(400, 'InvalidBucketName', 'The specified bucket is not valid.', {
      BucketName: bucket,
    }),
  invalidObjectName: (message = 'The specified object is not valid.') =>
    new OssError(400, 'InvalidObjectName', message),
  noSuchBucket: (bucket: string) =>
    new OssError(404, 'NoSuchBucket', 'The specified bucket does not exist.', {
      BucketName: bucket,
    }),
  noSuchKey: (key: string) =>
    new OssError(404, 'NoSuchKey', 'The specified key does not exist.', { Key: key }),
  noSuchUpload: (uploadId: string) =>
    new OssError(
      404,
      'NoSuchUpload',
      'The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.',
      { UploadId: uploadId },
    ),
  malformedXml: (
    message = 'The XML you provided was not well-formed or did not validate against our published schema.',
  ) => new OssError(400, 'MalformedXML', message),
  invalidDigest: (message = 'The Content-MD5 you specified was invalid.') =>
    new OssError(400, 'InvalidDigest', message),
  notImplemented: (what: string) =>
    new OssError(501, 'NotImplemented', `${what} is not implemented by the local OSS server.`),
  methodNotAllowed: (method: string) =>
    new OssError(
      405,
      'MethodNotAllowed',
      'The specified method is not allowed against this resource.',
      {
        Method: method,
      },
    ),
  internal: (message = 'We encountered an internal error. Please try again.') =>
    new OssError(500, 'InternalError', message),
};
