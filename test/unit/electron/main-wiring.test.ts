// main.ts's wiring, with Electron replaced by recording fakes (its binary cannot run here)
// and the real service in a temp userData folder: what is registered before 'ready', the
// window and its preload, the app:// handler, IPC with the sender check, events reaching
// the window, the tray menu, close-to-tray and a clean quit.
import { EventEmitter } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { APP_SCHEME_PRIVILEGES } from '../../../main/electron/app-protocol.js';

type Handler = (event: unknown, raw: unknown) => Promise<unknown>;
interface TemplateItem {
  id?: string;
  label?: string;
  type?: string;
  click?: () => void;
}

class FakeWebContents extends EventEmitter {
  static nextId = 1;
  readonly id = FakeWebContents.nextId++;
  readonly send = vi.fn();
  isDestroyed = () => false;
}

class FakeWindow extends EventEmitter {
  static all: FakeWindow[] = [];
  readonly webContents = new FakeWebContents();
  readonly loadURL = vi.fn(async (_url: string) => undefined);
  readonly show = vi.fn();
  readonly hide = vi.fn();
  readonly focus = vi.fn();
  readonly restore = vi.fn();
  isMinimized = () => false;
  isVisible = () => false;
  isDestroyed = () => false;
  constructor(readonly options: { webPreferences: Record<string, unknown> }) {
    super();
    FakeWindow.all.push(this);
  }
}

class FakeTray extends EventEmitter {
  static all: FakeTray[] = [];
  readonly setImage = vi.fn();
  readonly setToolTip = vi.fn();
  readonly setContextMenu = vi.fn();
  readonly destroy = vi.fn();
  isDestroyed = () => false;
  constructor() {
    super();
    FakeTray.all.push(this);
  }
}

function fakeElectron(userData: string) {
  const app = Object.assign(new EventEmitter(), {
    getAppPath: () => process.cwd(),
    getPath: (name: string) => (name === 'userData' ? userData : os.tmpdir()),
    getLocale: () => 'en-US',
    getVersion: () => '9.9.9',
    isPackaged: false,
    isReady: () => true,
    enableSandbox: vi.fn(),
    requestSingleInstanceLock: vi.fn(() => true),
    whenReady: () => Promise.resolve(),
    quit: vi.fn(),
    exit: vi.fn(),
    getLoginItemSettings: () => ({ openAtLogin: false, wasOpenedAtLogin: false }),
    setLoginItemSettings: vi.fn(),
  });
  const handlers = new Map<string, Handler>();
  return {
    app,
    BrowserWindow: FakeWindow,
    Tray: FakeTray,
    dialog: {
      showMessageBox: vi.fn(),
      showErrorBox: vi.fn(),
      showOpenDialog: vi.fn(async () => ({ canceled: false, filePaths: ['/home/me/Pictures'] })),
    },
    ipcMain: {
      handlers,
      handle: vi.fn((channel: string, handler: Handler) => handlers.set(channel, handler)),
      removeHandler: vi.fn((channel: string) => handlers.delete(channel)),
    },
    Menu: { buildFromTemplate: (template: TemplateItem[]) => ({ template }) },
    nativeImage: { createFromPath: (file: string) => ({ file }) },
    Notification: Object.assign(class {}, { isSupported: () => false }),
    protocol: { registerSchemesAsPrivileged: vi.fn(), handle: vi.fn() },
    safeStorage: {
      isEncryptionAvailable: () => true,
      encryptString: (plain: string) => Buffer.from(plain).reverse(),
      decryptString: (cipher: Buffer) => Buffer.from(cipher).reverse().toString(),
      getSelectedStorageBackend: () => 'gnome_libsecret',
    },
    session: {
      defaultSession: {
        setPermissionRequestHandler: vi.fn(),
        setPermissionCheckHandler: vi.fn(),
        webRequest: { onHeadersReceived: vi.fn() },
      },
    },
    shell: { openExternal: vi.fn(async () => undefined), showItemInFolder: vi.fn() },
  };
}

