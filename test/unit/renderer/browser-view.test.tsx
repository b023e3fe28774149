// @vitest-environment jsdom
// The Browser view's states: no account, empty bucket, loading, an error with its translated
// message and next step; a 20,000-object prefix paged in 1,000s with only a window of rows
// in the DOM and the next page loaded on scroll; the sort notice; the name filter; the
// address bar and breadcrumbs; keyboard selection; Chinese texts.
import '@testing-library/jest-dom/vitest';
import { act, fireEvent, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { ContractError } from '../../../shared/contract/index.js';
import { BrowserView } from '../../../renderer/src/views/browser-view.js';
import { account, bucketsOf, listing } from './browser-fixtures.js';
import { createFakeApi } from './helpers/fake-api.js';
import { renderWithProviders, useDomLayout } from './helpers/render.js';

const never = () => new Promise<never>(() => {});
const ROW = 36;

function setup(files: number, folders = 0, extra: Parameters<typeof createFakeApi>[0] = {}) {
  return createFakeApi({
    'accounts.list': async () => ({
      accounts: [account(1, { defaultBucket: 'photos' }), account(2, { name: 'Backup' })],
    }),
    'buckets.list': bucketsOf('archive', 'photos'),
    'objects.list': listing(files, folders),
    ...extra,
  });
}

const rowKeys = () =>
  screen.getAllByTestId('browser-row').map((row) => row.getAttribute('data-key'));

describe('BrowserView', () => {
  useDomLayout();

  it('says it is loading while the accounts and the listing load', async () => {
    const waiting = createFakeApi({ 'accounts.list': never });
    const first = renderWithProviders(<BrowserView />, { api: waiting.api });
    expect(screen.getByText('Loading accounts…')).toBeInTheDocument();
    first.unmount();

    const fake = setup(0, 0, { 'objects.list': never });
    renderWithProviders(<BrowserView />, { api: fake.api });
    expect(await screen.findByText('Loading the folder…')).toBeInTheDocument();
  });

  it('points to Settings when there is no account', async () => {
    const fake = createFakeApi({ 'accounts.list': async () => ({ accounts: [] }) });
    const visited: string[] = [];
    renderWithProviders(<BrowserView />, { api: fake.api, navigate: (v) => visited.push(v) });
    await userEvent.click(
      await screen.findByRole('button', { name: 'Add an account in Settings' }),
    );
    expect(visited).toEqual(['settings']);
    expect(fake.calls['buckets.list']).not.toHaveBeenCalled();
  });

  it('preselects the default bucket and says when it is empty', async () => {
    const fake = setup(0);
    renderWithProviders(<BrowserView />, { api: fake.api });
    expect(await screen.findByText('This folder is empty.')).toBeInTheDocument();
    expect(screen.getByLabelText('Bucket')).toHaveValue('photos');
    expect(screen.getByLabelText('Address')).toHaveValue('oss://photos/');
    expect(fake.calls['objects.list']).toHaveBeenCalledWith({
      accountId: 1,
      bucket: 'photos',
      prefix: '',
      pageSize: 1000,
    });
  });

  it('shows a listing failure with the translated message, and retries', async () => {
    let fail = true;
    const list = listing(3);
    const fake = setup(0, 0, {
      'objects.list': async (params) => {
        if (fail)
          throw new ContractError('access-denied', 'AccessDenied: no oss:ListObjects', {
            ossCode: 'AccessDenied',
            requestId: 'REQ-1',
          });
        return list(params);
      },
    });
    renderWithProviders(<BrowserView />, { api: fake.api });
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('Could not list this folder.');
    expect(alert).toHaveTextContent('Access denied: the key has no permission for this.');
    expect(alert).toHaveTextContent('Ask your administrator to grant this RAM user access');
    // Technical details on demand.
    expect(within(alert).getByText('REQ-1')).not.toBeVisible();
    fail = false;
    await userEvent.click(within(alert).getByRole('button', { name: 'Try again' }));
    expect(await screen.findAllByTestId('browser-row')).toHaveLength(3);
  });

  it('pages 20,000 objects in 1,000s, rendering only a window and loading on scroll', async () => {
    const fake = setup(20_000);
    renderWithProviders(<BrowserView />, { api: fake.api });
    await screen.findAllByTestId('browser-row');
    expect(screen.getByTestId('browser-count')).toHaveTextContent(
      '1,000 items loaded, more to come as you scroll',
    );
    expect(screen.getByRole('grid')).toHaveAttribute('aria-rowcount', '1002');
    const rendered = screen.getAllByTestId('browser-row').length;
    expect(rendered).toBeGreaterThan(10);
    expect(rendered).toBeLessThan(50);
    expect(rowKeys()[0]).toBe('file-000000.txt');
    expect(fake.calls['objects.list']).toHaveBeenCalledTimes(1);

    const scroller = screen.getByTestId('browser-scroll');
    act(() => {
      scroller.scrollTop = ROW * 950;
      fireEvent.scroll(scroller);
    });
    await waitFor(() =>
      expect(fake.calls['objects.list']).toHaveBeenLastCalledWith({
        accountId: 1,
        bucket: 'photos',
        prefix: '',
        pageSize: 1000,
        continuationToken: '1000',
      }),
    );
    await waitFor(() =>
      expect(screen.getByTestId('browser-count')).toHaveTextContent('2,000 items loaded'),
    );
    expect(rowKeys()).toContain('file-000960.txt');
    expect(rowKeys()).not.toContain('file-000500.txt');
    expect(screen.getAllByTestId('browser-row').length).toBeLessThan(50);

    // Scrolling on to the end loads every page, then says how many there are.
    for (let page = 2; page < 20; page += 1) {
      act(() => {
        scroller.scrollTop = ROW * (page * 1000 - 50);
        fireEvent.scroll(scroller);
      });
      await waitFor(() =>
        expect(screen.getByTestId('browser-count')).toHaveTextContent(
          ((page + 1) * 1000).toLocaleString('en') + ' items',
        ),
      );
    }
    expect(screen.getByTestId('browser-count')).toHaveTextContent(/^20,000 items$/);
    expect(fake.calls['objects.list']).toHaveBeenCalledTimes(20);
    act(() => {
      scroller.scrollTop = ROW * 19_990;
      fireEvent.scroll(scroller);
    });
    await waitFor(() => expect(rowKeys()).toContain('file-019999.txt'));
    expect(screen.getByRole('grid')).toHaveAttribute('aria-rowcount', '20001');
  });

  it('sorts the loaded rows and says so while more remain', async () => {
    const fake = setup(2500, 2);
    renderWithProviders(<BrowserView />, { api: fake.api });
    await screen.findAllByTestId('browser-row');
    expect(screen.queryByTestId('sort-notice')).toBeNull();
    await userEvent.click(screen.getByRole('button', { name: /^Size/ }));
    expect(screen.getByTestId('sort-notice')).toHaveTextContent(
      'Sorted 1,000 of more: scroll to load all.',
    );
    const header = screen.getByRole('columnheader', { name: /Size/ });
    expect(header).toHaveAttribute('aria-sort', 'ascending');
    // Folders first, then the smallest loaded file (file i has size i * 7919 % 100,000).
    expect(rowKeys().slice(0, 3)).toEqual(['dir-000000/', 'dir-000001/', 'file-000000.txt']);
    await userEvent.click(screen.getByRole('button', { name: /^Size/ }));
    expect(header).toHaveAttribute('aria-sort', 'descending');
    await userEvent.click(screen.getByRole('button', { name: /^Last modified/ }));
    // Last modified, ascending: the oldest loaded file (file i is i minutes old) after the folders.
    expect(rowKeys()[2]).toBe('file-000997.txt');
  });

  it('filters by name prefix on the server and refuses a "/" in it', async () => {
    const fake = setup(50);
    renderWithProviders(<BrowserView />, { api: fake.api });
    await screen.findAllByTestId('browser-row');
    await userEvent.type(screen.getByLabelText('Names starting with'), 'file-00004');
    await waitFor(() =>
      expect(fake.calls['objects.list']).toHaveBeenLastCalledWith({
        accountId: 1,
        bucket: 'photos',
        prefix: '',
        pageSize: 1000,
        namePrefix: 'file-00004',
      }),
    );
    await waitFor(() => expect(screen.getAllByTestId('browser-row')).toHaveLength(10));
    await userEvent.type(screen.getByLabelText('Names starting with'), '/');
    expect(
      screen.getByText(/The filter matches names in this folder, so it cannot contain “\/”/),
    ).toBeInTheDocument();
    expect(fake.calls['objects.list'].mock.calls.some(([p]) => p.namePrefix?.includes('/'))).toBe(
      false,
    );
    await userEvent.clear(screen.getByLabelText('Names starting with'));
    await userEvent.type(screen.getByLabelText('Names starting with'), 'zzz');
    expect(await screen.findByText('No names here start with “zzz”.')).toBeInTheDocument();
  });

  it('opens folders by click, Enter and the address bar; breadcrumbs go back', async () => {
    const fake = setup(3, 2);
    renderWithProviders(<BrowserView />, { api: fake.api });
    await screen.findAllByTestId('browser-row');
    await userEvent.click(screen.getByRole('button', { name: /^dir-000001/ }));
    await waitFor(() =>
      expect(screen.getByLabelText('Address')).toHaveValue('oss://photos/dir-000001/'),
    );
    expect(fake.calls['objects.list']).toHaveBeenLastCalledWith(
      expect.objectContaining({ prefix: 'dir-000001/' }),
    );
    await screen.findAllByTestId('browser-row');
    // Keyboard: the first row is a folder; Enter opens it.
    screen.getByRole('grid').focus();
    await userEvent.keyboard('{Enter}');
    await waitFor(() =>
      expect(screen.getByLabelText('Address')).toHaveValue('oss://photos/dir-000001/dir-000000/'),
    );
    const crumbs = within(screen.getByRole('navigation', { name: 'Folder path' }));
    expect(crumbs.getAllByRole('button').map((b) => b.textContent)).toEqual([
      'photos',
      'dir-000001',
      'dir-000000',
    ]);
    expect(crumbs.getByRole('button', { name: 'dir-000000' })).toHaveAttribute(
      'aria-current',
      'location',
    );
    await userEvent.click(crumbs.getByRole('button', { name: 'photos' }));
    await waitFor(() => expect(screen.getByLabelText('Address')).toHaveValue('oss://photos/'));

    // A typed address: refused with a clear message, or opened.
    const bar = screen.getByLabelText('Address');
    await userEvent.clear(bar);
    await userEvent.type(bar, 'https://photos/a/{Enter}');
    expect(screen.getByRole('alert')).toHaveTextContent(
      'An address starts with oss:// followed by the bucket name',
    );
    expect(bar).toHaveAttribute('aria-invalid', 'true');
    await userEvent.clear(bar);
    await userEvent.type(bar, 'oss://Bad_Bucket/{Enter}');
    expect(screen.getByRole('alert')).toHaveTextContent('That is not a valid bucket name');
    await userEvent.clear(bar);
    await userEvent.type(bar, 'oss://archive/2024/reports{Enter}');
    await waitFor(() =>
      expect(fake.calls['objects.list']).toHaveBeenLastCalledWith(
        expect.objectContaining({ bucket: 'archive', prefix: '2024/reports/' }),
      ),
    );
    expect(screen.getByLabelText('Bucket')).toHaveValue('archive');
    expect(bar).toHaveValue('oss://archive/2024/reports/');
  });

  it('selects with the keyboard and the mouse (Shift and Ctrl ranges)', async () => {
    const fake = setup(30);
    renderWithProviders(<BrowserView />, { api: fake.api });
    await screen.findAllByTestId('browser-row');
    const grid = screen.getByRole('grid');
    grid.focus();
    await userEvent.keyboard('{ArrowDown}{ArrowDown} {Shift>}{ArrowDown}{ArrowDown}{/Shift}');
    const selected = () =>
      screen
        .getAllByTestId('browser-row')
        .filter((row) => row.getAttribute('aria-selected') === 'true')
        .map((row) => row.getAttribute('data-key'));
    expect(selected()).toEqual(['file-000002.txt', 'file-000003.txt', 'file-000004.txt']);
    expect(grid).toHaveAttribute('aria-activedescendant', 'browser-row-4');
    expect(screen.getByRole('toolbar')).toHaveTextContent('3 selected');
    await userEvent.keyboard('{Escape}');
    expect(selected()).toEqual([]);

    const rows = screen.getAllByTestId('browser-row');
    await userEvent.click(rows[1]!);
    // Ctrl toggles (on, then off again), Shift adds the range from the last plain choice.
    fireEvent.click(rows[5]!, { ctrlKey: true });
    fireEvent.click(rows[5]!, { metaKey: true });
    fireEvent.click(rows[7]!, { ctrlKey: true });
    fireEvent.click(rows[9]!, { shiftKey: true });
    expect(selected()).toEqual([
      'file-000001.txt',
      'file-000007.txt',
      'file-000008.txt',
      'file-000009.txt',
    ]);
    grid.focus();
    await userEvent.keyboard('{Control>}a{/Control}');
    expect(screen.getByRole('toolbar')).toHaveTextContent('30 selected');
  });

  it('speaks Chinese', async () => {
    const fake = setup(0);
    renderWithProviders(<BrowserView />, { api: fake.api, locale: 'zh-CN' });
    expect(await screen.findByText('此文件夹是空的。')).toBeInTheDocument();
    expect(screen.getByLabelText('存储桶')).toHaveValue('photos');
  });
});
