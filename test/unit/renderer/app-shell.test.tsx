// @vitest-environment jsdom
// The app shell: landmarks, navigation between the views with focus on the new heading,
// the language switch (runtime change, persisted with settings.update), the connection
// banner, and reloading after a reconnect.
import '@testing-library/jest-dom/vitest';
import { act, render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import type { SettingsDto } from '../../../shared/contract/index.js';
import { App } from '../../../renderer/src/app.js';
import { createI18n } from '../../../renderer/src/i18n/setup.js';
import { LiveTransfers } from '../../../renderer/src/live/live-transfers.js';
import { createQueryClient, Providers } from '../../../renderer/src/providers.js';
import { VIEWS } from '../../../renderer/src/views/registry.js';
import { createFakeApi } from './helpers/fake-api.js';
import { ManualFrames, useDomLayout } from './helpers/render.js';
import { appStatus } from './helpers/samples.js';

const SETTINGS: SettingsDto = {
  language: 'system',
  launchAtLogin: false,
  logLevel: 'info',
  limits: {
    maxFiles: 4,
    maxPartsPerFile: 4,
    maxParts: 16,
    uploadBytesPerSecond: null,
    downloadBytesPerSecond: null,
  },
};

function renderApp(fake = createFakeApi(defaults())) {
  const i18n = createI18n('en');
  render(
    <Providers
      api={fake.api}
      i18n={i18n}
      queryClient={createQueryClient()}
      live={new LiveTransfers(new ManualFrames())}
    >
      <App />
    </Providers>,
  );
  return { fake, i18n };
}

function defaults() {
  let settings = SETTINGS;
  return {
    'settings.get': async () => settings,
    'settings.update': async (changes: Partial<SettingsDto>) => {
      settings = { ...settings, ...changes } as SettingsDto;
      return settings;
    },
    'pairs.list': async () => ({ pairs: [] }),
    'app.status': async () => appStatus(),
    'transfers.list': async () => ({ items: [], nextCursor: null, total: 0 }),
  } as const;
}

describe('App shell', () => {
  useDomLayout();

  it('has a banner, a labelled navigation and a main region named by the view', async () => {
    renderApp();
    expect(screen.getByRole('banner')).toHaveTextContent('OSSync');
    const nav = screen.getByRole('navigation', { name: 'Main' });
    const items = within(nav).getAllByRole('button');
    expect(items.map((item) => item.textContent)).toEqual([
      'Status',
      'Transfers',
      'Browser',
      'Folders',
      'Settings',
      'Activity',
    ]);
    expect(items).toHaveLength(VIEWS.length);
    expect(within(nav).getByRole('button', { name: 'Status' })).toHaveAttribute(
      'aria-current',
      'page',
    );
    expect(screen.getByRole('main', { name: 'Status' })).toBeInTheDocument();
    expect(screen.getByRole('link', { name: 'Skip to content' })).toBeInTheDocument();
    await screen.findByText(/No folders are synced yet/);
  });

  it('navigates between views and moves focus to the new heading', async () => {
    renderApp();
    const nav = screen.getByRole('navigation', { name: 'Main' });
    await userEvent.click(within(nav).getByRole('button', { name: 'Transfers' }));
    const heading = screen.getByRole('heading', { level: 1, name: 'Transfers' });
    expect(heading).toHaveFocus();
    expect(screen.getByRole('main', { name: 'Transfers' })).toBeInTheDocument();
    expect(within(nav).getByRole('button', { name: 'Transfers' })).toHaveAttribute(
      'aria-current',
      'page',
    );
    expect(within(nav).getByRole('button', { name: 'Status' })).not.toHaveAttribute('aria-current');
    expect(await screen.findByText('Nothing is transferring right now.')).toBeInTheDocument();
  });

  it('opens the Failed tab from the failed count on Status', async () => {
    const fake = createFakeApi({
      ...defaults(),
      'app.status': async () => appStatus({ counts: { ...appStatus().counts, failed: 4 } }),
    });
    renderApp(fake);
    await userEvent.click(await screen.findByRole('button', { name: '4' }));
    expect(screen.getByRole('heading', { level: 1, name: 'Transfers' })).toHaveFocus();
    expect(screen.getByRole('tab', { name: /Failed/ })).toHaveAttribute('aria-selected', 'true');
    await waitFor(() =>
      expect(fake.calls['transfers.list']).toHaveBeenLastCalledWith({
        states: ['failed'],
        pageSize: 200,
      }),
    );
  });

  it('switches the language at once and saves the choice', async () => {
    const { fake, i18n } = renderApp();
    const select = await screen.findByRole('combobox', { name: 'Language' });
    await waitFor(() => expect(select).toHaveValue('system'));
    await userEvent.selectOptions(select, 'zh-CN');
    expect(i18n.language).toBe('zh-CN');
    expect(screen.getByRole('navigation', { name: '主导航' })).toBeInTheDocument();
    expect(screen.getByRole('heading', { level: 1, name: '状态' })).toBeInTheDocument();
    expect(fake.calls['settings.update']).toHaveBeenCalledExactlyOnceWith({ language: 'zh-CN' });
    await waitFor(() =>
      expect(screen.getByRole('combobox', { name: '语言' })).toHaveValue('zh-CN'),
    );
    await userEvent.selectOptions(screen.getByRole('combobox', { name: '语言' }), 'en');
    expect(screen.getByRole('heading', { level: 1, name: 'Status' })).toBeInTheDocument();
  });

  it('tells when the connection to OSSync is lost and reloads when it is back', async () => {
    const { fake } = renderApp();
    await screen.findByText(/No folders are synced yet/);
    expect(fake.calls['pairs.list']).toHaveBeenCalledTimes(1);
    act(() => fake.setConnection('closed'));
    expect(screen.getByText('Connection to OSSync lost. Reconnecting…')).toBeInTheDocument();
    act(() => fake.setConnection('open'));
    expect(screen.queryByText('Connection to OSSync lost. Reconnecting…')).not.toBeInTheDocument();
    await waitFor(() => expect(fake.calls['pairs.list']).toHaveBeenCalledTimes(2));
  });

  it('tells how to get in when the page never reached OSSync', () => {
    const { fake } = renderApp();
    act(() => fake.setConnection('failed'));
    const alert = screen.getByRole('alert');
    expect(alert).toHaveTextContent('OSSync cannot be reached from this page.');
    expect(alert).toHaveTextContent('Open the address that `ossync serve` printed');
  });
});
