// The preload: exposes the contract bridge as `window.ossync` and nothing else. Sandboxed
// preloads can require only electron, so `npm run build` bundles this file with shared/
// and zod into one CommonJS file (scripts/build-preload.mjs -> dist/preload/preload.cjs).
import { contextBridge, ipcRenderer, webUtils } from 'electron';
import { createBridge } from './bridge.js';

contextBridge.exposeInMainWorld(
  'ossync',
  createBridge(ipcRenderer, (file) =>
    // webUtils throws for anything that is not a File; the bridge skips those.
    webUtils.getPathForFile(file as Parameters<typeof webUtils.getPathForFile>[0]),
  ),
);
