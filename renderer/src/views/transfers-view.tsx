/**
 * Transfers: tabs for active, queued, failed and completed jobs (TRANSFER_TABS), each a
 * virtualized, paged list. The tabs follow the ARIA tabs pattern (arrow keys move).
 */
import { useQuery } from '@tanstack/react-query';
import { useRef, useState, type KeyboardEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { TRANSFER_TABS } from '../../../shared/contract/index.js';
import { useApi } from '../api/api-context.js';
import { formatCount } from '../format.js';
import { useNavigation } from '../shell/navigation.js';
import { APP_STATUS_QUERY_KEY } from './status-view.js';
import { TransferList } from './transfers/transfer-list.js';
import type { TransferTab } from './transfers/use-transfer-pages.js';
import { ViewHeader } from './view-header.js';

const TABS = Object.keys(TRANSFER_TABS) as TransferTab[];

const isTab = (value: string | undefined): value is TransferTab =>
  value !== undefined && (TABS as string[]).includes(value);

export function TransfersView() {
  const api = useApi();
  const { t, i18n } = useTranslation('transfers');
  const { params } = useNavigation();
  const [tab, setTab] = useState<TransferTab>(() => (isTab(params?.tab) ? params.tab : 'active'));
  const tabRefs = useRef(new Map<TransferTab, HTMLButtonElement>());
  const app = useQuery({ queryKey: APP_STATUS_QUERY_KEY, queryFn: () => api['app.status']({}) });

  const countOf = (name: TransferTab): number | null => {
    const counts = app.data?.counts;
    if (counts === undefined) return null;
    if (name === 'active') return counts.active;
    if (name === 'queued') return counts.queued;
    if (name === 'failed') return counts.failed;
    return null;
  };

  const onTabKey = (event: KeyboardEvent<HTMLDivElement>) => {
    const index = TABS.indexOf(tab);
    let next: number;
    if (event.key === 'ArrowRight') next = (index + 1) % TABS.length;
    else if (event.key === 'ArrowLeft') next = (index - 1 + TABS.length) % TABS.length;
    else if (event.key === 'Home') next = 0;
    else if (event.key === 'End') next = TABS.length - 1;
    else return;
    event.preventDefault();
    const name = TABS[next] ?? 'active';
    setTab(name);
    tabRefs.current.get(name)?.focus();
  };

  return (
    <>
      <ViewHeader title={t('title')} />
      <div className="tabs" role="tablist" aria-label={t('tabs.label')} onKeyDown={onTabKey}>
        {TABS.map((name) => {
          const count = countOf(name);
          return (
            <button
              key={name}
              ref={(element) => {
                if (element) tabRefs.current.set(name, element);
                else tabRefs.current.delete(name);
              }}
              type="button"
              role="tab"
              id={`transfers-tab-${name}`}
              aria-controls={`transfers-panel-${name}`}
              aria-selected={tab === name}
              tabIndex={tab === name ? 0 : -1}
              className="tab"
              onClick={() => setTab(name)}
            >
              {t(`tabs.${name}`)}
              {count !== null ? (
                <span className="tab__count">{formatCount(count, i18n.language)}</span>
              ) : null}
            </button>
          );
        })}
      </div>
      <div
        className="tab-panel"
        role="tabpanel"
        id={`transfers-panel-${tab}`}
        aria-labelledby={`transfers-tab-${tab}`}
      >
        <TransferList key={tab} tab={tab} labelledBy={`transfers-tab-${tab}`} />
      </div>
    </>
  );
}
