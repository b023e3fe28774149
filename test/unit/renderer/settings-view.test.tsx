// @vitest-environment jsdom
// The Settings view: accounts (loading, error, none with storage on this computer offered
// first, many), adding an account whose connection test names a wrong secret, editing and
// removing, transfer limits with units, and the preferences (language, launch at login,
// log level).
import '@testing-library/jest-dom/vitest';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import {
  ContractError,
  type AccountDto,
  type ContractApi,
  type MethodName,
  type SettingsDto,
  type TransferLimits,
} from '../../../shared/contract/index.js';
import { SettingsView } from '../../../renderer/src/views/settings-view.js';
import { createFakeApi } from './helpers/fake-api.js';
import { renderWithProviders, useDomLayout } from './helpers/render.js';
import { NOW } from './helpers/samples.js';

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

const LIMITS: TransferLimits = {
  maxFiles: 4,
  maxPartsPerFile: 4,
  maxParts: 16,
  uploadBytesPerSecond: 2 * 1024 * 1024,
  downloadBytesPerSecond: null,
};
const SETTINGS: SettingsDto = {
  language: 'en',
  launchAtLogin: false,
  logLevel: 'info',
  limits: LIMITS,
};

type Impl = { [M in MethodName]?: ContractApi[M] };

function fakeWith(impl: Impl) {
  return createFakeApi({
    'accounts.list': async () => ({ accounts: [account(1)] }),
    'transfers.getLimits': async () => LIMITS,
    'settings.get': async () => SETTINGS,
    'app.info': async () => ({ version: '0.1.0', host: 'electron', platform: 'linux' }),
    ...impl,
  });
}

