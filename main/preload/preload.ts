// The preload: exposes the contract bridge as `window.ossync` and nothing else. Sandboxed
// preloads can require only electron, so the build bundles this file with shared/.
import { contextBridge, ipcRenderer } from 'electron';
import { createBridge } from './bridge.js';

contextBridge.exposeInMainWorld('ossync', createBridge(ipcRenderer));
