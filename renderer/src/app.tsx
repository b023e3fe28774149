/**
 * The app shell: a skip link, the banner with the language switch, the navigation between
 * views (views/registry.ts) and the main landmark showing the current view.
 */
import { useQueryClient } from '@tanstack/react-query';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useApi } from './api/api-context.js';
import { ConnectionBanner } from './shell/connection-banner.js';
import { LanguageSelect } from './shell/language-select.js';
import { Toasts } from './shell/toasts.js';
import { NavigationContext, type Navigation, type NavigationParams } from './shell/navigation.js';
import { VIEWS, type ViewId } from './views/registry.js';
import { VIEW_TITLE_ID } from './views/view-header.js';

export interface AppProps {
  initialView?: ViewId;
}

export function App({ initialView = 'status' }: AppProps) {
  const { t } = useTranslation('common');
  const api = useApi();
  const queryClient = useQueryClient();
  // `seq` remounts the view on every navigation, so new params (a tab, say) take effect.
  const [place, setPlace] = useState<{ view: ViewId; params: NavigationParams; seq: number }>({
    view: initialView,
    params: {},
    seq: 0,
  });
  const { view, params } = place;
  const mainRef = useRef<HTMLElement>(null);
  const moved = useRef(false);

  const navigate = useCallback((next: ViewId, nextParams: NavigationParams = {}) => {
    moved.current = true;
    setPlace((current) => ({ view: next, params: nextParams, seq: current.seq + 1 }));
  }, []);
  const navigation = useMemo<Navigation>(
    () => ({ view, params, navigate }),
    [view, params, navigate],
  );

  // After a navigation, move focus to the new view's heading so screen readers announce it.
  useEffect(() => {
    if (!moved.current) return;
    document.getElementById(VIEW_TITLE_ID)?.focus();
  }, [place]);

  // Events were missed while the connection was down: reload what is shown.
  useEffect(() => {
    let previous = api.connectionState();
    return api.onConnectionState((state) => {
      if (state === 'open' && previous !== 'open') void queryClient.invalidateQueries();
      previous = state;
    });
  }, [api, queryClient]);

  const current = VIEWS.find((entry) => entry.id === view) ?? VIEWS[0];
  const Current = current?.Component;

  return (
    <NavigationContext.Provider value={navigation}>
      <div className="shell">
        <a
          className="skip-link"
          href="#main"
          onClick={(event) => {
            event.preventDefault();
            mainRef.current?.focus();
          }}
        >
          {t('skipToContent')}
        </a>
        <header className="shell__banner">
          <span className="shell__product">{t('productName')}</span>
          <ConnectionBanner />
          <LanguageSelect />
        </header>
        <nav className="shell__nav" aria-label={t('nav.label')}>
          <ul>
            {VIEWS.map((entry) => (
              <li key={entry.id}>
                <button
                  type="button"
                  className="shell__nav-item"
                  aria-current={entry.id === view ? 'page' : undefined}
                  onClick={() => navigate(entry.id)}
                >
                  {t(entry.labelKey)}
                </button>
              </li>
            ))}
          </ul>
        </nav>
        <main
          className="shell__main"
          id="main"
          ref={mainRef}
          tabIndex={-1}
          aria-labelledby={VIEW_TITLE_ID}
        >
          {Current !== undefined ? <Current key={place.seq} /> : null}
        </main>
        <Toasts />
      </div>
    </NavigationContext.Provider>
  );
}
