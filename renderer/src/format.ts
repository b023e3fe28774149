/**
 * Numbers, sizes, speeds, durations and times for people, in the UI language. Units come
 * from Intl (CLDR), so they read naturally in both English and Chinese without strings here.
 */
/**
 * Intl formatters are costly to build (a CLDR lookup each) and these functions run for every
 * row a list paints, so each (locale, options) formatter is built once and kept.
 */
const formatters = new Map<string, unknown>();
function cached<T>(kind: string, locale: string, options: object, make: () => T): T {
  const key = `${kind}|${locale}|${JSON.stringify(options)}`;
  let formatter = formatters.get(key) as T | undefined;
  if (formatter === undefined) {
    formatter = make();
    formatters.set(key, formatter);
  }
  return formatter;
}
const numberFormat = (locale: string, options: Intl.NumberFormatOptions = {}) =>
  cached('number', locale, options, () => new Intl.NumberFormat(locale, options));
const dateTimeFormat = (locale: string, options: Intl.DateTimeFormatOptions) =>
  cached('date', locale, options, () => new Intl.DateTimeFormat(locale, options));
const listFormat = (locale: string, options: Intl.ListFormatOptions) =>
  cached('list', locale, options, () => new Intl.ListFormat(locale, options));
const relativeTimeFormat = (locale: string, options: Intl.RelativeTimeFormatOptions) =>
  cached('relative', locale, options, () => new Intl.RelativeTimeFormat(locale, options));

const BYTE_UNITS = ['byte', 'kilobyte', 'megabyte', 'gigabyte', 'terabyte', 'petabyte'] as const;

function scaled(bytes: number): { value: number; unit: (typeof BYTE_UNITS)[number] } {
  let value = bytes;
  let index = 0;
  while (Math.abs(value) >= 1024 && index < BYTE_UNITS.length - 1) {
    value /= 1024;
    index += 1;
  }
  return { value, unit: BYTE_UNITS[index] ?? 'byte' };
}

const digits = (value: number) => (value >= 100 || Number.isInteger(value) ? 0 : 1);

export function formatBytes(bytes: number, locale: string): string {
  const { value, unit } = scaled(bytes);
  return numberFormat(locale, {
    style: 'unit',
    unit,
    // 'short' has no plural for bytes in English ("6 byte"); 'long' says "6 bytes", "6字节".
    unitDisplay: unit === 'byte' ? 'long' : 'short',
    maximumFractionDigits: digits(value),
  }).format(value);
}

export function formatSpeed(bytesPerSecond: number, locale: string): string {
  const { value, unit } = scaled(bytesPerSecond);
  return numberFormat(locale, {
    style: 'unit',
    unit: `${unit}-per-second`,
    unitDisplay: 'short',
    maximumFractionDigits: digits(value),
  }).format(value);
}

export function formatCount(count: number, locale: string): string {
  return numberFormat(locale).format(count);
}

export function formatPercent(fraction: number, locale: string): string {
  return numberFormat(locale, { style: 'percent', maximumFractionDigits: 0 }).format(fraction);
}

/** A duration's two largest units: '1 hr, 5 min', '1小时5分钟', '42 sec'. */
export function formatDuration(seconds: number, locale: string): string {
  const total = Math.max(0, Math.round(seconds));
  const parts: [number, 'day' | 'hour' | 'minute' | 'second'][] = [
    [Math.floor(total / 86_400), 'day'],
    [Math.floor((total % 86_400) / 3600), 'hour'],
    [Math.floor((total % 3600) / 60), 'minute'],
    [total % 60, 'second'],
  ];
  const first = parts.findIndex(([value]) => value > 0);
  if (first === -1) return unit(0, 'second', locale);
  const shown = parts.slice(first, first + 2).filter(([value]) => value > 0);
  const texts = shown.map(([value, name]) => unit(value, name, locale));
  return listFormat(locale, { style: 'narrow', type: 'unit' }).format(texts);
}

function unit(value: number, name: string, locale: string): string {
  return numberFormat(locale, { style: 'unit', unit: name, unitDisplay: 'short' }).format(value);
}

export function formatDateTime(at: number, locale: string): string {
  return dateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short' }).format(at);
}

/** '5 minutes ago', '5分钟前' (now is injectable for tests). */
export function formatRelative(at: number, locale: string, now: number = Date.now()): string {
  const seconds = Math.round((at - now) / 1000);
  const format = relativeTimeFormat(locale, { numeric: 'auto' });
  const abs = Math.abs(seconds);
  if (abs < 60) return format.format(seconds, 'second');
  if (abs < 3600) return format.format(Math.round(seconds / 60), 'minute');
  if (abs < 86_400) return format.format(Math.round(seconds / 3600), 'hour');
  return format.format(Math.round(seconds / 86_400), 'day');
}
