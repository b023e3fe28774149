// User-facing text, per locale. A stand-in until the UI issue brings the real i18n library;
// keys stay stable so the move is mechanical.
export const LOCALES = ['en', 'zh-CN'] as const;
export type Locale = (typeof LOCALES)[number];

export interface Messages {
  productName: string;
  status: string;
}

export const messages: Readonly<Record<Locale, Messages>> = {
  en: {
    productName: 'OSSync',
    status: 'Getting ready: folder sync with OSS arrives in the next version.',
  },
  'zh-CN': {
    productName: 'OSSync',
    status: '准备中：下一个版本将支持文件夹与 OSS 同步。',
  },
};
