/** Renders a component with the app's providers around it, a fake api and a chosen locale. */
import { act, cleanup, render, type RenderResult } from '@testing-library/react';
import type { ReactElement } from 'react';
import { afterEach, beforeEach, vi } from 'vitest';
import type { ApiClient } from '../../../../renderer/src/api/client.js';
import type { Locale } from '../../../../renderer/src/i18n/locale.js';
import { createI18n } from '../../../../renderer/src/i18n/setup.js';
import { LiveTransfers } from '../../../../renderer/src/live/live-transfers.js';
import type { Scheduler } from '../../../../renderer/src/live/keyed-store.js';
import { createQueryClient, Providers } from '../../../../renderer/src/providers.js';
import { NavigationContext } from '../../../../renderer/src/shell/navigation.js';

/** Frames run when the test says so (`frames.run()`), to observe coalescing. */
export class ManualFrames implements Scheduler {
  #callbacks = new Map<number, () => void>();
  #next = 1;
  request = (callback: () => void) => {
    const handle = this.#next;
    this.#next += 1;
    this.#callbacks.set(handle, callback);
    return handle;
  };
  cancel = (handle: number) => {
    this.#callbacks.delete(handle);
  };
  get pending(): number {
    return this.#callbacks.size;
  }
  run(): void {
    const callbacks = [...this.#callbacks.values()];
    this.#callbacks.clear();
    act(() => {
      for (const callback of callbacks) callback();
    });
  }
}

export interface RenderOptions {
  api: ApiClient;
  locale?: Locale;
  frames?: ManualFrames;
  navigate?: (view: string) => void;
}

export function renderWithProviders(
  ui: ReactElement,
  { api, locale = 'en', frames = new ManualFrames(), navigate = () => {} }: RenderOptions,
): RenderResult & { frames: ManualFrames; live: LiveTransfers } {
  const i18n = createI18n(locale);
  const queryClient = createQueryClient();
  const live = new LiveTransfers(frames);
  const result = render(
    <Providers api={api} i18n={i18n} queryClient={queryClient} live={live}>
      <NavigationContext.Provider value={{ view: 'status', navigate }}>
        {ui}
      </NavigationContext.Provider>
    </Providers>,
  );
  return Object.assign(result, { frames, live });
}

/**
 * jsdom has no layout: give every element a 1000x600 box so TanStack Virtual sees a
 * viewport (rows are 52 px, so about a dozen fit), and unmount after each test.
 */
export function useDomLayout(): void {
  beforeEach(() => {
    vi.spyOn(Element.prototype, 'clientHeight', 'get').mockReturnValue(600);
    vi.spyOn(Element.prototype, 'clientWidth', 'get').mockReturnValue(1000);
    vi.spyOn(Element.prototype, 'getBoundingClientRect').mockReturnValue({
      x: 0,
      y: 0,
      top: 0,
      left: 0,
      bottom: 600,
      right: 1000,
      width: 1000,
      height: 600,
      toJSON: () => ({}),
    } as DOMRect);
    // jsdom does not scroll: make scrollTo move scrollTop and report it, like a browser.
    Element.prototype.scrollTo = function scrollTo(
      this: Element,
      options?: ScrollToOptions | number,
    ) {
      if (typeof options === 'object' && options.top !== undefined) this.scrollTop = options.top;
      this.dispatchEvent(new Event('scroll'));
    } as Element['scrollTo'];
  });
  afterEach(() => {
    cleanup();
    vi.restoreAllMocks();
  });
}
