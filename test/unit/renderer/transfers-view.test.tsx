// @vitest-environment jsdom
// The Transfers view's states (loading, empty, error, 100,000 jobs with only a window of
// rows in the DOM), paging on scroll, coalesced progress that re-renders only its own row,
// keyboard navigation, selection and actions.
import '@testing-library/jest-dom/vitest';
import { act, fireEvent, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import {
  ContractError,
  type Params,
  type Result,
  type TransferDto,
} from '../../../shared/contract/index.js';
import * as format from '../../../renderer/src/format.js';
import { TransfersView } from '../../../renderer/src/views/transfers-view.js';
import { createFakeApi } from './helpers/fake-api.js';
import { renderWithProviders, useDomLayout } from './helpers/render.js';
import { appStatus, transfer } from './helpers/samples.js';

vi.mock('../../../renderer/src/format.js', async (importOriginal) => {
  const original = await importOriginal<typeof import('../../../renderer/src/format.js')>();
  return { ...original, formatBytes: vi.fn(original.formatBytes) };
});

const never = () => new Promise<never>(() => {});

/** transfers.list over `total` jobs in the requested state; cursors are offsets. */
function listOf(
  total: number,
  make: (id: number, state: TransferDto['state']) => TransferDto = (id, state) =>
    transfer(id, { state }),
) {
  return async (params: Params<'transfers.list'>): Promise<Result<'transfers.list'>> => {
    const offset = params.cursor === undefined ? 0 : Number(params.cursor);
    const size = params.pageSize ?? 100;
    const end = Math.min(total, offset + size);
    const state = params.states[0] ?? 'running';
    const items = [];
    for (let i = offset; i < end; i += 1) items.push(make(i + 1, state));
    return { items, nextCursor: end < total ? String(end) : null, total };
  };
}

const status = () => async () =>
  appStatus({ counts: { ...appStatus().counts, active: 100_000, queued: 7, failed: 2 } });

const rowOf = (id: number) => {
  const row = document.querySelector(`[data-job-key="1:${id}"]`);
  if (!(row instanceof HTMLElement)) throw new Error(`row ${id} is not rendered`);
  return row;
};

describe('TransfersView', () => {
  useDomLayout();

  it('says it is loading', () => {
    const fake = createFakeApi({ 'transfers.list': never, 'app.status': never });
    renderWithProviders(<TransfersView />, { api: fake.api });
    expect(screen.getByText('Loading transfers…')).toBeInTheDocument();
  });

  it('has four tabs and says when a tab is empty', async () => {
    const fake = createFakeApi({ 'transfers.list': listOf(0), 'app.status': status() });
    renderWithProviders(<TransfersView />, { api: fake.api });
    const tabs = screen.getAllByRole('tab');
    await waitFor(() =>
      expect(tabs.map((tab) => tab.textContent)).toEqual([
        'Active100,000',
        'Queued7',
        'Failed2',
        'Completed',
      ]),
    );
    expect(await screen.findByText('Nothing is transferring right now.')).toBeInTheDocument();
    expect(fake.calls['transfers.list']).toHaveBeenLastCalledWith({
      states: ['running', 'waiting-retry', 'paused'],
      pageSize: 200,
    });
    // Arrow keys move between tabs (ARIA tabs pattern).
    tabs[0]!.focus();
    await userEvent.keyboard('{ArrowRight}{ArrowRight}');
    expect(screen.getByRole('tab', { name: /Failed/ })).toHaveAttribute('aria-selected', 'true');
    expect(screen.getByRole('tab', { name: /Failed/ })).toHaveFocus();
    expect(await screen.findByText('No transfers have failed.')).toBeInTheDocument();
    expect(fake.calls['transfers.list']).toHaveBeenLastCalledWith({
      states: ['failed'],
      pageSize: 200,
    });
  });

  it('shows a load failure with the next step and retries', async () => {
    let fail = true;
    const list = listOf(3);
    const fake = createFakeApi({
      'transfers.list': async (params) => {
        if (fail) throw new ContractError('timeout', 'no answer', { subject: 'host' });
        return list(params);
      },
      'app.status': status(),
    });
    renderWithProviders(<TransfersView />, { api: fake.api });
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('Could not load the transfers.');
    expect(alert).toHaveTextContent('The storage service did not answer in time.');
    fail = false;
    await userEvent.click(within(alert).getByRole('button', { name: 'Try again' }));
    expect(await screen.findAllByTestId('transfer-row')).toHaveLength(3);
  });

  it('renders only a window of 100,000 jobs and loads the next page as the end nears', async () => {
    const fake = createFakeApi({ 'transfers.list': listOf(100_000), 'app.status': status() });
    renderWithProviders(<TransfersView />, { api: fake.api });
    await screen.findAllByTestId('transfer-row');
    const grid = screen.getByRole('grid');
    expect(grid).toHaveAttribute('aria-rowcount', '100001');
    expect(screen.getByTestId('transfer-count')).toHaveTextContent(
      '200 of 100,000 transfers loaded',
    );
    const rendered = screen.getAllByTestId('transfer-row').length;
    expect(rendered).toBeGreaterThan(5);
    expect(rendered).toBeLessThan(40);
    expect(rowOf(1)).toHaveTextContent('file-1.jpg');
    expect(fake.calls['transfers.list']).toHaveBeenCalledTimes(1);

    // Scroll near the end of what is loaded: the next page is asked for with its cursor.
    const scroller = screen.getByTestId('transfer-scroll');
    act(() => {
      scroller.scrollTop = 52 * 160;
      fireEvent.scroll(scroller);
    });
    await waitFor(() =>
      expect(fake.calls['transfers.list']).toHaveBeenLastCalledWith({
        states: ['running', 'waiting-retry', 'paused'],
        pageSize: 200,
        cursor: '200',
      }),
    );
    await waitFor(() =>
      expect(screen.getByTestId('transfer-count')).toHaveTextContent('400 of 100,000'),
    );
    expect(rowOf(165)).toBeInTheDocument();
    // Rows far above are gone (the active first row stays, for aria-activedescendant).
    expect(document.querySelector('[data-job-key="1:2"]')).toBeNull();
    expect(document.querySelector('[data-job-key="1:100"]')).toBeNull();
    expect(screen.getAllByTestId('transfer-row').length).toBeLessThan(40);
  });

  it('re-renders only the row a progress event names, at most once per frame', async () => {
    const fake = createFakeApi({ 'transfers.list': listOf(20), 'app.status': status() });
    const { frames } = renderWithProviders(<TransfersView />, { api: fake.api });
    await screen.findAllByTestId('transfer-row');
    const formatBytes = vi.mocked(format.formatBytes);
    formatBytes.mockClear();

    // Three events between two frames: nothing renders until the frame, then once.
    for (const bytesDone of [100_000, 300_000, 500_002]) {
      fake.emit('transfers.progress', {
        accountId: 1,
        jobs: [
          {
            jobId: 3,
            bytesDone,
            bytesTotal: 1_000_003,
            bytesPerSecond: 2 * 1024 * 1024,
            etaSeconds: 125,
          },
        ],
        totalBytesDone: bytesDone,
        totalBytesTotal: 1_000_003,
        uploadBytesPerSecond: 2 * 1024 * 1024,
        downloadBytesPerSecond: 0,
        etaSeconds: 125,
      });
    }
    expect(formatBytes).not.toHaveBeenCalled();
    expect(frames.pending).toBe(1);
    frames.run();

    // The size cell of each rendered row calls formatBytes with that job's size: only job 3's.
    const sizes = formatBytes.mock.calls.map(([bytes]) => bytes);
    expect(sizes).toEqual([1_000_003]);
    const row = rowOf(3);
    expect(within(row).getByRole('progressbar')).toHaveAttribute('aria-valuenow', '50');
    expect(row).toHaveTextContent('2 MB/s');
    expect(row).toHaveTextContent('2 min 5 sec');
    expect(rowOf(4)).not.toHaveTextContent('MB/s');

    // The same numbers again change nothing, so nothing renders.
    formatBytes.mockClear();
    fake.emit('transfers.progress', {
      accountId: 1,
      jobs: [
        {
          jobId: 3,
          bytesDone: 500_002,
          bytesTotal: 1_000_003,
          bytesPerSecond: 2 * 1024 * 1024,
          etaSeconds: 125,
        },
      ],
      totalBytesDone: 500_002,
      totalBytesTotal: 1_000_003,
      uploadBytesPerSecond: 2 * 1024 * 1024,
      downloadBytesPerSecond: 0,
      etaSeconds: 125,
    });
    frames.run();
    expect(formatBytes).not.toHaveBeenCalled();
  });

  it('offers Show in folder in the desktop app only, for jobs with a local file', async () => {
    const info = (host: 'electron' | 'headless') => async () => ({
      version: '0.1.0',
      host,
      platform: 'linux',
    });
    const make = (id: number, state: TransferDto['state']) =>
      transfer(id, { state, localPath: id === 2 ? null : `/home/me/file-${id}.jpg` });
    const desktop = createFakeApi({
      'transfers.list': listOf(3, make),
      'app.status': status(),
      'app.info': info('electron'),
      'app.showInFolder': async () => ({}),
    });
    const { unmount } = renderWithProviders(<TransfersView />, { api: desktop.api });
    const show = await screen.findByRole('button', { name: 'Show file-1.jpg in its folder' });
    expect(within(rowOf(2)).queryByRole('button', { name: /in its folder/ })).toBeNull();
    await userEvent.click(show);
    expect(desktop.calls['app.showInFolder']).toHaveBeenCalledWith({ path: '/home/me/file-1.jpg' });
    unmount();

    const headless = createFakeApi({
      'transfers.list': listOf(3, make),
      'app.status': status(),
      'app.info': info('headless'),
    });
    renderWithProviders(<TransfersView />, { api: headless.api });
    await screen.findAllByTestId('transfer-row');
    await waitFor(() => expect(headless.calls['app.info']).toHaveBeenCalled());
    expect(screen.queryByRole('button', { name: /in its folder/ })).toBeNull();
  });

  it('shows a job change pushed by an event in its row', async () => {
    const fake = createFakeApi({ 'transfers.list': listOf(5), 'app.status': status() });
    const { frames } = renderWithProviders(<TransfersView />, { api: fake.api });
    await screen.findAllByTestId('transfer-row');
    fake.emit(
      'transfers.jobChanged',
      transfer(2, {
        state: 'waiting-retry',
        attempts: 3,
        updatedAt: Date.now(),
        error: { code: 'throttled', message: 'SlowDown', requestId: 'REQ-9' },
      }),
    );
    frames.run();
    const row = rowOf(2);
    expect(row).toHaveTextContent('Waiting to retry');
    expect(row).toHaveTextContent('The storage service asked OSSync to slow down.');
    expect(within(row).getByRole('button', { name: 'Retry file-2.jpg' })).toBeInTheDocument();
  });

  it('reloads when a loaded job leaves the tab or a new one sorts among the loaded rows', async () => {
    // Newest first, like the service: ids 1000 down to 1, pages of 200.
    const fake = createFakeApi({
      'transfers.list': listOf(1000, (i, state) => transfer(1001 - i, { state })),
      'app.status': status(),
    });
    renderWithProviders(<TransfersView />, { api: fake.api });
    await screen.findAllByTestId('transfer-row');
    const list = fake.calls['transfers.list'];
    expect(list).toHaveBeenCalledTimes(1);

    // Entering below the loaded rows (its page was never asked for): no reload.
    fake.emit('transfers.jobChanged', transfer(5, { state: 'running', updatedAt: Date.now() }));
    await new Promise((resolve) => setTimeout(resolve, 1800));
    expect(list).toHaveBeenCalledTimes(1);

    // A loaded job finished and leaves the Active tab: one reload, however many events.
    fake.emit('transfers.jobChanged', transfer(1000, { state: 'done', updatedAt: Date.now() }));
    fake.emit('transfers.jobChanged', transfer(999, { state: 'done', updatedAt: Date.now() }));
    await waitFor(() => expect(list).toHaveBeenCalledTimes(2), { timeout: 3000 });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(list).toHaveBeenCalledTimes(2);
  });

  it('moves with the keyboard, selects with Space and Shift, and acts on the selection', async () => {
    const fake = createFakeApi({
      'transfers.list': listOf(30),
      'app.status': status(),
      'transfers.pause': async ({ ids }) => ({ changed: ids.length }),
    });
    renderWithProviders(<TransfersView />, { api: fake.api });
    await screen.findAllByTestId('transfer-row');
    const grid = screen.getByRole('grid');
    grid.focus();
    await userEvent.keyboard('{ArrowDown}{ArrowDown}');
    expect(grid).toHaveAttribute('aria-activedescendant', rowOf(3).id);
    await userEvent.keyboard(' ');
    expect(rowOf(3)).toHaveAttribute('aria-selected', 'true');
    await userEvent.keyboard('{Shift>}{ArrowDown}{ArrowDown}{/Shift}');
    expect(rowOf(5)).toHaveAttribute('aria-selected', 'true');
    expect(rowOf(2)).toHaveAttribute('aria-selected', 'false');
    const toolbar = screen.getByRole('toolbar');
    expect(toolbar).toHaveTextContent('3 selected');
    expect(within(toolbar).getByRole('button', { name: 'Resume' })).toBeDisabled();

    await userEvent.click(within(toolbar).getByRole('button', { name: 'Pause' }));
    expect(fake.calls['transfers.pause']).toHaveBeenCalledExactlyOnceWith({
      accountId: 1,
      ids: [3, 4, 5],
    });
    expect(await screen.findByText('3 transfers changed.')).toBeInTheDocument();

    grid.focus();
    await userEvent.keyboard('{Escape}');
    expect(toolbar).toHaveTextContent('0 selected');
    await userEvent.keyboard('{Control>}a{/Control}');
    expect(toolbar).toHaveTextContent('30 selected');
    await userEvent.keyboard('{End}');
    expect(grid).toHaveAttribute('aria-activedescendant', rowOf(30).id);
  });

  it('retries a failed transfer from its row and copies its key', async () => {
    const writeText = vi.fn(async () => {});
    Object.defineProperty(navigator, 'clipboard', { value: { writeText }, configurable: true });
    const fake = createFakeApi({
      'transfers.list': listOf(3, (id, state) =>
        transfer(id, {
          state,
          error: { code: 'signature-mismatch', message: 'SignatureDoesNotMatch' },
        }),
      ),
      'app.status': status(),
      'transfers.retry': async () => ({ changed: 1 }),
    });
    renderWithProviders(<TransfersView />, { api: fake.api });
    await userEvent.click(screen.getByRole('tab', { name: /Failed/ }));
    await screen.findAllByTestId('transfer-row');
    expect(rowOf(2)).toHaveTextContent('The AccessKey secret is wrong.');
    await userEvent.click(screen.getByRole('button', { name: 'Retry file-2.jpg' }));
    expect(fake.calls['transfers.retry']).toHaveBeenCalledExactlyOnceWith({
      accountId: 1,
      ids: [2],
    });
    await userEvent.click(screen.getByRole('button', { name: 'Copy the key of file-2.jpg' }));
    expect(writeText).toHaveBeenCalledWith('albums/2026/file-2.jpg');
    expect(await screen.findByText('Copied albums/2026/file-2.jpg')).toBeInTheDocument();
    // The details of the active (clicked) row explain the error with its next step.
    const details = screen.getByRole('region', { name: 'Transfer details' });
    expect(details).toHaveTextContent(
      'Open Settings › Accounts and enter the AccessKey secret again.',
    );
  });

  it('shows why an action failed', async () => {
    const fake = createFakeApi({
      'transfers.list': listOf(2),
      'app.status': status(),
      'transfers.cancel': async () => {
        throw new ContractError('not-found', 'job 1 is gone');
      },
    });
    renderWithProviders(<TransfersView />, { api: fake.api });
    await screen.findAllByTestId('transfer-row');
    await userEvent.click(screen.getByRole('button', { name: 'Cancel file-1.jpg' }));
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('The action could not be completed.');
    expect(alert).toHaveTextContent('The item no longer exists.');
  });

  it('speaks Chinese', async () => {
    const fake = createFakeApi({ 'transfers.list': listOf(2), 'app.status': status() });
    renderWithProviders(<TransfersView />, { api: fake.api, locale: 'zh-CN' });
    expect(screen.getByRole('tab', { name: /进行中/ })).toBeInTheDocument();
    await screen.findAllByTestId('transfer-row');
    expect(rowOf(1)).toHaveTextContent('上传');
    expect(rowOf(1)).toHaveTextContent('传输中');
    expect(screen.getByTestId('transfer-count')).toHaveTextContent('已加载 2 / 2 个传输');
  });
});
