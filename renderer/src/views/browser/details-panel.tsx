/**
 * The details of the active file (objects.details: size, last modified, ETag, CRC64,
 * storage class, content type, user metadata) and, on request, a preview of its first
 * 256 KiB (objects.preview): an image through a blob: URL, text in a <pre>.
 */
import { useQuery } from '@tanstack/react-query';
import { useEffect, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { MAX_PREVIEW_BYTES } from '../../../../shared/contract/index.js';
import { useApi } from '../../api/api-context.js';
import { ErrorDisplay } from '../../components/error-display.js';
import { Loading } from '../../components/loading.js';
import { formatBytes, formatCount, formatDateTime } from '../../format.js';

const IMAGE_TYPES = /^image\/(png|jpeg|gif|webp|bmp|avif|svg\+xml|x-icon|vnd\.microsoft\.icon)$/i;
const TEXT_TYPES =
  /^(text\/.+|application\/(json|xml|javascript|x-yaml|yaml|toml|x-sh|sql|csv)|application\/.+\+(json|xml))$/i;
const TEXT_NAMES =
  /\.(txt|md|markdown|csv|tsv|log|json|jsonl|xml|ya?ml|toml|ini|conf|cfg|sh|py|js|ts|tsx|jsx|css|html?|sql|go|rs|java|c|h|cpp|properties|env)$/i;
const IMAGE_NAMES = /\.(png|jpe?g|gif|webp|bmp|avif|svg|ico)$/i;

export type PreviewKind = 'image' | 'text' | null;

/** Which preview a file gets, from its content type, else its name. */
export function previewKind(key: string, contentType: string | null): PreviewKind {
  const type = (contentType ?? '').split(';')[0]?.trim() ?? '';
  if (IMAGE_TYPES.test(type)) return 'image';
  if (TEXT_TYPES.test(type)) return 'text';
  if (type === '' || type === 'application/octet-stream' || type === 'binary/octet-stream') {
    if (IMAGE_NAMES.test(key)) return 'image';
    if (TEXT_NAMES.test(key)) return 'text';
  }
  return null;
}

function bytesOf(base64: string): Uint8Array<ArrayBuffer> {
  const binary = atob(base64);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i += 1) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

function imageType(key: string, contentType: string | null): string {
  const type = (contentType ?? '').split(';')[0]?.trim() ?? '';
  if (IMAGE_TYPES.test(type)) return type;
  const ext = /\.([a-z0-9]+)$/i.exec(key)?.[1]?.toLowerCase() ?? '';
  if (ext === 'svg') return 'image/svg+xml';
  if (ext === 'jpg') return 'image/jpeg';
  if (ext === 'ico') return 'image/x-icon';
  return `image/${ext}`;
}

export interface DetailsPanelProps {
  accountId: number;
  bucket: string;
  objectKey: string;
  onShare: () => void;
  onClose: () => void;
}

export function DetailsPanel({
  accountId,
  bucket,
  objectKey,
  onShare,
  onClose,
}: DetailsPanelProps) {
  const api = useApi();
  const { t, i18n } = useTranslation(['browser', 'common']);
  const locale = i18n.language;
  const [previewing, setPreviewing] = useState(false);
  const where = { accountId, bucket, key: objectKey };
  const details = useQuery({
    queryKey: ['objects.details', accountId, bucket, objectKey],
    queryFn: () => api['objects.details'](where),
  });
  const none = t('common:none');

  return (
    <section className="browser-details" aria-labelledby="browser-details-title">
      <div className="browser-details__head">
        <h2 id="browser-details-title">{t('details.title')}</h2>
        <button type="button" className="button" onClick={onClose}>
          {t('details.close')}
        </button>
      </div>
      <p className="cell-path">{`oss://${bucket}/${objectKey}`}</p>
      {details.isPending ? <Loading label={t('details.loading')} /> : null}
      {details.isError ? (
        <ErrorDisplay
          error={details.error}
          title={t('details.failed')}
          onRetry={() => void details.refetch()}
        />
      ) : null}
      {details.data !== undefined ? (
        <>
          <dl className="facts" data-testid="object-details">
            <dt>{t('details.size')}</dt>
            <dd>
              {formatBytes(details.data.size, locale)}
              <span className="cell-detail">
                {t('details.bytes', {
                  count: details.data.size,
                  formatted: formatCount(details.data.size, locale),
                })}
              </span>
            </dd>
            <dt>{t('details.lastModified')}</dt>
            <dd>{formatDateTime(details.data.lastModified, locale)}</dd>
            <dt>{t('details.etag')}</dt>
            <dd className="cell-path">{details.data.etag}</dd>
            <dt>{t('details.crc64')}</dt>
            <dd className="cell-path">{details.data.crc64 ?? none}</dd>
            <dt>{t('details.storageClass')}</dt>
            <dd>{details.data.storageClass ?? none}</dd>
            <dt>{t('details.contentType')}</dt>
            <dd>{details.data.contentType ?? none}</dd>
            <dt>{t('details.metadata')}</dt>
            <dd>
              {details.data.userMetadata.length === 0 ? (
                t('details.noMetadata')
              ) : (
                <dl className="browser-metadata">
                  {details.data.userMetadata.map(({ name, value }) => (
                    <div key={name}>
                      <dt>{name}</dt>
                      <dd className="cell-path">{value}</dd>
                    </div>
                  ))}
                </dl>
              )}
            </dd>
          </dl>
          <div className="toolbar">
            <button type="button" className="button" onClick={onShare}>
              {t('details.share')}
            </button>
            {previewKind(objectKey, details.data.contentType) !== null ? (
              <button
                type="button"
                className="button"
                aria-expanded={previewing}
                onClick={() => setPreviewing((shown) => !shown)}
              >
                {previewing ? t('preview.hide') : t('preview.show')}
              </button>
            ) : (
              <span className="browser-hint">{t('preview.unsupported')}</span>
            )}
          </div>
          {previewing ? (
            <Preview
              accountId={accountId}
              bucket={bucket}
              objectKey={objectKey}
              kind={previewKind(objectKey, details.data.contentType) ?? 'text'}
              size={details.data.size}
              contentType={details.data.contentType}
            />
          ) : null}
        </>
      ) : null}
    </section>
  );
}

interface PreviewProps {
  accountId: number;
  bucket: string;
  objectKey: string;
  kind: 'image' | 'text';
  size: number;
  contentType: string | null;
}

function Preview({ accountId, bucket, objectKey: key, kind, size, contentType }: PreviewProps) {
  const api = useApi();
  const { t, i18n } = useTranslation('browser');
  const tooBig = kind === 'image' && size > MAX_PREVIEW_BYTES;
  const preview = useQuery({
    queryKey: ['objects.preview', accountId, bucket, key],
    queryFn: () => api['objects.preview']({ accountId, bucket, key }),
    enabled: !tooBig,
    gcTime: 0,
  });
  const data = preview.data;
  const text = useMemo(() => {
    if (kind !== 'text' || data === undefined) return null;
    return new TextDecoder('utf-8').decode(bytesOf(data.data));
  }, [kind, data]);
  const [url, setUrl] = useState<string | null>(null);
  useEffect(() => {
    if (kind !== 'image' || data === undefined) return undefined;
    const blob = new Blob([bytesOf(data.data)], {
      type: imageType(key, data.contentType ?? contentType),
    });
    const made = URL.createObjectURL(blob);
    setUrl(made);
    return () => {
      URL.revokeObjectURL(made);
      setUrl(null);
    };
  }, [kind, data, key, contentType]);

  if (tooBig) {
    return (
      <p className="notice" data-testid="preview">
        {t('preview.tooBig', { limit: formatBytes(MAX_PREVIEW_BYTES, i18n.language) })}
      </p>
    );
  }
  if (preview.isPending) return <Loading label={t('preview.loading')} />;
  if (preview.isError) {
    return (
      <ErrorDisplay
        error={preview.error}
        title={t('preview.failed')}
        onRetry={() => void preview.refetch()}
      />
    );
  }
  return (
    <figure className="browser-preview" data-testid="preview">
      {kind === 'image' && url !== null ? (
        <img
          src={url}
          alt={t('preview.imageAlt', { name: key })}
          className="browser-preview__image"
        />
      ) : null}
      {text !== null ? (
        <pre
          className="browser-preview__text"
          tabIndex={0}
          aria-label={t('preview.textLabel', { name: key })}
        >
          {text}
        </pre>
      ) : null}
      {data?.truncated === true ? (
        <figcaption className="browser-hint">
          {t('preview.truncated', {
            shown: formatBytes(MAX_PREVIEW_BYTES, i18n.language),
            size: formatBytes(data.size, i18n.language),
          })}
        </figcaption>
      ) : null}
    </figure>
  );
}
