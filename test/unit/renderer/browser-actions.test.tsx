// @vitest-environment jsdom
// The Browser's actions: delete confirmations that state the count (plain files at once,
// folders counted by main first, an expired confirmation explained), share links with
// their expiry choices and the clipboard, the details panel with text and image previews,
// download to a typed folder, new folders, and dropped files uploaded through the host or
// through Electron's paths.
import '@testing-library/jest-dom/vitest';
import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ContractError, type Params } from '../../../shared/contract/index.js';
import { BrowserView } from '../../../renderer/src/views/browser-view.js';
import { DOWNLOAD_DIR_KEY } from '../../../renderer/src/views/browser/download-dialog.js';
import { account, bucketsOf, listing } from './browser-fixtures.js';
import { createFakeApi } from './helpers/fake-api.js';
import { renderWithProviders, useDomLayout } from './helpers/render.js';
import { NOW, transfer } from './helpers/samples.js';

type Impl = Parameters<typeof createFakeApi>[0];

function setup(extra: Impl = {}, files = 5, folders = 2) {
  const fake = createFakeApi({
    'accounts.list': async () => ({ accounts: [account(1, { defaultBucket: 'photos' })] }),
    'buckets.list': bucketsOf('photos'),
    'objects.list': listing(files, folders),
    ...extra,
  });
  const visited: string[] = [];
  renderWithProviders(<BrowserView />, { api: fake.api, navigate: (v) => visited.push(v) });
  return { fake, visited };
}

const rowOf = (key: string) => {
  const row = document.querySelector(`[data-key="${key}"]`);
  if (!(row instanceof HTMLElement)) throw new Error(`row ${key} is not rendered`);
  return row;
};
/** Selects a row the way a plain click on its size cell does. */
const pick = (key: string, modifiers: { ctrlKey?: boolean } = {}) =>
  fireEvent.click(rowOf(key).querySelector('.cell--size')!, modifiers);

const writeText = vi.fn<(text: string) => Promise<void>>();

beforeEach(() => {
  writeText.mockReset().mockResolvedValue(undefined);
  Object.defineProperty(navigator, 'clipboard', { value: { writeText }, configurable: true });
  localStorage.clear();
  sessionStorage.clear();
});
afterEach(() => {
  vi.unstubAllGlobals();
  delete (window as { ossync?: unknown }).ossync;
});

