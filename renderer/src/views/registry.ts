/**
 * The views the navigation offers, in order. Adding a view: write views/<name>-view.tsx,
 * add it here, and add `nav.<name>` to the common namespace in both languages.
 */
import type { ComponentType } from 'react';
import { ActivityView } from './activity-view.js';
import { BrowserView } from './browser-view.js';
import { FoldersView } from './folders-view.js';
import { SettingsView } from './settings-view.js';
import { StatusView } from './status-view.js';
import { TransfersView } from './transfers-view.js';

export const VIEW_IDS = [
  'status',
  'transfers',
  'browser',
  'folders',
  'settings',
  'activity',
] as const;
export type ViewId = (typeof VIEW_IDS)[number];

export interface ViewDefinition {
  id: ViewId;
  /** Key in the common namespace. */
  labelKey: `nav.${ViewId}`;
  Component: ComponentType;
}

export const VIEWS: readonly ViewDefinition[] = [
  { id: 'status', labelKey: 'nav.status', Component: StatusView },
  { id: 'transfers', labelKey: 'nav.transfers', Component: TransfersView },
  { id: 'browser', labelKey: 'nav.browser', Component: BrowserView },
  { id: 'folders', labelKey: 'nav.folders', Component: FoldersView },
  { id: 'settings', labelKey: 'nav.settings', Component: SettingsView },
  { id: 'activity', labelKey: 'nav.activity', Component: ActivityView },
];

export function isViewId(value: unknown): value is ViewId {
  return typeof value === 'string' && (VIEW_IDS as readonly string[]).includes(value);
}
