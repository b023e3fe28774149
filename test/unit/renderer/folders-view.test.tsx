// @vitest-environment jsdom
// The Folders view: loading, empty (the add form at once), error, many pairs; the add-pair
// flow with its checks and a refusal shown at the field it names; the delete guard's list
// and the confirmation that states the count; remove, pause, sync now, ignore patterns,
// problems, and live updates from events.
import '@testing-library/jest-dom/vitest';
import { act, fireEvent, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import {
  ContractError,
  type AccountDto,
  type Params,
  type Result,
} from '../../../shared/contract/index.js';
import { NavigationContext } from '../../../renderer/src/shell/navigation.js';
import { FoldersView } from '../../../renderer/src/views/folders-view.js';
import { createFakeApi } from './helpers/fake-api.js';
import { renderWithProviders, useDomLayout } from './helpers/render.js';
import { NOW, pairStatus } from './helpers/samples.js';

const never = () => new Promise<never>(() => {});

function account(id: number, overrides: Partial<AccountDto> = {}): AccountDto {
  return {
    id,
    kind: 'aliyun',
    name: `Account ${id}`,
    endpoint: null,
    region: 'cn-hangzhou',
    defaultBucket: null,
    accessKeyIdMasked: 'LTAI****wxyz',
    hasSecret: true,
    hasSecurityToken: false,
    securityTokenExpiresAt: null,
    createdAt: NOW,
    ...overrides,
  };
}

const accounts = async () => ({
  accounts: [account(1, { defaultBucket: 'bucket-b' }), account(2, { name: 'Work' })],
});
const buckets = async ({ accountId }: Params<'buckets.list'>) => ({
  buckets: ['bucket-a', 'bucket-b', `only-${accountId}-bucket`].map((name) => ({
    name,
    region: null,
    createdAt: null,
    storageClass: null,
  })),
});

/** pairs.pendingDeletes over `total` paths; cursors are offsets. */
function pendingOf(total: number) {
  return async (
    params: Params<'pairs.pendingDeletes'>,
  ): Promise<Result<'pairs.pendingDeletes'>> => {
    const offset = params.cursor === undefined ? 0 : Number(params.cursor);
    const end = Math.min(total, offset + (params.pageSize ?? 100));
    const items = [];
    for (let i = offset; i < end; i += 1)
      items.push({ path: `gone/file-${i}.txt`, key: `backup-1/gone/file-${i}.txt`, size: 2048 });
    return { items, nextCursor: end < total ? String(end) : null, total };
  };
}

const waiting = (count: number) =>
  pairStatus(1, {
    state: 'waiting-for-confirmation',
    pair: { ...pairStatus(1).pair, mode: 'mirror', deleteMode: 'trash', trashRetentionDays: 14 },
    counters: { ...pairStatus(1).counters, deletesAwaiting: count },
  });

describe('FoldersView', () => {
  useDomLayout();

  it('says it is loading', () => {
    const fake = createFakeApi({ 'pairs.list': never });
    renderWithProviders(<FoldersView />, { api: fake.api });
    expect(screen.getByRole('heading', { level: 1, name: 'Folders' })).toBeInTheDocument();
    expect(screen.getByText('Loading the synced folders…')).toBeInTheDocument();
  });

  it('offers the add form at once when there is no pair, and explains both modes', async () => {
    const fake = createFakeApi({
      'pairs.list': async () => ({ pairs: [] }),
      'accounts.list': accounts,
      'buckets.list': buckets,
    });
    renderWithProviders(<FoldersView />, { api: fake.api });
    expect(await screen.findByText(/No folders are synced yet/)).toBeInTheDocument();
    expect(await screen.findByRole('form', { name: 'Sync a folder' })).toBeInTheDocument();
    const backup = screen.getByRole('radio', { name: 'Backup' });
    expect(backup).toBeChecked();
    expect(backup).toHaveAccessibleDescription(/never deletes anything in the bucket/);
    expect(screen.getByRole('radio', { name: 'Mirror' })).toHaveAccessibleDescription(
      /removed from the bucket too/,
    );
    // The default bucket of the account in use is chosen once the buckets are listed.
    await waitFor(() => expect(screen.getByLabelText('Bucket')).toHaveValue('bucket-b'));
  });

  it('sends to Settings when there is no account to sync with', async () => {
    let went = '';
    const fake = createFakeApi({
      'pairs.list': async () => ({ pairs: [] }),
      'accounts.list': async () => ({ accounts: [] }),
    });
    renderWithProviders(<FoldersView />, { api: fake.api, navigate: (view) => (went = view) });
    await userEvent.click(await screen.findByRole('button', { name: 'Go to Settings' }));
    expect(went).toBe('settings');
  });

  it('shows a load failure with the next step and retries', async () => {
    let fail = true;
    const fake = createFakeApi({
      'pairs.list': async () => {
        if (fail) throw new ContractError('network', 'ECONNREFUSED');
        return { pairs: [pairStatus(1)] };
      },
    });
    renderWithProviders(<FoldersView />, { api: fake.api });
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('Could not load the synced folders.');
    expect(alert).toHaveTextContent('Check your internet connection');
    fail = false;
    await userEvent.click(within(alert).getByRole('button', { name: 'Try again' }));
    expect(await screen.findByTestId('pair-card-1')).toBeInTheDocument();
  });

  it('lists many pairs, each with its state and what its mode does to deletions', async () => {
    const pairs = Array.from({ length: 300 }, (_, i) =>
      pairStatus(
        i + 1,
        i === 1 ? { pair: { ...pairStatus(2).pair, mode: 'mirror', deleteMode: 'permanent' } } : {},
      ),
    );
    const fake = createFakeApi({ 'pairs.list': async () => ({ pairs }) });
    renderWithProviders(<FoldersView />, { api: fake.api });
    expect(await screen.findByRole('heading', { name: '300 synced folders' })).toBeInTheDocument();
    expect(document.querySelectorAll('article.pair-card')).toHaveLength(300);
    expect(screen.getByTestId('pair-card-1')).toHaveTextContent(
      'Deleting a file here never deletes it in the bucket.',
    );
    expect(screen.getByTestId('pair-card-2')).toHaveTextContent(
      'A file deleted here is deleted in the bucket for good.',
    );
    expect(screen.getByTestId('pair-card-300')).toHaveTextContent(
      'oss://photos-bucket/backup-300/',
    );
    // An idle pair with nothing pending says "Up to date" once (its badge), not twice.
    const card = screen.getByTestId('pair-card-1');
    expect(card.textContent?.match(/Up to date/g)).toHaveLength(1);
    expect(card).toHaveTextContent('Waiting to syncNone');
  });

  it('adds a pair with the chosen values after checking the path', async () => {
    const fake = createFakeApi({
      'pairs.list': async () => ({ pairs: [] }),
      'accounts.list': accounts,
      'buckets.list': buckets,
      'pairs.add': async (params) =>
        pairStatus(7, {
          pair: {
            ...pairStatus(7).pair,
            accountId: params.accountId,
            localRoot: params.localRoot,
            bucket: params.bucket,
            prefix: params.prefix,
            mode: params.mode ?? 'backup',
          },
        }),
    });
    renderWithProviders(<FoldersView />, { api: fake.api });
    const folder = await screen.findByLabelText('Folder on this computer');
    await userEvent.type(folder, 'Documents/notes');
    await userEvent.click(screen.getByRole('button', { name: 'Start syncing' }));
    expect(folder).toHaveAttribute('aria-invalid', 'true');
    expect(folder).toHaveAccessibleDescription(/Enter the full path, starting with \//);
    expect(folder).toHaveFocus();
    expect(fake.calls['pairs.add']).not.toHaveBeenCalled();

    await userEvent.clear(folder);
    await userEvent.type(folder, '/home/me/notes');
    await userEvent.selectOptions(screen.getByLabelText('Account'), 'Work');
    await waitFor(() =>
      expect(fake.calls['buckets.list']).toHaveBeenLastCalledWith({ accountId: 2 }),
    );
    await userEvent.selectOptions(await screen.findByLabelText('Bucket'), 'only-2-bucket');
    await userEvent.type(screen.getByLabelText('Folder in the bucket'), 'notes/2026');
    expect(
      screen.getByText('Files will go to oss://only-2-bucket/notes/2026/'),
    ).toBeInTheDocument();
    await userEvent.click(screen.getByRole('radio', { name: 'Mirror' }));
    const days = screen.getByLabelText('Days to keep deleted files in the trash');
    await userEvent.clear(days);
    await userEvent.type(days, '7');
    await userEvent.click(screen.getByRole('button', { name: 'Start syncing' }));

    await waitFor(() =>
      expect(fake.calls['pairs.add']).toHaveBeenCalledWith({
        accountId: 2,
        localRoot: '/home/me/notes',
        bucket: 'only-2-bucket',
        prefix: 'notes/2026/',
        mode: 'mirror',
        deleteMode: 'trash',
        trashRetentionDays: 7,
      }),
    );
    const card = await screen.findByTestId('pair-card-7');
    expect(card).toHaveTextContent('/home/me/notes');
    await waitFor(() => expect(card).toHaveFocus());
    expect(screen.queryByRole('form')).not.toBeInTheDocument();
    expect(screen.getByText('/home/me/notes is now synced.')).toBeInTheDocument();
  });

  it('in the desktop app, fills the folder from the system picker', async () => {
    const fake = createFakeApi({
      'pairs.list': async () => ({ pairs: [] }),
      'accounts.list': accounts,
      'buckets.list': buckets,
      'app.info': async () => ({ version: '0.1.0', host: 'electron', platform: 'linux' }),
      'app.pickFolder': async () => ({ path: '/home/me/Pictures' }),
    });
    renderWithProviders(<FoldersView />, { api: fake.api });
    const folder = await screen.findByLabelText('Folder on this computer');
    await userEvent.type(folder, '/home/me');
    await userEvent.click(await screen.findByRole('button', { name: 'Choose…' }));
    await waitFor(() => expect(folder).toHaveValue('/home/me/Pictures'));
    expect(fake.calls['app.pickFolder']).toHaveBeenCalledWith({ defaultPath: '/home/me' });
  });

  it('offers no picker headless (only the path field)', async () => {
    const fake = createFakeApi({
      'pairs.list': async () => ({ pairs: [] }),
      'accounts.list': accounts,
      'buckets.list': buckets,
      'app.info': async () => ({ version: '0.1.0', host: 'headless', platform: 'linux' }),
    });
    renderWithProviders(<FoldersView />, { api: fake.api });
    await screen.findByLabelText('Folder on this computer');
    await waitFor(() => expect(fake.calls['app.info']).toHaveBeenCalled());
    expect(screen.queryByRole('button', { name: 'Choose…' })).toBeNull();
  });

  it('shows a refusal from pairs.add at the field it names', async () => {
    const fake = createFakeApi({
      'pairs.list': async () => ({ pairs: [] }),
      'accounts.list': accounts,
      'buckets.list': buckets,
      'pairs.add': async () => {
        throw new ContractError('invalid-argument', '/srv/none does not exist.', {
          subject: 'params.localRoot',
        });
      },
    });
    renderWithProviders(<FoldersView />, { api: fake.api });
    const folder = await screen.findByLabelText('Folder on this computer');
    await userEvent.type(folder, '/srv/none');
    await waitFor(() => expect(screen.getByLabelText('Bucket')).toHaveValue('bucket-b'));
    await userEvent.click(screen.getByRole('button', { name: 'Start syncing' }));
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('Folder on this computer: A value given is not usable.');
    expect(alert).toHaveTextContent('Check the highlighted field');
    expect(within(alert).getByText('/srv/none does not exist.')).toBeInTheDocument();
    expect(folder).toHaveAttribute('aria-invalid', 'true');
    expect(folder).toHaveFocus();
    // Correcting the field takes the stale refusal away.
    await userEvent.type(folder, '2');
    expect(screen.queryByRole('alert')).not.toBeInTheDocument();
    expect(folder).toHaveAttribute('aria-invalid', 'false');
    expect(fake.calls['pairs.add']).toHaveBeenCalledWith({
      accountId: 1,
      localRoot: '/srv/none',
      bucket: 'bucket-b',
      prefix: '',
      mode: 'backup',
    });
  });

  it('lists what a held-back pass would delete and confirms with the count shown', async () => {
    const fake = createFakeApi({
      'pairs.list': async () => ({ pairs: [waiting(12_345)] }),
      'pairs.pendingDeletes': pendingOf(12_345),
      'pairs.confirmDeletes': async () => pairStatus(1, { state: 'syncing' }),
    });
    renderWithProviders(<FoldersView />, { api: fake.api });
    expect(
      await screen.findByText(/12,345 files were deleted on this computer/),
    ).toBeInTheDocument();
    const list = await screen.findByRole('feed', {
      name: 'Objects that would be deleted in oss://photos-bucket/backup-1/',
    });
    const rows = within(list).getAllByTestId('pending-row');
    expect(rows.length).toBeGreaterThan(5);
    expect(rows.length).toBeLessThan(40);
    expect(rows[0]).toHaveTextContent('gone/file-0.txt');
    expect(fake.calls['pairs.pendingDeletes']).toHaveBeenCalledWith({ pairId: 1, pageSize: 200 });

    // Scrolling towards the end of what is loaded asks for the next page.
    const scroller = screen.getByTestId('pending-deletes-1');
    act(() => {
      scroller.scrollTop = 36 * 180;
      fireEvent.scroll(scroller);
    });
    await waitFor(() =>
      expect(fake.calls['pairs.pendingDeletes']).toHaveBeenLastCalledWith({
        pairId: 1,
        pageSize: 200,
        cursor: '200',
      }),
    );

    await userEvent.click(screen.getByRole('button', { name: 'Delete 12,345 objects' }));
    const dialog = screen.getByRole('dialog', { name: 'Delete 12,345 objects from the bucket?' });
    expect(dialog).toHaveTextContent(
      "they move to the bucket's trash and are deleted after 14 days",
    );
    // The safe choice has the focus.
    expect(within(dialog).getByRole('button', { name: 'Not now' })).toHaveFocus();
    await userEvent.click(within(dialog).getByRole('button', { name: 'Delete 12,345 objects' }));
    await waitFor(() =>
      expect(fake.calls['pairs.confirmDeletes']).toHaveBeenCalledWith({
        pairId: 1,
        expectedCount: 12_345,
      }),
    );
    await waitFor(() => expect(screen.queryByRole('dialog')).not.toBeInTheDocument());
    expect(screen.getByTestId('pair-card-1')).toHaveTextContent('Syncing');
  });

  it('shows why a confirmation was refused, and rejects on request', async () => {
    const fake = createFakeApi({
      'pairs.list': async () => ({ pairs: [waiting(3)] }),
      'pairs.pendingDeletes': pendingOf(3),
      'pairs.confirmDeletes': async () => {
        throw new ContractError(
          'precondition-failed',
          '4 deletions are waiting now, not the 3 shown',
        );
      },
      'pairs.rejectDeletes': async () => pairStatus(1),
    });
    renderWithProviders(<FoldersView />, { api: fake.api });
    await userEvent.click(await screen.findByRole('button', { name: 'Delete 3 objects' }));
    const dialog = screen.getByRole('dialog');
    await userEvent.click(within(dialog).getByRole('button', { name: 'Delete 3 objects' }));
    expect(await within(dialog).findByRole('alert')).toHaveTextContent(
      'The item changed in the meantime.',
    );
    await userEvent.keyboard('{Escape}');
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();

    await userEvent.click(screen.getByRole('button', { name: 'Keep them in the bucket' }));
    const reject = screen.getByRole('dialog', { name: 'Keep these objects in the bucket?' });
    expect(reject).toHaveTextContent('it will not delete them later either');
    await userEvent.click(within(reject).getByRole('button', { name: 'Keep them in the bucket' }));
    await waitFor(() =>
      expect(fake.calls['pairs.rejectDeletes']).toHaveBeenCalledWith({ pairId: 1 }),
    );
    await waitFor(() =>
      expect(screen.queryByText('Deletions waiting for your confirmation')).not.toBeInTheDocument(),
    );
  });

  it('removes a pair after a dialog saying no file or object is deleted', async () => {
    const fake = createFakeApi({
      'pairs.list': async () => ({ pairs: [pairStatus(1), pairStatus(2)] }),
      'pairs.remove': async () => ({}),
    });
    renderWithProviders(<FoldersView />, { api: fake.api });
    const card = await screen.findByTestId('pair-card-1');
    await userEvent.click(within(card).getByRole('button', { name: 'Stop syncing…' }));
    const dialog = screen.getByRole('dialog', { name: 'Stop syncing /home/user/folder-1?' });
    expect(dialog).toHaveTextContent(
      'No file on this computer and no object in the bucket is deleted.',
    );
    await userEvent.click(within(dialog).getByRole('button', { name: 'Stop syncing' }));
    await waitFor(() => expect(screen.queryByTestId('pair-card-1')).not.toBeInTheDocument());
    expect(fake.calls['pairs.remove']).toHaveBeenCalledWith({ pairId: 1 });
    expect(screen.getByTestId('pair-card-2')).toBeInTheDocument();
    // The button that opened the dialog is gone: the focus goes to the view's heading.
    expect(screen.getByRole('heading', { level: 1, name: 'Folders' })).toHaveFocus();
  });

  it('pauses, resumes, syncs now and saves ignore patterns', async () => {
    const fake = createFakeApi({
      'pairs.list': async () => ({ pairs: [pairStatus(1)] }),
      'pairs.pause': async () =>
        pairStatus(1, { state: 'paused', pair: { ...pairStatus(1).pair, paused: true } }),
      'pairs.resume': async () => pairStatus(1, { state: 'scanning' }),
      'pairs.syncNow': async () => pairStatus(1, { state: 'scanning' }),
      'pairs.update': async ({ changes }) =>
        pairStatus(1, { pair: { ...pairStatus(1).pair, ignore: changes.ignore ?? [] } }),
    });
    renderWithProviders(<FoldersView />, { api: fake.api });
    const card = await screen.findByTestId('pair-card-1');
    await userEvent.click(within(card).getByRole('button', { name: 'Pause' }));
    expect(await within(card).findByRole('button', { name: 'Resume' })).toBeInTheDocument();
    expect(card).toHaveTextContent('Paused');
    expect(within(card).getByRole('button', { name: 'Sync now' })).toBeDisabled();
    await userEvent.click(within(card).getByRole('button', { name: 'Resume' }));
    await userEvent.click(await within(card).findByRole('button', { name: 'Sync now' }));
    expect(fake.calls['pairs.syncNow']).toHaveBeenCalledWith({ pairId: 1 });

    await userEvent.click(within(card).getByRole('button', { name: 'Ignore patterns' }));
    const patterns = within(card).getByLabelText('Ignore patterns');
    await userEvent.type(patterns, '*.log{Enter}{Enter}build/  ');
    await userEvent.click(within(card).getByRole('button', { name: 'Save patterns' }));
    await waitFor(() =>
      expect(fake.calls['pairs.update']).toHaveBeenCalledWith({
        pairId: 1,
        changes: { ignore: ['*.log', 'build/'] },
      }),
    );
    expect(await within(card).findByText('2 own patterns')).toBeInTheDocument();
  });

  it('changes a pair to mirror with deletions for good', async () => {
    const fake = createFakeApi({
      'pairs.list': async () => ({ pairs: [pairStatus(1)] }),
      'pairs.update': async ({ changes }) =>
        pairStatus(1, { pair: { ...pairStatus(1).pair, ...changes } }),
    });
    renderWithProviders(<FoldersView />, { api: fake.api });
    const card = await screen.findByTestId('pair-card-1');
    const open = within(card).getByRole('button', { name: 'Mode' });
    await userEvent.click(open);
    expect(open).toHaveAttribute('aria-expanded', 'true');
    const form = within(card).getByRole('form', {
      name: 'What happens when you delete a file in the folder?',
    });
    expect(within(form).getByRole('radio', { name: 'Backup' })).toBeChecked();
    await userEvent.click(within(form).getByRole('radio', { name: 'Mirror' }));
    const forGood = within(form).getByRole('radio', { name: 'Delete them for good' });
    expect(forGood).toHaveAccessibleDescription(/gone from the bucket too/);
    await userEvent.click(forGood);
    await userEvent.click(within(form).getByRole('button', { name: 'Save mode' }));
    await waitFor(() =>
      expect(fake.calls['pairs.update']).toHaveBeenCalledWith({
        pairId: 1,
        changes: { mode: 'mirror', deleteMode: 'permanent' },
      }),
    );
    await waitFor(() =>
      expect(card).toHaveTextContent('A file deleted here is deleted in the bucket for good.'),
    );
    expect(within(card).queryByRole('form')).not.toBeInTheDocument();
  });

  it("shows a pair's problems and conflicts on request", async () => {
    const fake = createFakeApi({
      'pairs.list': async () => ({
        pairs: [
          pairStatus(1, { counters: { ...pairStatus(1).counters, errors: 1, conflicts: 1 } }),
        ],
      }),
      'pairs.issues': async () => ({
        items: [{ path: 'secret/locked.db', code: 'unreadable', message: 'EACCES' }],
        nextCursor: null,
        total: 1,
      }),
      'pairs.conflicts': async () => ({
        items: [
          {
            path: 'notes.txt',
            keptAs: 'backup-1/.ossync-conflicts/20260115/notes.txt',
            resolution: 'local-won',
            remoteEtag: null,
            at: NOW,
          },
        ],
        nextCursor: null,
        total: 1,
      }),
    });
    renderWithProviders(<FoldersView />, { api: fake.api });
    const card = await screen.findByTestId('pair-card-1');
    const issues = within(card).getByRole('button', { name: '1 problem' });
    expect(issues).toHaveAttribute('aria-expanded', 'false');
    await userEvent.click(issues);
    expect(issues).toHaveAttribute('aria-expanded', 'true');
    const row = await within(card).findByTestId('issue-row');
    expect(row).toHaveTextContent('secret/locked.db');
    expect(row).toHaveTextContent('Cannot be read');
    await userEvent.click(within(card).getByRole('button', { name: '1 conflict' }));
    expect(await within(card).findByTestId('conflict-row')).toHaveTextContent(
      "Your version replaced the bucket's; the old one is at backup-1/.ossync-conflicts/20260115/notes.txt.",
    );
  });

  it('follows pairs.statusChanged and pairs.removed', async () => {
    const fake = createFakeApi({
      'pairs.list': async () => ({ pairs: [pairStatus(1), pairStatus(2)] }),
    });
    renderWithProviders(<FoldersView />, { api: fake.api });
    const card = await screen.findByTestId('pair-card-1');
    act(() => fake.emit('pairs.statusChanged', pairStatus(1, { state: 'offline' })));
    await waitFor(() => expect(card).toHaveTextContent('Offline'));
    act(() => fake.emit('pairs.statusChanged', pairStatus(3)));
    expect(await screen.findByTestId('pair-card-3')).toBeInTheDocument();
    act(() => fake.emit('pairs.removed', { pairId: 2 }));
    await waitFor(() => expect(screen.queryByTestId('pair-card-2')).not.toBeInTheDocument());
    expect(screen.getByTestId('pair-card-1')).toBeInTheDocument();
  });

  it('brings the pair it was opened for into view with the focus', async () => {
    const fake = createFakeApi({
      'pairs.list': async () => ({ pairs: [pairStatus(1), pairStatus(2), pairStatus(3)] }),
    });
    renderWithProviders(
      <NavigationContext.Provider
        value={{ view: 'folders', params: { pair: '2' }, navigate: () => {} }}
      >
        <FoldersView />
      </NavigationContext.Provider>,
      { api: fake.api },
    );
    const card = await screen.findByTestId('pair-card-2');
    await waitFor(() => expect(card).toHaveFocus());
  });

  it('speaks Chinese', async () => {
    const fake = createFakeApi({ 'pairs.list': async () => ({ pairs: [pairStatus(1)] }) });
    renderWithProviders(<FoldersView />, { api: fake.api, locale: 'zh-CN' });
    expect(await screen.findByRole('heading', { level: 1, name: '文件夹' })).toBeInTheDocument();
    expect(await screen.findByTestId('pair-card-1')).toHaveTextContent(
      '在这里删除文件，永远不会删除存储桶中的对应文件。',
    );
  });
});
