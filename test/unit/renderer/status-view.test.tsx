// @vitest-environment jsdom
// The Status view's states: loading, empty, error, many pairs, offline, paused, live
// updates from events, global pause/resume, and Chinese.
import '@testing-library/jest-dom/vitest';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { ContractError } from '../../../shared/contract/index.js';
import { StatusView } from '../../../renderer/src/views/status-view.js';
import { createFakeApi } from './helpers/fake-api.js';
import { renderWithProviders, useDomLayout } from './helpers/render.js';
import { appStatus, pairStatus } from './helpers/samples.js';

const never = () => new Promise<never>(() => {});

describe('StatusView', () => {
  useDomLayout();

  it('says it is loading while the answers are pending', () => {
    const fake = createFakeApi({ 'pairs.list': never, 'app.status': never });
    renderWithProviders(<StatusView />, { api: fake.api });
    expect(screen.getByRole('heading', { level: 1, name: 'Status' })).toBeInTheDocument();
    expect(screen.getByText('Loading the synced folders…')).toBeInTheDocument();
    expect(screen.queryByRole('table')).not.toBeInTheDocument();
  });

  it('invites to add a folder when there is none, and goes to Folders', async () => {
    const navigate = vi.fn();
    const fake = createFakeApi({
      'pairs.list': async () => ({ pairs: [] }),
      'app.status': async () => appStatus(),
    });
    renderWithProviders(<StatusView />, { api: fake.api, navigate });
    expect(await screen.findByText(/No folders are synced yet/)).toBeInTheDocument();
    expect(screen.getByTestId('app-state')).toHaveTextContent('Everything is up to date.');
    await userEvent.click(screen.getByRole('button', { name: 'Add a folder' }));
    expect(navigate).toHaveBeenCalledWith('folders');
  });

  it('shows a failure with its next step and retries on request', async () => {
    let fail = true;
    const fake = createFakeApi({
      'pairs.list': async () => {
        if (fail) throw new ContractError('network', 'connect ECONNREFUSED', { requestId: 'R-1' });
        return { pairs: [pairStatus(1)] };
      },
      'app.status': async () => appStatus(),
    });
    renderWithProviders(<StatusView />, { api: fake.api });
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('Could not load the synced folders.');
    expect(alert).toHaveTextContent('OSSync could not reach the storage service.');
    expect(alert).toHaveTextContent('Check your internet connection');
    fail = false;
    await userEvent.click(within(alert).getByRole('button', { name: 'Try again' }));
    expect(await screen.findByTestId('pair-1')).toBeInTheDocument();
    expect(screen.queryByRole('alert')).not.toBeInTheDocument();
  });

  it('lists every pair with its state, pending work, last sync and problems', async () => {
    const pairs = Array.from({ length: 300 }, (_, i) =>
      pairStatus(i + 1, {
        state: i === 0 ? 'waiting-for-confirmation' : 'idle',
        counters: {
          filesPending: i === 0 ? 1234 : 0,
          bytesPending: i === 0 ? 5 * 1024 * 1024 : 0,
          lastSyncedAt: i === 0 ? null : Date.now() - 5 * 60_000,
          errors: i === 0 ? 2 : 0,
          conflicts: 0,
          deletesAwaiting: i === 0 ? 1 : 0,
        },
      }),
    );
    const fake = createFakeApi({
      'pairs.list': async () => ({ pairs }),
      'app.status': async () => appStatus({ state: 'syncing' }),
    });
    renderWithProviders(<StatusView />, { api: fake.api });
    const first = await screen.findByTestId('pair-1');
    expect(screen.getAllByRole('row')).toHaveLength(301);
    expect(first).toHaveTextContent('/home/user/folder-1');
    expect(first).toHaveTextContent('oss://photos-bucket/backup-1/');
    expect(first).toHaveTextContent('Waiting for confirmation');
    expect(first).toHaveTextContent('1,234 files, 5 MB');
    expect(first).toHaveTextContent('Not yet');
    expect(first).toHaveTextContent('2 errors · 1 deletion waits for your confirmation');
    const second = screen.getByTestId('pair-2');
    expect(second).toHaveTextContent('Up to date');
    expect(second).toHaveTextContent('5 minutes ago');
    expect(second).toHaveTextContent('None');
  });

  it('explains the offline state', async () => {
    const fake = createFakeApi({
      'pairs.list': async () => ({ pairs: [] }),
      'app.status': async () => appStatus({ state: 'offline', offline: true }),
    });
    renderWithProviders(<StatusView />, { api: fake.api });
    expect(await screen.findByText('OSSync cannot reach the storage service.')).toBeInTheDocument();
    expect(
      screen.getByText(/continues by itself when it is back; nothing is lost/),
    ).toBeInTheDocument();
  });

  it('pauses and resumes everything', async () => {
    let paused = false;
    const fake = createFakeApi({
      'pairs.list': async () => ({ pairs: [] }),
      'app.status': async () => appStatus({ paused, state: paused ? 'paused' : 'idle' }),
      'transfers.pauseAll': async () => {
        paused = true;
        return {};
      },
      'transfers.resumeAll': async () => {
        paused = false;
        return {};
      },
    });
    renderWithProviders(<StatusView />, { api: fake.api });
    await userEvent.click(await screen.findByRole('button', { name: 'Pause all' }));
    expect(fake.calls['transfers.pauseAll']).toHaveBeenCalledTimes(1);
    expect(await screen.findByRole('button', { name: 'Resume all' })).toBeInTheDocument();
    expect(screen.getByText(/All transfers and folder syncs are paused/)).toBeInTheDocument();
    await userEvent.click(screen.getByRole('button', { name: 'Resume all' }));
    expect(fake.calls['transfers.resumeAll']).toHaveBeenCalledTimes(1);
    expect(await screen.findByRole('button', { name: 'Pause all' })).toBeInTheDocument();
  });

  it('shows why pausing failed', async () => {
    const fake = createFakeApi({
      'pairs.list': async () => ({ pairs: [] }),
      'app.status': async () => appStatus(),
      'transfers.pauseAll': async () => {
        throw new ContractError('local-io', 'EIO');
      },
    });
    renderWithProviders(<StatusView />, { api: fake.api });
    await userEvent.click(await screen.findByRole('button', { name: 'Pause all' }));
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('Could not change the pause state.');
    expect(alert).toHaveTextContent('A local file error occurred.');
  });

  it('follows events: pair status, removal, app status and progress speeds', async () => {
    const fake = createFakeApi({
      'pairs.list': async () => ({ pairs: [pairStatus(1), pairStatus(2)] }),
      'app.status': async () => appStatus({ uploadBytesPerSecond: 2048 }),
    });
    const { frames } = renderWithProviders(<StatusView />, { api: fake.api });
    await screen.findByTestId('pair-1');
    expect(screen.getByTestId('speed-upload')).toHaveTextContent('2 kB/s');

    fake.emit(
      'pairs.statusChanged',
      pairStatus(1, { state: 'syncing', detail: 'uploading 3 files' }),
    );
    await waitFor(() => expect(screen.getByTestId('pair-1')).toHaveTextContent('Syncing'));
    expect(screen.getByTestId('pair-1')).toHaveTextContent('uploading 3 files');

    fake.emit('pairs.statusChanged', pairStatus(3));
    expect(await screen.findByTestId('pair-3')).toBeInTheDocument();
    fake.emit('pairs.removed', { pairId: 2 });
    await waitFor(() => expect(screen.queryByTestId('pair-2')).not.toBeInTheDocument());

    fake.emit('app.statusChanged', appStatus({ state: 'error' }));
    await waitFor(() =>
      expect(screen.getByTestId('app-state')).toHaveTextContent('need your attention'),
    );

    fake.emit('transfers.progress', {
      accountId: 1,
      jobs: [],
      totalBytesDone: 0,
      totalBytesTotal: 0,
      uploadBytesPerSecond: 3 * 1024 * 1024,
      downloadBytesPerSecond: 512,
      etaSeconds: null,
    });
    frames.run();
    expect(screen.getByTestId('speed-upload')).toHaveTextContent('3 MB/s');
    expect(screen.getByTestId('speed-download')).toHaveTextContent('512 byte/s');
  });

  it('asks again while the status reports a speed, so one read as transfers end falls to 0', async () => {
    let speed = 2048;
    const fake = createFakeApi({
      'pairs.list': async () => ({ pairs: [] }),
      'app.status': async () => appStatus({ uploadBytesPerSecond: speed }),
    });
    renderWithProviders(<StatusView />, { api: fake.api });
    await waitFor(() => expect(screen.getByTestId('speed-upload')).toHaveTextContent('2 kB/s'));
    speed = 0;
    await waitFor(() => expect(screen.getByTestId('speed-upload')).toHaveTextContent('0 byte/s'), {
      timeout: 5000,
    });
    const calls = fake.calls['app.status'].mock.calls.length;
    await new Promise((resolve) => setTimeout(resolve, 2500));
    // At 0 it stops asking.
    expect(fake.calls['app.status'].mock.calls.length).toBe(calls);
  });

  it('speaks Chinese', async () => {
    const fake = createFakeApi({
      'pairs.list': async () => ({ pairs: [pairStatus(1)] }),
      'app.status': async () => appStatus({ offline: true, state: 'offline' }),
    });
    renderWithProviders(<StatusView />, { api: fake.api, locale: 'zh-CN' });
    expect(screen.getByRole('heading', { level: 1, name: '状态' })).toBeInTheDocument();
    expect(await screen.findByText('OSSync 无法连接到存储服务。')).toBeInTheDocument();
    expect(await screen.findByRole('button', { name: '全部暂停' })).toBeInTheDocument();
    expect(screen.getByTestId('pair-1')).toHaveTextContent('已是最新');
  });
});
