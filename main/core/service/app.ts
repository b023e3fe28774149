/** The app.* and settings.* methods: facts about the host, the tray's status, settings. */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { ContractError, type SettingsDto } from '../../../shared/contract/index.js';
import type { Handlers, ServiceContext } from './context.js';
import type { createTransfers } from './transfers.js';

const SETTING_LANGUAGE = 'app.language';
const SETTING_LAUNCH = 'app.launchAtLogin';
const SETTING_LOG_LEVEL = 'app.logLevel';

/** What only the desktop app can do (main/electron passes it; the headless host has none). */
export interface DesktopActions {
  /** The system's folder picker; undefined when the person cancelled. */
  pickFolder(defaultPath: string | undefined): Promise<string | undefined>;
  /** Shows an existing local path selected in the system's file manager. */
  showInFolder(path: string): void;
}

export interface AppOptions {
  /** Which program hosts the service (app.info); 'headless' refuses launchAtLogin. */
  host: 'electron' | 'headless';
  version: string;
  desktop?: DesktopActions | undefined;
}

function desktopOnly(options: AppOptions, what: string): DesktopActions {
  if (options.desktop === undefined)
    throw new ContractError(
      'invalid-argument',
      `Only the desktop app can ${what}; here, type the folder's path instead.`,
    );
  return options.desktop;
}

export function createApp(
  ctx: ServiceContext,
  transfers: Pick<ReturnType<typeof createTransfers>, 'limits' | 'applyLimits'>,
  options: AppOptions,
) {
  const { settings } = ctx;

  function currentSettings(): SettingsDto {
    return {
      language: (settings.get(SETTING_LANGUAGE) as SettingsDto['language'] | undefined) ?? 'system',
      launchAtLogin: (settings.get(SETTING_LAUNCH) as boolean | undefined) ?? false,
      logLevel: (settings.get(SETTING_LOG_LEVEL) as SettingsDto['logLevel'] | undefined) ?? 'info',
      limits: transfers.limits(),
    };
  }

  const handlers: Handlers<'app.'> & Handlers<'settings.'> = {
    'app.info': async () => ({
      version: options.version,
      host: options.host,
      platform: process.platform,
    }),

    'app.status': async () => ctx.status(),

    'app.pickFolder': async ({ defaultPath }) => {
      const picked = await desktopOnly(options, 'open a folder picker').pickFolder(
        defaultPath !== undefined && path.isAbsolute(defaultPath) ? defaultPath : undefined,
      );
      return { path: picked ?? null };
    },

    'app.showInFolder': async ({ path: given }) => {
      const desktop = desktopOnly(options, 'show a file in the file manager');
      const subject = 'params.path';
      if (!path.isAbsolute(given))
        throw new ContractError('invalid-argument', `${given}: not an absolute path.`, { subject });
      if (!existsSync(given))
        throw new ContractError(
          'not-found',
          `${given} does not exist (any more): it was moved or deleted.`,
          { subject },
        );
      desktop.showInFolder(given);
      return {};
    },

    'settings.get': async () => currentSettings(),

    'settings.update': async (params) => {
      if (params.launchAtLogin === true && options.host === 'headless')
        throw new ContractError('invalid-argument', 'The headless host cannot launch at login.', {
          subject: 'params.launchAtLogin',
        });
      if (params.language !== undefined) settings.set(SETTING_LANGUAGE, params.language);
      if (params.launchAtLogin !== undefined) settings.set(SETTING_LAUNCH, params.launchAtLogin);
      if (params.logLevel !== undefined) {
        settings.set(SETTING_LOG_LEVEL, params.logLevel);
        ctx.logger.setLevel?.(params.logLevel);
      }
      if (params.limits !== undefined) await transfers.applyLimits(params.limits);
      return currentSettings();
    },
  };

  return { handlers, currentSettings };
}
