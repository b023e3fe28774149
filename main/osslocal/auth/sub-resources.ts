/**
 * OSS V1 sub-resources (the query parameters that enter the V1 CanonicalizedResource), and
 * the raw query-string model shared by the V1 and V4 canonicalizers.
 *
 * The list is the union of the official SDKs' lists (oss2 `_subresource_key_set`, Go SDK
 * `signKeyList`, Go SDK v2 `requiredSignedParametersMap`, Java `SignParameters`) and every
 * sub-resource ali-oss 6.23 puts in `subres`. Listing-only parameters (prefix, marker,
 * max-keys, delimiter, list-type, start-after, fetch-owner, encoding-type, key-marker,
 * upload-id-marker, max-uploads, max-parts, part-number-marker, ...) are not signed.
 */
const NAMES = [
  'acl',
  'append',
  'asyncFetch',
  'bucketInfo',
  'callback',
  'callback-var',
  'cloudboxes',
  'cname',
  'comp',
  'continuation-token',
  'cors',
  'delete',
  'encryption',
  'endTime',
  'group',
  'httpsConfig',
  'img',
  'inventory',
  'inventoryId',
  'lifecycle',
  'link',
  'live',
  'location',
  'logging',
  'metaQuery',
  'objectInfo',
  'objectMeta',
  'partNumber',
  'policy',
  'position',
  'publicAccessBlock',
  'qos',
  'qosInfo',
  'qosRequester',
  'redundancyTransition',
  'referer',
  'regionList',
  'replication',
  'replicationLocation',
  'replicationProgress',
  'requestPayment',
  'requesterQosInfo',
  'resourceGroup',
  'resourcePool',
  'resourcePoolBuckets',
  'resourcePoolInfo',
  'response-cache-control',
  'response-content-disposition',
  'response-content-encoding',
  'response-content-language',
  'response-content-type',
  'response-expires',
  'restore',
  'security-token',
  'sequential',
  'startTime',
  'stat',
  'status',
  'style',
  'styleName',
  'symlink',
  'tagging',
  'transferAcceleration',
  'udf',
  'udfApplication',
  'udfApplicationLog',
  'udfId',
  'udfImage',
  'udfImageDesc',
  'udfName',
  'uploadId',
  'uploads',
  'versionId',
  'versioning',
  'versions',
  'vod',
  'website',
  'worm',
  'wormExtend',
  'wormId',
  'x-oss-ac-forward-allow',
  'x-oss-ac-source-ip',
  'x-oss-ac-subnet-mask',
  'x-oss-ac-vpc-id',
  'x-oss-access-point-name',
  'x-oss-async-process',
  'x-oss-process',
  'x-oss-redundancy-transition-taskid',
  'x-oss-request-payer',
  'x-oss-target-redundancy-type',
  'x-oss-traffic-limit',
  'x-oss-write-get-object-response',
] as const;

export const SUB_RESOURCES: ReadonlySet<string> = new Set<string>(NAMES);

/**
 * Whether a query parameter is signed in V1. Besides the fixed list, the Go SDK v2 (the
 * newest official signer) signs every `x-oss-*` query parameter, so we do too: the other
 * SDKs only ever send x-oss-* parameters that are already in the list.
 */
export function isSubResource(name: string): boolean {
  return SUB_RESOURCES.has(name) || name.startsWith('x-oss-');
}

export interface QueryParam {
  /** Decoded name. */
  name: string;
  /** Decoded value ('' when absent or empty). */
  value: string;
}

/**
 * Splits a raw query string into decoded parameters, in received order. `k`, `k=` and an
 * empty value are the same to OSS (both official v2 SDKs canonicalize them alike).
 */
export function parseRawQuery(rawQuery: string): QueryParam[] {
  const params: QueryParam[] = [];
  for (const part of rawQuery.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const rawName = eq === -1 ? part : part.slice(0, eq);
    const rawValue = eq === -1 ? '' : part.slice(eq + 1);
    params.push({ name: percentDecode(rawName), value: percentDecode(rawValue) });
  }
  return params;
}

/** The first parameter with this decoded name, if any. */
export function queryGet(params: readonly QueryParam[], name: string): string | undefined {
  return params.find((p) => p.name === name)?.value;
}

/**
 * Percent-decodes as a form value ('+' is a space, as in the Go SDK v2 canonicalizer).
 * Never throws: malformed escapes stay literal, invalid UTF-8 becomes U+FFFD, so a bad
 * query ends in SignatureDoesNotMatch rather than a 500.
 */
export function percentDecode(s: string): string {
  if (!s.includes('%') && !s.includes('+')) return s;
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (
      c === 0x25 /* % */ &&
      i + 2 < s.length &&
      isHex(s.charCodeAt(i + 1)) &&
      isHex(s.charCodeAt(i + 2))
    ) {
      bytes.push(parseInt(s.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (c === 0x2b /* + */) {
      bytes.push(0x20);
    } else {
      // Copy the code point (a surrogate pair included) as UTF-8.
      const cp = s.codePointAt(i) ?? c;
      const chunk = String.fromCodePoint(cp);
      for (const b of Buffer.from(chunk, 'utf8')) bytes.push(b);
      i += chunk.length - 1;
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

function isHex(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
}
