import { XMLParser } from 'fast-xml-parser';

/** A child element: `[name, text | children]`; undefined children are left out. */
export type XmlChild = readonly [string, XmlValue] | undefined;
export type XmlValue = string | number | boolean | readonly XmlChild[];

const XML_HEADER = '<?xml version="1.0" encoding="UTF-8"?>\n';

export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => {
    switch (c) {
      case '&':
        return '&amp;';
      case '<':
        return '&lt;';
      case '>':
        return '&gt;';
      case '"':
        return '&quot;';
      default:
        return '&apos;';
    }
  });
}

function render(name: string, value: XmlValue, out: string[]): void {
  out.push('<', name, '>');
  if (typeof value === 'object') {
    for (const child of value) if (child) render(child[0], child[1], out);
  } else {
    out.push(escapeXml(String(value)));
  }
  out.push('</', name, '>');
}

/** Renders a whole document with the XML declaration OSS sends. */
export function xmlDocument(root: string, value: XmlValue): string {
  const out: string[] = [XML_HEADER];
  render(root, value, out);
  return out.join('');
}

const parser = new XMLParser({
  ignoreAttributes: true,
  parseTagValue: false,
  trimValues: false,
  processEntities: true,
  // XML 1.0 (section 4.1) requires character references (`&#39;`, `&#x27;`) to be decoded,
  // and ali-oss's deleteMulti escapes `'` in keys as `&#39;`. fast-xml-parser decodes them
  // only with htmlEntities (which also accepts HTML's named entities: lenient, never wrong
  // for a well-formed document).
  htmlEntities: true,
  isArray: (name) => name === 'Object' || name === 'Part',
});

/** Parses a request body; returns undefined when it is not well-formed XML. */
export function parseXml(text: string): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = parser.parse(text, true);
    return typeof parsed === 'object' && parsed !== null
      ? (parsed as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** Text content of an element parsed with trimValues off (leading whitespace kept). */
export function xmlText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value && typeof value === 'object' && '#text' in value) return String(value['#text']);
  if (value === '' || (value && typeof value === 'object' && Object.keys(value).length === 0))
    return '';
  return undefined;
}