describe('Browser actions', () => {
  useDomLayout();

  it('states the count of plain files before deleting them, then points to Transfers', async () => {
    const { fake, visited } = setup({
      'objects.delete': async (params) => ({
        status: 'queued',
        batch: 'delete-1',
        jobsQueued: params.keys.length,
      }),
    });
    await screen.findAllByTestId('browser-row');
    pick('file-000000.txt');
    pick('file-000002.txt', { ctrlKey: true });
    pick('file-000004.txt', { ctrlKey: true });
    await userEvent.click(screen.getByRole('button', { name: 'Delete…' }));
    const dialog = screen.getByRole('dialog', { name: 'Delete from the bucket' });
    expect(within(dialog).getByTestId('delete-count')).toHaveTextContent('Delete 3 objects?');
    // Nothing is deleted by opening the dialog; focus starts on Cancel.
    expect(fake.calls['objects.delete']).not.toHaveBeenCalled();
    expect(within(dialog).getByRole('button', { name: 'Cancel' })).toHaveFocus();
    await userEvent.click(within(dialog).getByRole('button', { name: 'Delete 3 objects' }));
    expect(fake.calls['objects.delete']).toHaveBeenCalledWith({
      accountId: 1,
      bucket: 'photos',
      keys: ['file-000000.txt', 'file-000002.txt', 'file-000004.txt'],
    });
    const note = await screen.findByTestId('queued-note');
    expect(note).toHaveTextContent('3 objects queued for deletion.');
    expect(screen.queryByRole('dialog')).toBeNull();
    await userEvent.click(within(note).getByRole('button', { name: 'See them in Transfers' }));
    expect(visited).toEqual(['transfers']);
  });

  it('has main count what is under chosen folders, and confirms with its token', async () => {
    let expired = true;
    const deleteCalls: Params<'objects.delete'>[] = [];
    const { fake } = setup({
      'objects.delete': async (params) => {
        deleteCalls.push(params);
        if (params.confirmationToken === undefined)
          return {
            status: 'needs-confirmation',
            count: 20_512,
            confirmationToken: `token-${deleteCalls.length}`,
            expiresAt: NOW + 300_000,
          };
        if (expired) throw new ContractError('confirmation-expired', 'token expired');
        return { status: 'queued', batch: 'delete-2', jobsQueued: 20_512 };
      },
    });
    await screen.findAllByTestId('browser-row');
    await userEvent.click(screen.getByRole('checkbox', { name: 'Select dir-000001' }));
    await userEvent.click(screen.getByRole('checkbox', { name: 'Select file-000003.txt' }));
    await userEvent.click(screen.getByRole('button', { name: 'Delete…' }));
    const dialog = screen.getByRole('dialog');
    expect(await within(dialog).findByTestId('delete-count')).toHaveTextContent(
      'Delete 20,512 objects, counting everything inside the chosen folders?',
    );
    expect(deleteCalls[0]).toEqual({
      accountId: 1,
      bucket: 'photos',
      keys: ['dir-000001/', 'file-000003.txt'],
    });
    // The first confirmation comes back expired: said plainly, with a way to count again.
    await userEvent.click(within(dialog).getByRole('button', { name: 'Delete 20,512 objects' }));
    const alert = await within(dialog).findByRole('alert');
    expect(alert).toHaveTextContent('Nothing was deleted. The confirmation expired.');
    expect(alert).toHaveTextContent('Ask again and confirm within a few minutes.');
    expect(deleteCalls[1]?.confirmationToken).toBe('token-1');
    expired = false;
    await userEvent.click(within(alert).getByRole('button', { name: 'Try again' }));
    await waitFor(() => expect(within(dialog).queryByRole('alert')).toBeNull());
    await userEvent.click(within(dialog).getByRole('button', { name: 'Delete 20,512 objects' }));
    expect(await screen.findByTestId('queued-note')).toHaveTextContent(
      '20,512 objects queued for deletion.',
    );
    expect(deleteCalls.at(-1)?.confirmationToken).toBe('token-3');
    expect(fake.calls['objects.delete']).toHaveBeenCalledTimes(4);
  });

  it('offers 1 hour, 1 day, 7 days or a custom expiry, and copies the link', async () => {
    const { fake } = setup({
      'objects.shareLink': async (params) => ({
        url: `https://photos.oss-cn-hangzhou.aliyuncs.com/${params.key}?x-oss-expires=${params.expiresInSeconds}`,
        expiresAt: NOW + params.expiresInSeconds * 1000,
      }),
    });
    await screen.findAllByTestId('browser-row');
    // Share needs exactly one file.
    expect(screen.getByRole('button', { name: 'Share link…' })).toBeDisabled();
    pick('file-000001.txt');
    await userEvent.click(screen.getByRole('button', { name: 'Share link…' }));
    const dialog = screen.getByRole('dialog', { name: 'Share link for file-000001.txt' });
    const radios = within(dialog).getAllByRole('radio');
    expect(radios.map((r) => r.parentElement?.textContent)).toEqual([
      '1 hour',
      '1 day',
      '7 days',
      'Custom',
    ]);
    expect(within(dialog).getByRole('radio', { name: '1 day' })).toBeChecked();
    await userEvent.click(within(dialog).getByRole('radio', { name: '7 days' }));
    await userEvent.click(within(dialog).getByRole('button', { name: 'Create and copy link' }));
    await waitFor(() =>
      expect(fake.calls['objects.shareLink']).toHaveBeenLastCalledWith({
        accountId: 1,
        bucket: 'photos',
        key: 'file-000001.txt',
        expiresInSeconds: 604_800,
      }),
    );
    await waitFor(() =>
      expect(writeText).toHaveBeenCalledWith(
        'https://photos.oss-cn-hangzhou.aliyuncs.com/file-000001.txt?x-oss-expires=604800',
      ),
    );
    expect(within(dialog).getByRole('status')).toHaveTextContent(
      'Link copied to the clipboard. It works until',
    );

    // Custom: more than 7 days is refused before asking; 90 minutes is 5,400 s.
    await userEvent.click(within(dialog).getByRole('radio', { name: 'Custom' }));
    const amount = within(dialog).getByRole('spinbutton', { name: 'How long' });
    await userEvent.selectOptions(within(dialog).getByRole('combobox', { name: 'Unit' }), 'days');
    await userEvent.clear(amount);
    await userEvent.type(amount, '8');
    expect(within(dialog).getByRole('alert')).toHaveTextContent(
      'A link can work for at most 7 days.',
    );
    expect(within(dialog).getByRole('button', { name: 'Create and copy link' })).toBeDisabled();
    await userEvent.selectOptions(
      within(dialog).getByRole('combobox', { name: 'Unit' }),
      'minutes',
    );
    await userEvent.clear(amount);
    await userEvent.type(amount, '90');
    await userEvent.click(within(dialog).getByRole('button', { name: 'Create and copy link' }));
    await waitFor(() =>
      expect(fake.calls['objects.shareLink']).toHaveBeenLastCalledWith(
        expect.objectContaining({ expiresInSeconds: 5400 }),
      ),
    );

    // Without a clipboard the link stays shown, with a plain note.
    writeText.mockRejectedValue(new Error('denied'));
    await userEvent.click(within(dialog).getByRole('radio', { name: '1 hour' }));
    await userEvent.click(within(dialog).getByRole('button', { name: 'Create and copy link' }));
    expect(await within(dialog).findByText(/could not be copied automatically/)).toBeVisible();
    expect(within(dialog).getByRole('textbox', { name: 'Link' })).toHaveValue(
      'https://photos.oss-cn-hangzhou.aliyuncs.com/file-000001.txt?x-oss-expires=3600',
    );
    await userEvent.keyboard('{Escape}');
    expect(screen.queryByRole('dialog')).toBeNull();
  });

  it('shows the details of a file and previews text and images', async () => {
    const createObjectURL = vi.fn(() => 'blob:preview-1');
    const revokeObjectURL = vi.fn();
    vi.stubGlobal('URL', Object.assign(URL, { createObjectURL, revokeObjectURL }));
    const text = 'hello 你好\nsecond line';
    const { fake } = setup({
      'objects.details': async ({ key }) => ({
        key,
        size: key.endsWith('1.txt') ? 1_234_567 : 68,
        lastModified: NOW,
        etag: '5EB63BBBE01EEED093CB22BB8F5ACDC3',
        crc64: '12345678901234567890',
        storageClass: 'IA',
        contentType: key.endsWith('1.txt') ? 'text/plain; charset=utf-8' : 'image/png',
        userMetadata: [{ name: 'author', value: '张三' }],
      }),
      'objects.preview': async ({ key }) =>
        key.endsWith('1.txt')
          ? {
              contentType: 'text/plain',
              size: 1_234_567,
              truncated: true,
              data: Buffer.from(text).toString('base64'),
            }
          : { contentType: 'image/png', size: 68, truncated: false, data: 'iVBORw0KGgo=' },
    });
    await screen.findAllByTestId('browser-row');
    pick('file-000001.txt');
    const facts = await screen.findByTestId('object-details');
    expect(facts).toHaveTextContent('1.2 MB');
    expect(facts).toHaveTextContent('1,234,567 bytes');
    expect(facts).toHaveTextContent('5EB63BBBE01EEED093CB22BB8F5ACDC3');
    expect(facts).toHaveTextContent('12345678901234567890');
    expect(facts).toHaveTextContent('IA');
    expect(facts).toHaveTextContent('text/plain; charset=utf-8');
    expect(facts).toHaveTextContent('author');
    expect(facts).toHaveTextContent('张三');
    // No preview bytes are fetched until asked for.
    expect(fake.calls['objects.preview']).not.toHaveBeenCalled();
    await userEvent.click(screen.getByRole('button', { name: 'Preview' }));
    const pre = await screen.findByLabelText('Text of file-000001.txt');
    expect(pre.tagName).toBe('PRE');
    expect(pre.textContent).toBe(text);
    expect(screen.getByTestId('preview')).toHaveTextContent('Showing the first 256 kB of 1.2 MB.');

    // An image: shown through a blob: URL, which is released when the preview goes.
    pick('file-000002.txt');
    await waitFor(() =>
      expect(screen.getByTestId('object-details')).toHaveTextContent('image/png'),
    );
    await userEvent.click(screen.getByRole('button', { name: 'Preview' }));
    const image = await screen.findByRole('img', { name: 'Preview of file-000002.txt' });
    expect(image).toHaveAttribute('src', 'blob:preview-1');
    expect(createObjectURL).toHaveBeenCalledTimes(1);
    const blob = createObjectURL.mock.calls[0] as unknown as [Blob];
    expect(blob[0].type).toBe('image/png');
    expect(blob[0].size).toBe(8);
    await userEvent.click(screen.getByRole('button', { name: 'Hide preview' }));
    expect(revokeObjectURL).toHaveBeenCalledWith('blob:preview-1');
  });

  it('explains a details failure with the translated message', async () => {
    setup({
      'objects.details': async ({ key }) => {
        throw new ContractError('no-such-key', `${key} is gone`, { subject: key });
      },
    });
    await screen.findAllByTestId('browser-row');
    pick('file-000000.txt');
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('Could not load the details. The object does not exist.');
    expect(alert).toHaveTextContent('Refresh the listing.');
  });

  it('downloads to a typed folder, checked first and remembered', async () => {
    localStorage.setItem(DOWNLOAD_DIR_KEY, '/home/me/Downloads');
    const { fake } = setup({
      'objects.download': async (params) => ({
        batch: 'download-1',
        jobsQueued: params.keys.length * 10,
      }),
    });
    await screen.findAllByTestId('browser-row');
    await userEvent.click(screen.getByRole('checkbox', { name: 'Select dir-000000' }));
    await userEvent.click(screen.getByRole('checkbox', { name: 'Select file-000000.txt' }));
    await userEvent.click(screen.getByRole('button', { name: 'Download…' }));
    const dialog = screen.getByRole('dialog', { name: 'Download' });
    const field = within(dialog).getByRole('textbox', { name: 'Local folder' });
    expect(field).toHaveValue('/home/me/Downloads');
    expect(field).toHaveFocus();
    await userEvent.clear(field);
    await userEvent.type(field, 'Downloads/photos{Enter}');
    expect(within(dialog).getByText(/Type a full path, starting with \//)).toBeInTheDocument();
    expect(field).toHaveAttribute('aria-invalid', 'true');
    await userEvent.clear(field);
    await userEvent.type(field, '/srv/../etc{Enter}');
    expect(within(dialog).getByText(/cannot contain “..”/)).toBeInTheDocument();
    expect(fake.calls['objects.download']).not.toHaveBeenCalled();
    await userEvent.clear(field);
    await userEvent.type(field, '/data/photos{Enter}');
    expect(await screen.findByTestId('queued-note')).toHaveTextContent('20 downloads queued.');
    expect(fake.calls['objects.download']).toHaveBeenCalledWith({
      accountId: 1,
      bucket: 'photos',
      keys: ['dir-000000/', 'file-000000.txt'],
      targetDir: '/data/photos',
    });
    expect(localStorage.getItem(DOWNLOAD_DIR_KEY)).toBe('/data/photos');
  });

  it('in the desktop app, picks the download folder with the system picker', async () => {
    localStorage.setItem(DOWNLOAD_DIR_KEY, '/home/me/Downloads');
    const { fake } = setup({
      'app.info': async () => ({ version: '0.1.0', host: 'electron', platform: 'linux' }),
      'app.pickFolder': async () => ({ path: '/home/me/Pictures' }),
    });
    await screen.findAllByTestId('browser-row');
    await userEvent.click(screen.getByRole('checkbox', { name: 'Select file-000000.txt' }));
    await userEvent.click(screen.getByRole('button', { name: 'Download…' }));
    const dialog = screen.getByRole('dialog', { name: 'Download' });
    await userEvent.click(await within(dialog).findByRole('button', { name: 'Choose…' }));
    const field = within(dialog).getByRole('textbox', { name: 'Local folder' });
    await waitFor(() => expect(field).toHaveValue('/home/me/Pictures'));
    expect(fake.calls['app.pickFolder']).toHaveBeenCalledWith({
      defaultPath: '/home/me/Downloads',
    });
  });

  it('shows a refused download with the translated message and keeps the dialog', async () => {
    setup({
      'objects.download': async () => {
        throw new ContractError('local-not-found', 'no such folder', { subject: '/nope' });
      },
    });
    await screen.findAllByTestId('browser-row');
    pick('file-000000.txt');
    await userEvent.click(screen.getByRole('button', { name: 'Download…' }));
    const dialog = screen.getByRole('dialog');
    await userEvent.type(within(dialog).getByRole('textbox'), '/nope{Enter}');
    const alert = await within(dialog).findByRole('alert');
    expect(alert).toHaveTextContent(
      'Nothing was downloaded. The local file or folder does not exist.',
    );
    expect(within(alert).getByText('/nope')).toBeInTheDocument();
  });

  it('creates a folder here after checking its name, and lists again', async () => {
    const { fake } = setup({ 'objects.createFolder': async ({ prefix }) => ({ key: prefix }) });
    await screen.findAllByTestId('browser-row');
    const listCalls = fake.calls['objects.list'].mock.calls.length;
    await userEvent.click(screen.getByRole('button', { name: 'New folder…' }));
    const dialog = screen.getByRole('dialog', { name: 'New folder' });
    const field = within(dialog).getByRole('textbox', { name: 'Folder name' });
    await userEvent.type(field, 'a/b{Enter}');
    expect(within(dialog).getByText(/cannot contain “\/”/)).toBeInTheDocument();
    await userEvent.clear(field);
    await userEvent.type(field, '..{Enter}');
    expect(within(dialog).getByText(/are not allowed in a folder name/)).toBeInTheDocument();
    expect(fake.calls['objects.createFolder']).not.toHaveBeenCalled();
    await userEvent.clear(field);
    await userEvent.type(field, '2026 报告{Enter}');
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    expect(fake.calls['objects.createFolder']).toHaveBeenCalledWith({
      accountId: 1,
      bucket: 'photos',
      prefix: '2026 报告/',
    });
    await waitFor(() =>
      expect(fake.calls['objects.list'].mock.calls.length).toBeGreaterThan(listCalls),
    );
  });

  it('uploads dropped files through the host with the session token', async () => {
    sessionStorage.setItem('ossync.token', 'tok-123');
    const requests: { url: string; init: RequestInit }[] = [];
    vi.stubGlobal(
      'fetch',
      vi.fn(async (url: string, init: RequestInit) => {
        requests.push({ url, init });
        return new Response(JSON.stringify({ jobId: requests.length }), { status: 201 });
      }),
    );
    const { visited } = setup();
    await screen.findAllByTestId('browser-row');
    const a = new File(['hello'], 'a.txt', { type: 'text/plain' });
    const b = new File(['报告'], '报告.md');
    const drop = screen.getByTestId('browser-drop');
    const files = { types: ['Files'], dropEffect: 'none' };
    // Crossing into a child and back out of it keeps the drop target highlighted.
    fireEvent.dragEnter(drop, { dataTransfer: files });
    fireEvent.dragEnter(screen.getByRole('grid'), { dataTransfer: files });
    fireEvent.dragLeave(screen.getByRole('grid'), { dataTransfer: files });
    fireEvent.dragOver(drop, { dataTransfer: files });
    expect(drop).toHaveClass('is-dropping');
    expect(screen.getByText('Drop to upload to oss://photos/')).toBeInTheDocument();
    fireEvent.dragLeave(drop, { dataTransfer: files });
    expect(drop).not.toHaveClass('is-dropping');
    fireEvent.dragEnter(drop, { dataTransfer: files });
    expect(drop).toHaveClass('is-dropping');
    fireEvent.drop(drop, { dataTransfer: { files: [a, b], items: [], types: ['Files'] } });
    expect(drop).not.toHaveClass('is-dropping');
    const status = await screen.findByText('2 files queued for upload.');
    expect(requests.map((r) => r.url)).toEqual([
      '/api/upload?accountId=1&bucket=photos&prefix=&path=a.txt',
      `/api/upload?accountId=1&bucket=photos&prefix=&path=${encodeURIComponent('报告.md')}`,
    ]);
    expect(requests[0]?.init.method).toBe('POST');
    expect(requests[0]?.init.body).toBe(a);
    expect((requests[0]?.init.headers as Record<string, string>)['Authorization']).toBe(
      'Bearer tok-123',
    );
    await userEvent.click(
      within(status.closest('[data-testid="upload-status"]') as HTMLElement).getByRole('button', {
        name: 'See them in Transfers',
      }),
    );
    expect(visited).toEqual(['transfers']);
  });

  it('says why the host refused a dropped file, and how many went before', async () => {
    sessionStorage.setItem('ossync.token', 'tok-123');
    let n = 0;
    vi.stubGlobal(
      'fetch',
      vi.fn(async () => {
        n += 1;
        if (n === 1) return new Response('{}', { status: 201 });
        return new Response(
          JSON.stringify({
            error: {
              code: 'disk-full',
              messageKey: 'errors.disk-full',
              message: 'not enough space',
              subject: 'big.iso',
            },
          }),
          { status: 507 },
        );
      }),
    );
    setup();
    await screen.findAllByTestId('browser-row');
    const files = ['small.txt', 'big.iso', 'never.txt'].map((name) => new File(['x'], name));
    fireEvent.drop(screen.getByTestId('browser-drop'), {
      dataTransfer: { files, items: [], types: ['Files'] },
    });
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent(
      'The upload stopped (1 file was queued before). The disk is full.',
    );
    expect(alert).toHaveTextContent('Free some space on the disk, then retry.');
    expect(within(alert).getByText('big.iso')).toBeInTheDocument();
    expect(n).toBe(2);
  });

  it('in Electron, hands the dropped paths to objects.upload', async () => {
    const pathsForFiles = vi.fn(() => ['/home/me/a.txt', '/home/me/photos']);
    (window as { ossync?: unknown }).ossync = { call: vi.fn(), on: vi.fn(), pathsForFiles };
    const fetchSpy = vi.fn();
    vi.stubGlobal('fetch', fetchSpy);
    const { fake } = setup({
      'objects.upload': async () => ({ batch: 'upload-1', jobsQueued: 42 }),
      'objects.list': async (params) => listing(3)(params),
    });
    await screen.findAllByTestId('browser-row');
    const files = [new File(['x'], 'a.txt'), new File([''], 'photos')];
    fireEvent.drop(screen.getByTestId('browser-drop'), {
      dataTransfer: { files, items: [], types: ['Files'] },
    });
    expect(await screen.findByText('42 files queued for upload.')).toBeInTheDocument();
    expect(pathsForFiles).toHaveBeenCalledWith(files);
    expect(fake.calls['objects.upload']).toHaveBeenCalledWith({
      accountId: 1,
      bucket: 'photos',
      prefix: '',
      localPaths: ['/home/me/a.txt', '/home/me/photos'],
    });
    expect(fetchSpy).not.toHaveBeenCalled();
  });

  it('lists again (throttled) when uploads or deletes here finish', async () => {
    const { fake } = setup();
    await screen.findAllByTestId('browser-row');
    const calls = () => fake.calls['objects.list'].mock.calls.length;
    const before = calls();
    const done = (id: number, overrides: Parameters<typeof transfer>[1]) =>
      fake.emit(
        'transfers.jobChanged',
        transfer(id, { state: 'done', bucket: 'photos', finishedAt: NOW, ...overrides }),
      );
    // Elsewhere, or not finished: nothing to reload.
    done(1, { kind: 'upload', bucket: 'other-bucket', key: 'a.txt' });
    done(2, { kind: 'download', key: 'a.txt' });
    done(3, { kind: 'upload', key: 'a.txt', state: 'running', finishedAt: null });
    await new Promise((resolve) => setTimeout(resolve, 3300));
    expect(calls()).toBe(before);
    // Three here in a burst: one reload.
    done(4, { kind: 'upload', key: 'new-1.txt' });
    done(5, { kind: 'upload', key: 'new-2.txt' });
    done(6, { kind: 'delete', key: 'file-000001.txt' });
    await waitFor(() => expect(calls()).toBe(before + 1), { timeout: 5000 });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(calls()).toBe(before + 1);
  });
});