describe('SettingsView', () => {
  useDomLayout();

  it('says it is loading', () => {
    const fake = fakeWith({
      'accounts.list': never,
      'transfers.getLimits': never,
      'settings.get': never,
      'app.info': never,
    });
    renderWithProviders(<SettingsView />, { api: fake.api });
    expect(screen.getByRole('heading', { level: 1, name: 'Settings' })).toBeInTheDocument();
    expect(screen.getByText('Loading the accounts…')).toBeInTheDocument();
    expect(screen.getByText('Loading the limits…')).toBeInTheDocument();
    expect(screen.getByText('Loading the settings…')).toBeInTheDocument();
  });

  it('offers storage on this computer first when there is no account, and starts it', async () => {
    const fake = fakeWith({
      'accounts.list': async () => ({ accounts: [] }),
      'accounts.addLocalStorage': async () =>
        account(1, {
          kind: 'local',
          name: 'This computer',
          region: null,
          endpoint: 'http://127.0.0.1:9555',
          defaultBucket: 'ossync-local',
        }),
    });
    renderWithProviders(<SettingsView />, { api: fake.api });
    const offer = (await screen.findByRole('heading', { name: 'Storage on this computer' }))
      .parentElement!;
    expect(offer).toHaveClass('local-offer--prominent');
    expect(offer).toHaveTextContent('No Aliyun account? Try OSSync right away');
    const start = within(offer).getByRole('button', { name: 'Use storage on this computer' });
    expect(start).toHaveClass('button--primary');
    await userEvent.click(start);
    const card = await screen.findByTestId('account-1');
    expect(card).toHaveTextContent('http://127.0.0.1:9555');
    expect(card).toHaveTextContent('ossync-local');
    expect(fake.calls['accounts.addLocalStorage']).toHaveBeenCalledWith({});
    // With an account there, the offer is gone (there is a local one).
    expect(
      screen.queryByRole('heading', { name: 'Storage on this computer' }),
    ).not.toBeInTheDocument();
  });

  it('shows a load failure with the next step and retries', async () => {
    let fail = true;
    const fake = fakeWith({
      'accounts.list': async () => {
        if (fail) throw new ContractError('timeout', 'no answer');
        return { accounts: [account(3)] };
      },
    });
    renderWithProviders(<SettingsView />, { api: fake.api });
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('Could not load the accounts.');
    expect(alert).toHaveTextContent('The storage service did not answer in time.');
    fail = false;
    await userEvent.click(within(alert).getByRole('button', { name: 'Try again' }));
    expect(await screen.findByTestId('account-3')).toBeInTheDocument();
  });

  it('lists many accounts and offers local storage quietly beside them', async () => {
    const accounts = Array.from({ length: 200 }, (_, i) => account(i + 1));
    const fake = fakeWith({ 'accounts.list': async () => ({ accounts }) });
    renderWithProviders(<SettingsView />, { api: fake.api });
    expect(await screen.findByTestId('account-200')).toHaveTextContent('Account 200');
    expect(document.querySelectorAll('li.account')).toHaveLength(200);
    expect(screen.getByTestId('account-1')).toHaveTextContent('LTAI****wxyz');
    const offer = screen.getByRole('heading', { name: 'Storage on this computer' }).parentElement!;
    expect(offer).not.toHaveClass('local-offer--prominent');
  });

  it('adds an account, tests it, and names a wrong secret with the next step', async () => {
    const SECRET = 'Sup3r-S3cret-Value';
    const fake = fakeWith({
      'accounts.list': async () => ({ accounts: [] }),
      'accounts.add': async (params) =>
        account(5, {
          name: params.name,
          region: params.region ?? null,
          defaultBucket: 'my-bucket',
        }),
      'accounts.testConnection': async () => ({
        ok: false,
        problem: 'wrong-secret',
        error: {
          code: 'signature-mismatch',
          messageKey: 'errors.signature-mismatch',
          message: 'The request signature we calculated does not match',
          ossCode: 'SignatureDoesNotMatch',
          requestId: 'REQ-42',
        },
      }),
    });
    renderWithProviders(<SettingsView />, { api: fake.api });
    await userEvent.click(await screen.findByRole('button', { name: 'Add an Aliyun account' }));
    const form = screen.getByRole('form', { name: 'Add an Aliyun account' });
    await userEvent.type(within(form).getByLabelText('Name'), 'Work');
    await userEvent.type(within(form).getByLabelText('Region'), 'cn-shanghai');
    await userEvent.type(within(form).getByLabelText('AccessKey ID'), 'LTAI5tExample');
    // Without the secret, the form says so at the field and sends nothing.
    await userEvent.click(within(form).getByRole('button', { name: 'Add and test' }));
    const secret = within(form).getByLabelText('AccessKey secret');
    expect(secret).toHaveAttribute('type', 'password');
    expect(secret).toHaveAccessibleDescription(/Enter the AccessKey secret/);
    expect(secret).toHaveFocus();
    expect(fake.calls['accounts.add']).not.toHaveBeenCalled();

    await userEvent.type(secret, SECRET);
    await userEvent.type(within(form).getByLabelText('Default bucket (optional)'), 'my-bucket');
    await userEvent.click(within(form).getByRole('button', { name: 'Add and test' }));
    await waitFor(() =>
      expect(fake.calls['accounts.add']).toHaveBeenCalledWith({
        name: 'Work',
        region: 'cn-shanghai',
        accessKeyId: 'LTAI5tExample',
        accessKeySecret: SECRET,
        defaultBucket: 'my-bucket',
      }),
    );
    expect(fake.calls['accounts.testConnection']).toHaveBeenCalledWith({ id: 5 });
    const card = await screen.findByTestId('account-5');
    // The form is gone: the new account's name has the focus, the test result follows it.
    await waitFor(() => expect(within(card).getByRole('heading', { name: 'Work' })).toHaveFocus());
    const alert = await within(card).findByRole('alert');
    expect(alert).toHaveTextContent('Connection test failed: the AccessKey secret is wrong.');
    expect(alert).toHaveTextContent('enter the AccessKey secret again');
    expect(alert).toHaveTextContent('SignatureDoesNotMatch');
    expect(alert).toHaveTextContent('REQ-42');
    // The secret is never shown back.
    expect(document.body.innerHTML).not.toContain(SECRET);
    expect(screen.queryByRole('form')).not.toBeInTheDocument();
    // The way out: edit the account, with the secret field empty.
    await userEvent.click(within(alert).getByRole('button', { name: 'Edit the account' }));
    const edit = screen.getByRole('form', { name: 'Edit Work' });
    expect(within(edit).getByLabelText('AccessKey secret')).toHaveValue('');
  });

  it.each([
    ['wrong-key', 'invalid-access-key', 'the AccessKey ID is wrong'],
    ['clock-skew', 'clock-skew', "this computer's clock is off"],
    ['unreachable', 'network', 'the endpoint cannot be reached'],
    ['no-such-bucket', 'no-such-bucket', 'the bucket does not exist'],
    ['access-denied', 'access-denied', 'not allowed to access this'],
    ['token-expired', 'token-expired', 'the security token has expired'],
  ] as const)('names the %s problem', async (problem, code, words) => {
    const fake = fakeWith({
      'accounts.testConnection': async () => ({
        ok: false,
        problem,
        error: { code, messageKey: `errors.${code}`, message: 'failed' },
      }),
    });
    renderWithProviders(<SettingsView />, { api: fake.api });
    const card = await screen.findByTestId('account-1');
    await userEvent.click(within(card).getByRole('button', { name: 'Test connection' }));
    expect(await within(card).findByRole('alert')).toHaveTextContent(words);
  });

  it('reports a working connection with its latency', async () => {
    const fake = fakeWith({ 'accounts.testConnection': async () => ({ ok: true, latencyMs: 42 }) });
    renderWithProviders(<SettingsView />, { api: fake.api });
    const card = await screen.findByTestId('account-1');
    await userEvent.click(within(card).getByRole('button', { name: 'Test connection' }));
    expect(
      await within(card).findByText('Account 1 works: connected in 42 ms.'),
    ).toBeInTheDocument();
  });

  it('edits an account keeping its secret when the field stays empty', async () => {
    const fake = fakeWith({
      'accounts.update': async (params) => account(1, { name: params.name ?? 'Account 1' }),
      'accounts.testConnection': async () => ({ ok: true, latencyMs: 5 }),
    });
    renderWithProviders(<SettingsView />, { api: fake.api });
    const card = await screen.findByTestId('account-1');
    await userEvent.click(within(card).getByRole('button', { name: 'Edit' }));
    const form = within(card).getByRole('form', { name: 'Edit Account 1' });
    const name = within(form).getByLabelText('Name');
    await userEvent.clear(name);
    await userEvent.type(name, 'Home');
    await userEvent.click(within(form).getByRole('button', { name: 'Save and test' }));
    await waitFor(() =>
      expect(fake.calls['accounts.update']).toHaveBeenCalledWith({
        id: 1,
        name: 'Home',
        region: 'cn-hangzhou',
        defaultBucket: null,
      }),
    );
    expect(await within(card).findByRole('heading', { name: 'Home' })).toBeInTheDocument();
  });

  it('replaces or removes an STS security token, never showing it', async () => {
    const TOKEN = 'CAIS-very-secret-sts-token';
    const fake = fakeWith({
      'accounts.list': async () => ({
        accounts: [account(1, { hasSecurityToken: true, securityTokenExpiresAt: NOW })],
      }),
      'accounts.update': async () => account(1, { hasSecurityToken: true }),
      'accounts.testConnection': async () => ({ ok: true, latencyMs: 5 }),
    });
    renderWithProviders(<SettingsView />, { api: fake.api });
    const card = await screen.findByTestId('account-1');
    expect(card).toHaveTextContent('Security token (STS)');
    expect(card).toHaveTextContent('Stored, expires');
    await userEvent.click(within(card).getByRole('button', { name: 'Edit' }));
    const form = within(card).getByRole('form', { name: 'Edit Account 1' });
    const token = within(form).getByLabelText('Security token (STS, optional)');
    expect(token).toHaveAttribute('type', 'password');
    const drop = within(form).getByRole('checkbox', { name: 'Remove the stored security token' });
    await userEvent.click(drop);
    await userEvent.type(token, TOKEN);
    // A new token wins over removing the old one.
    expect(drop).toBeDisabled();
    await userEvent.click(within(form).getByRole('button', { name: 'Save and test' }));
    await waitFor(() =>
      expect(fake.calls['accounts.update']).toHaveBeenCalledWith({
        id: 1,
        name: 'Account 1',
        region: 'cn-hangzhou',
        defaultBucket: null,
        securityToken: TOKEN,
      }),
    );
    expect(document.body.innerHTML).not.toContain(TOKEN);

    await userEvent.click(await within(card).findByRole('button', { name: 'Edit' }));
    await userEvent.click(
      within(card).getByRole('checkbox', { name: 'Remove the stored security token' }),
    );
    await userEvent.click(within(card).getByRole('button', { name: 'Save and test' }));
    await waitFor(() =>
      expect(fake.calls['accounts.update']).toHaveBeenLastCalledWith({
        id: 1,
        name: 'Account 1',
        region: 'cn-hangzhou',
        defaultBucket: null,
        securityToken: null,
      }),
    );
  });

  it('removes an account after saying nothing in the buckets is deleted, and shows a refusal', async () => {
    let refuse = true;
    const fake = fakeWith({
      'accounts.list': async () => ({ accounts: [account(1), account(2)] }),
      'accounts.remove': async () => {
        if (refuse)
          throw new ContractError('invalid-argument', 'remove its folder pairs first', {
            subject: 'params.id',
          });
        return {};
      },
    });
    renderWithProviders(<SettingsView />, { api: fake.api });
    const card = await screen.findByTestId('account-2');
    await userEvent.click(within(card).getByRole('button', { name: 'Remove…' }));
    const dialog = screen.getByRole('dialog', { name: 'Remove Account 2?' });
    expect(dialog).toHaveTextContent('Nothing in your buckets is deleted.');
    await userEvent.click(within(dialog).getByRole('button', { name: 'Remove' }));
    expect(await within(dialog).findByRole('alert')).toHaveTextContent(
      'The account could not be removed.',
    );
    refuse = false;
    await userEvent.click(within(dialog).getByRole('button', { name: 'Remove' }));
    await waitFor(() => expect(screen.queryByTestId('account-2')).not.toBeInTheDocument());
    expect(fake.calls['accounts.remove']).toHaveBeenLastCalledWith({ id: 2 });
  });

  it('edits the limits with units, empty meaning unlimited, and checks the counts', async () => {
    const fake = fakeWith({ 'transfers.setLimits': async (params) => ({ ...LIMITS, ...params }) });
    renderWithProviders(<SettingsView />, { api: fake.api });
    const upload = await screen.findByLabelText('Upload limit');
    expect(upload).toHaveValue('2');
    expect(screen.getByRole('combobox', { name: 'Unit of Upload limit' })).toHaveValue('mib');
    const download = screen.getByLabelText('Download limit');
    expect(download).toHaveValue('');
    expect(download).toHaveAttribute('placeholder', 'unlimited');

    await userEvent.clear(upload);
    await userEvent.type(download, '500');
    await userEvent.selectOptions(
      screen.getByRole('combobox', { name: 'Unit of Download limit' }),
      'kib',
    );
    const files = screen.getByLabelText('Files transferred at once');
    await userEvent.clear(files);
    await userEvent.type(files, '99');
    await userEvent.click(screen.getByRole('button', { name: 'Save limits' }));
    expect(files).toHaveAccessibleDescription(/Enter a whole number from 1 to 64/);
    expect(fake.calls['transfers.setLimits']).not.toHaveBeenCalled();

    await userEvent.clear(files);
    await userEvent.type(files, '8');
    await userEvent.click(screen.getByRole('button', { name: 'Save limits' }));
    await waitFor(() =>
      expect(fake.calls['transfers.setLimits']).toHaveBeenCalledWith({
        maxFiles: 8,
        maxPartsPerFile: 4,
        maxParts: 16,
        uploadBytesPerSecond: null,
        downloadBytesPerSecond: 500 * 1024,
      }),
    );
    expect(await screen.findByText('Saved. The new limits apply at once.')).toBeInTheDocument();
  });

  it('turns off launch at login on the headless host and says why', async () => {
    const fake = fakeWith({
      'app.info': async () => ({ version: '0.1.0', host: 'headless', platform: 'linux' }),
    });
    renderWithProviders(<SettingsView />, { api: fake.api });
    const box = await screen.findByRole('checkbox', { name: 'Start OSSync when I log in' });
    await waitFor(() => expect(box).toBeDisabled());
    expect(box).toHaveAccessibleDescription(/this OSSync runs as a server \(ossync serve\)/);
  });

  it('saves launch at login, the log level and the language', async () => {
    const fake = fakeWith({
      'settings.update': async (changes) => ({ ...SETTINGS, ...changes, limits: LIMITS }),
    });
    renderWithProviders(<SettingsView />, { api: fake.api });
    const box = await screen.findByRole('checkbox', { name: 'Start OSSync when I log in' });
    await waitFor(() => expect(box).toBeEnabled());
    await userEvent.click(box);
    await waitFor(() =>
      expect(fake.calls['settings.update']).toHaveBeenCalledWith({ launchAtLogin: true }),
    );
    await waitFor(() => expect(box).toBeChecked());
    await userEvent.selectOptions(screen.getByLabelText('Log detail'), 'debug');
    expect(fake.calls['settings.update']).toHaveBeenLastCalledWith({ logLevel: 'debug' });
    await userEvent.selectOptions(screen.getByLabelText('Language'), 'zh-CN');
    expect(fake.calls['settings.update']).toHaveBeenLastCalledWith({ language: 'zh-CN' });
    expect(await screen.findByRole('heading', { level: 1, name: '设置' })).toBeInTheDocument();
  });

  it('shows why a setting could not be saved', async () => {
    const fake = fakeWith({
      'settings.update': async () => {
        throw new ContractError('invalid-argument', 'launchAtLogin is not available', {
          subject: 'params.launchAtLogin',
        });
      },
    });
    renderWithProviders(<SettingsView />, { api: fake.api });
    const box = await screen.findByRole('checkbox', { name: 'Start OSSync when I log in' });
    await waitFor(() => expect(box).toBeEnabled());
    await userEvent.click(box);
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('The setting could not be saved.');
    expect(box).not.toBeChecked();
  });
});