describe('main.ts wiring', () => {
  let userData: string;
  let electron: ReturnType<typeof fakeElectron>;

  beforeAll(async () => {
    userData = await mkdtemp(path.join(os.tmpdir(), 'ossync-main-'));
    electron = fakeElectron(userData);
    vi.resetModules();
    vi.doMock('electron', () => ({ ...electron, default: electron }));
    await import('../../../main/electron/main.js');
    await vi.waitFor(() => expect(FakeWindow.all).toHaveLength(1), { timeout: 20_000 });
  }, 60_000);

  afterAll(async () => {
    vi.doUnmock('electron');
    await rm(userData, { recursive: true, force: true });
  });

  const window = () => FakeWindow.all[0]!;
  const call = (raw: unknown, sender = window()) =>
    electron.ipcMain.handlers.get('ossync:call')!(
      {
        senderFrame: { url: 'app://ossync/index.html', parent: null },
        sender: { id: sender.webContents.id },
      },
      raw,
    );

  it('before ready: the privileged app scheme, the sandbox, one instance', () => {
    expect(electron.protocol.registerSchemesAsPrivileged).toHaveBeenCalledWith([
      APP_SCHEME_PRIVILEGES,
    ]);
    expect(electron.app.enableSandbox).toHaveBeenCalled();
    expect(electron.app.requestSingleInstanceLock).toHaveBeenCalled();
    expect(electron.dialog.showErrorBox).not.toHaveBeenCalled();
  });

  it('serves app:// and locks the session down', () => {
    expect(electron.protocol.handle).toHaveBeenCalledWith('app', expect.any(Function));
    const session = electron.session.defaultSession;
    expect(session.setPermissionRequestHandler).toHaveBeenCalled();
    expect(session.setPermissionCheckHandler).toHaveBeenCalled();
    expect(session.webRequest.onHeadersReceived).toHaveBeenCalled();
  });

  it('opens one sandboxed window on app://ossync/ with the bundled preload', () => {
    const prefs = window().options.webPreferences;
    expect(prefs).toMatchObject({ sandbox: true, contextIsolation: true, nodeIntegration: false });
    expect(prefs.preload).toBe(path.join(process.cwd(), 'dist', 'preload', 'preload.cjs'));
    expect(window().loadURL).toHaveBeenCalledWith('app://ossync/index.html');
  });

  it('answers contract calls from our window and refuses other senders', async () => {
    await expect(call({ method: 'app.info', params: {} })).resolves.toMatchObject({
      ok: true,
      value: { host: 'electron', version: '9.9.9' },
    });
    const stranger = new FakeWindow({ webPreferences: {} });
    await expect(call({ method: 'app.info', params: {} }, stranger)).resolves.toMatchObject({
      ok: false,
      error: { code: 'unauthorized' },
    });
    FakeWindow.all.pop();
  });

  it("answers app.pickFolder and app.showInFolder with Electron's dialog and shell", async () => {
    await expect(
      call({ method: 'app.pickFolder', params: { defaultPath: '/home/me' } }),
    ).resolves.toMatchObject({ ok: true, value: { path: '/home/me/Pictures' } });
    expect(electron.dialog.showOpenDialog).toHaveBeenCalledWith(window(), {
      properties: ['openDirectory', 'createDirectory'],
      defaultPath: '/home/me',
    });
    await expect(
      call({ method: 'app.showInFolder', params: { path: userData } }),
    ).resolves.toMatchObject({ ok: true });
    expect(electron.shell.showItemInFolder).toHaveBeenCalledWith(userData);
  });

  it('sends service events to the window and shows the status in the tray', async () => {
    window().webContents.send.mockClear();
    await expect(call({ method: 'transfers.pauseAll', params: {} })).resolves.toMatchObject({
      ok: true,
    });
    const sent = window().webContents.send.mock.calls as unknown[][];
    const status = sent.find(
      ([channel, message]) =>
        channel === 'ossync:event' && (message as { event?: string }).event === 'app.statusChanged',
    );
    expect(status).toBeDefined();
    expect((status![1] as { payload: { state: string } }).payload.state).toMatch(
      /^(idle|syncing|paused|offline|error)$/,
    );
    const tray = FakeTray.all[0]!;
    const menu = tray.setContextMenu.mock.calls.at(-1)?.[0] as { template: TemplateItem[] };
    expect(menu.template.map((item) => item.label)).toContain('Quit OSSync');
    expect(tray.setImage).toHaveBeenCalled();
  });

  it('closing the window hides it: the app stays in the tray', () => {
    const event = { preventDefault: vi.fn() };
    window().emit('close', event);
    expect(event.preventDefault).toHaveBeenCalled();
    expect(window().hide).toHaveBeenCalled();
    electron.app.emit('window-all-closed');
    expect(electron.app.quit).not.toHaveBeenCalled();
  });

  it('Quit in the tray quits, closing the service before the process ends', async () => {
    const menu = FakeTray.all[0]!.setContextMenu.mock.calls.at(-1)?.[0] as {
      template: TemplateItem[];
    };
    menu.template.find((item) => item.id === 'quit')!.click!();
    expect(electron.app.quit).toHaveBeenCalledTimes(1);
    electron.app.emit('before-quit');
    const willQuit = { preventDefault: vi.fn() };
    electron.app.emit('will-quit', willQuit);
    expect(willQuit.preventDefault).toHaveBeenCalled();
    await vi.waitFor(() => expect(electron.app.quit).toHaveBeenCalledTimes(2));
    expect(electron.ipcMain.removeHandler).toHaveBeenCalledWith('ossync:call');
    expect(FakeTray.all[0]!.destroy).toHaveBeenCalled();
    // the second will-quit goes through
    const again = { preventDefault: vi.fn() };
    electron.app.emit('will-quit', again);
    expect(again.preventDefault).not.toHaveBeenCalled();
    // and now a close really closes
    const close = { preventDefault: vi.fn() };
    window().emit('close', close);
    expect(close.preventDefault).not.toHaveBeenCalled();
  });
});
