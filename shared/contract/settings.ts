/** Settings that persist: language, login item, log level, transfer limits. */
import { z } from 'zod';
import { transferLimitsSchema } from './transfers.js';

export const LANGUAGES = ['system', 'zh-CN', 'en'] as const;
export const LOG_LEVELS = ['error', 'warn', 'info', 'debug', 'trace'] as const;

export const settingsSchema = z.strictObject({
  /** 'system' follows the OS language (zh-CN when it is Chinese, English otherwise). */
  language: z.enum(LANGUAGES),
  /** Electron only; the headless host reports false and refuses true. */
  launchAtLogin: z.boolean(),
  logLevel: z.enum(LOG_LEVELS),
  /** Bandwidth and concurrency; the same values as transfers.getLimits. */
  limits: transferLimitsSchema,
});
export type SettingsDto = z.infer<typeof settingsSchema>;

export const settingsMethods = {
  'settings.get': { params: z.strictObject({}), result: settingsSchema },
  /** Only the fields given change; `limits` may itself be partial. */
  'settings.update': {
    params: z.strictObject({
      language: z.enum(LANGUAGES).optional(),
      launchAtLogin: z.boolean().optional(),
      logLevel: z.enum(LOG_LEVELS).optional(),
      limits: transferLimitsSchema.partial().optional(),
    }),
    result: settingsSchema,
  },
} as const;
