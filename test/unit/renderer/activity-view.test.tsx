// @vitest-environment jsdom
// The Activity view: loading, empty, error, a log of 100,000 entries with only a window of
// rows in the DOM and the next page loaded on scroll, the filters as activity.list params,
// new entries from activity.appended put in front when they match, errors translated with
// their details on demand, keyboard movement between rows, and Chinese.
import '@testing-library/jest-dom/vitest';
import { act, fireEvent, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import {
  ContractError,
  type ActivityEntryDto,
  type Params,
  type Result,
} from '../../../shared/contract/index.js';
import { ActivityView } from '../../../renderer/src/views/activity-view.js';
import { createFakeApi } from './helpers/fake-api.js';
import { renderWithProviders, useDomLayout } from './helpers/render.js';
import { NOW, pairStatus } from './helpers/samples.js';

const never = () => new Promise<never>(() => {});

function entry(id: number, overrides: Partial<ActivityEntryDto> = {}): ActivityEntryDto {
  return {
    id,
    at: NOW - id * 1000,
    kind: 'uploaded',
    accountId: 1,
    pairId: 1,
    bucket: 'photos-bucket',
    key: `albums/file-${id}.jpg`,
    localPath: `/home/user/photos/file-${id}.jpg`,
    size: 2048,
    error: null,
    ...overrides,
  };
}

/** activity.list over `total` entries, newest (lowest id) first; cursors are offsets. */
function listOf(total: number) {
  return async (params: Params<'activity.list'>): Promise<Result<'activity.list'>> => {
    const offset = params.cursor === undefined ? 0 : Number(params.cursor);
    const end = Math.min(total, offset + (params.pageSize ?? 100));
    const items = [];
    for (let i = offset; i < end; i += 1) items.push(entry(i + 1));
    return { items, nextCursor: end < total ? String(end) : null, total };
  };
}

const base = {
  'accounts.list': async () => ({
    accounts: [1, 2].map((id) => ({
      id,
      kind: 'aliyun' as const,
      name: `Account ${id}`,
      endpoint: null,
      region: 'cn-hangzhou',
      defaultBucket: null,
      accessKeyIdMasked: 'LTAI****wxyz',
      hasSecret: true,
      hasSecurityToken: false,
      securityTokenExpiresAt: null,
      createdAt: NOW,
    })),
  }),
  'pairs.list': async () => ({ pairs: [pairStatus(1), pairStatus(4)] }),
};

describe('ActivityView', () => {
  useDomLayout();

  it('says it is loading', () => {
    const fake = createFakeApi({ ...base, 'activity.list': never });
    renderWithProviders(<ActivityView />, { api: fake.api });
    expect(screen.getByRole('heading', { level: 1, name: 'Activity' })).toBeInTheDocument();
    expect(screen.getByText('Loading the activity…')).toBeInTheDocument();
  });

  it('says when nothing has happened yet', async () => {
    const fake = createFakeApi({ ...base, 'activity.list': listOf(0) });
    renderWithProviders(<ActivityView />, { api: fake.api });
    expect(await screen.findByText(/Nothing has happened yet/)).toBeInTheDocument();
    expect(fake.calls['activity.list']).toHaveBeenCalledWith({ pageSize: 100 });
  });

  it('shows a load failure with the next step and retries', async () => {
    let fail = true;
    const list = listOf(3);
    const fake = createFakeApi({
      ...base,
      'activity.list': async (params) => {
        if (fail) throw new ContractError('network', 'ECONNRESET');
        return list(params);
      },
    });
    renderWithProviders(<ActivityView />, { api: fake.api });
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('Could not load the activity.');
    expect(alert).toHaveTextContent('Check your internet connection');
    fail = false;
    await userEvent.click(within(alert).getByRole('button', { name: 'Try again' }));
    expect(await screen.findAllByTestId('activity-row')).toHaveLength(3);
  });

  it('renders only a window of 100,000 entries and loads older ones on scroll', async () => {
    const fake = createFakeApi({ ...base, 'activity.list': listOf(100_000) });
    renderWithProviders(<ActivityView />, { api: fake.api });
    const rows = await screen.findAllByTestId('activity-row');
    expect(rows.length).toBeGreaterThan(5);
    expect(rows.length).toBeLessThan(40);
    expect(rows[0]).toHaveTextContent('oss://photos-bucket/albums/file-1.jpg');
    expect(rows[0]).toHaveTextContent('Uploaded');
    expect(rows[0]).toHaveTextContent('2 kB');
    expect(screen.getByTestId('activity-count')).toHaveTextContent('100,000 entries');
    const feed = screen.getByRole('feed', { name: 'Activity, newest first' });
    expect(within(feed).getAllByRole('article')[0]).toHaveAttribute('aria-setsize', '100000');

    const scroller = screen.getByTestId('activity-scroll');
    act(() => {
      scroller.scrollTop = 56 * 80;
      fireEvent.scroll(scroller);
    });
    await waitFor(() =>
      expect(fake.calls['activity.list']).toHaveBeenLastCalledWith({
        pageSize: 100,
        cursor: '100',
      }),
    );
    await waitFor(() =>
      expect(document.body).toHaveTextContent('oss://photos-bucket/albums/file-85.jpg'),
    );
    expect(screen.queryByText('oss://photos-bucket/albums/file-20.jpg')).not.toBeInTheDocument();
    expect(screen.getAllByTestId('activity-row').length).toBeLessThan(40);
  });

  it('passes the filters to activity.list', async () => {
    const fake = createFakeApi({ ...base, 'activity.list': listOf(5) });
    renderWithProviders(<ActivityView />, { api: fake.api });
    await screen.findAllByTestId('activity-row');

    await userEvent.click(screen.getByRole('checkbox', { name: /Failed/ }));
    await userEvent.click(screen.getByRole('checkbox', { name: /Moved to trash/ }));
    await waitFor(() =>
      expect(fake.calls['activity.list']).toHaveBeenLastCalledWith({
        kinds: ['trashed', 'error'],
        pageSize: 100,
      }),
    );
    await userEvent.type(screen.getByLabelText('Name or path contains'), 'Report');
    await waitFor(() =>
      expect(fake.calls['activity.list']).toHaveBeenLastCalledWith({
        kinds: ['trashed', 'error'],
        search: 'Report',
        pageSize: 100,
      }),
    );
    // One request for the settled text, not one per key.
    expect(
      fake.calls['activity.list'].mock.calls.filter(([params]) => params.search !== undefined),
    ).toHaveLength(1);

    await userEvent.selectOptions(screen.getByLabelText('Account'), 'Account 2');
    await waitFor(() =>
      expect(fake.calls['activity.list']).toHaveBeenLastCalledWith({
        kinds: ['trashed', 'error'],
        search: 'Report',
        accountId: 2,
        pageSize: 100,
      }),
    );
    await userEvent.selectOptions(screen.getByLabelText('Account'), '');
    await userEvent.selectOptions(screen.getByLabelText('Folder'), '/home/user/folder-4');
    await waitFor(() =>
      expect(fake.calls['activity.list']).toHaveBeenLastCalledWith({
        kinds: ['trashed', 'error'],
        search: 'Report',
        accountId: 1,
        pairId: 4,
        pageSize: 100,
      }),
    );

    // Clearing shows the whole log again (from the cache, kept fresh by events).
    await userEvent.click(screen.getByRole('button', { name: 'Clear filters' }));
    await waitFor(() => expect(screen.getAllByTestId('activity-row')).toHaveLength(5));
    expect(screen.getByLabelText('Name or path contains')).toHaveValue('');
    expect(screen.getByRole('checkbox', { name: /Failed/ })).not.toBeChecked();
    expect(screen.queryByRole('button', { name: 'Clear filters' })).not.toBeInTheDocument();
  });

  it('says when no entry matches the filters', async () => {
    const fake = createFakeApi({
      ...base,
      'activity.list': async (params) =>
        params.kinds !== undefined ? { items: [], nextCursor: null, total: 0 } : listOf(2)(params),
    });
    renderWithProviders(<ActivityView />, { api: fake.api });
    await screen.findAllByTestId('activity-row');
    await userEvent.click(screen.getByRole('checkbox', { name: /Conflict/ }));
    expect(await screen.findByText('No entry matches these filters.')).toBeInTheDocument();
  });

  it('puts new entries in front when they match the filters', async () => {
    const fake = createFakeApi({ ...base, 'activity.list': listOf(3) });
    renderWithProviders(<ActivityView />, { api: fake.api });
    await screen.findAllByTestId('activity-row');
    act(() =>
      fake.emit('activity.appended', {
        entries: [
          entry(1001, { at: NOW + 1000, key: 'new/older.txt' }),
          entry(1002, { at: NOW + 2000, key: 'new/newest.txt', kind: 'downloaded' }),
        ],
      }),
    );
    await waitFor(() =>
      expect(screen.getByTestId('activity-count')).toHaveTextContent('5 entries'),
    );
    const rows = screen.getAllByTestId('activity-row');
    expect(rows[0]).toHaveTextContent('new/newest.txt');
    expect(rows[0]).toHaveTextContent('Downloaded');
    expect(rows[1]).toHaveTextContent('new/older.txt');
    expect(rows[2]).toHaveTextContent('albums/file-1.jpg');

    // With a kind filter, an entry of another kind stays out.
    await userEvent.click(screen.getByRole('checkbox', { name: /Uploaded/ }));
    await waitFor(() =>
      expect(fake.calls['activity.list']).toHaveBeenLastCalledWith({
        kinds: ['uploaded'],
        pageSize: 100,
      }),
    );
    await waitFor(() =>
      expect(screen.getByTestId('activity-count')).toHaveTextContent('3 entries'),
    );
    act(() =>
      fake.emit('activity.appended', {
        entries: [entry(1003, { at: NOW + 3000, kind: 'deleted', key: 'gone.txt' })],
      }),
    );
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(screen.queryByText(/gone\.txt/)).not.toBeInTheDocument();
    expect(screen.getByTestId('activity-count')).toHaveTextContent('3 entries');
  });

  it("translates an entry's error and shows its details on demand, also from the keyboard", async () => {
    const fake = createFakeApi({
      ...base,
      'activity.list': async () => ({
        items: [
          entry(1),
          entry(2, {
            kind: 'error',
            size: null,
            error: {
              code: 'signature-mismatch',
              message: 'SignatureDoesNotMatch',
              requestId: 'REQ-7',
            },
          }),
          entry(3),
        ],
        nextCursor: null,
        total: 3,
      }),
    });
    renderWithProviders(<ActivityView />, { api: fake.api });
    const rows = await screen.findAllByTestId('activity-row');
    expect(rows[1]).toHaveTextContent('Failed');
    expect(rows[1]).toHaveTextContent('The AccessKey secret is wrong.');
    expect(screen.queryByRole('alert')).not.toBeInTheDocument();

    // Tab enters the list on its first row; arrows move; Enter opens the error's details.
    const articles = screen.getAllByRole('article');
    expect(articles.map((article) => article.tabIndex)).toEqual([0, -1, -1]);
    articles[0]!.focus();
    await userEvent.keyboard('{ArrowDown}');
    await waitFor(() => expect(screen.getAllByRole('article')[1]).toHaveFocus());
    await userEvent.keyboard('{Enter}');
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('enter the AccessKey secret again');
    expect(alert).toHaveTextContent('REQ-7');
    await userEvent.click(within(alert).getByRole('button', { name: 'Close' }));
    expect(screen.queryByRole('alert')).not.toBeInTheDocument();
    expect(screen.getAllByRole('article')[1]).toHaveFocus();
    await userEvent.keyboard('{End}');
    await waitFor(() => expect(screen.getAllByRole('article')[2]).toHaveFocus());
    // The mouse way.
    await userEvent.click(within(rows[1]!).getByRole('button', { name: 'Details' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('The AccessKey secret is wrong.');
  });

  it('speaks Chinese', async () => {
    const fake = createFakeApi({ ...base, 'activity.list': listOf(2) });
    renderWithProviders(<ActivityView />, { api: fake.api, locale: 'zh-CN' });
    expect(await screen.findByRole('heading', { level: 1, name: '活动' })).toBeInTheDocument();
    const rows = await screen.findAllByTestId('activity-row');
    expect(rows[0]).toHaveTextContent('已上传');
    expect(screen.getByTestId('activity-count')).toHaveTextContent('2 条记录');
  });
});
