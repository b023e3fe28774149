// @vitest-environment jsdom
// In-window notifications: translated title and body with values, a way to what they are
// about, dismissal, and info toasts that leave by themselves.
import '@testing-library/jest-dom/vitest';
import { act, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import type { NotificationDto } from '../../../shared/contract/index.js';
import { INFO_TOAST_MS, Toasts } from '../../../renderer/src/shell/toasts.js';
import { createFakeApi } from './helpers/fake-api.js';
import { renderWithProviders, useDomLayout } from './helpers/render.js';

const failed: NotificationDto = {
  id: 'transfer-failed-1',
  at: 1,
  kind: 'transfer-failed',
  level: 'error',
  titleKey: 'transferFailed.one.title',
  bodyKey: 'transferFailed.one.body',
  values: [{ name: 'name', value: 'report.pdf' }],
  jobId: 7,
};

const online: NotificationDto = {
  id: 'online-2',
  at: 2,
  kind: 'online',
  level: 'info',
  titleKey: 'notifications.online.title',
  bodyKey: 'notifications.online.body',
  values: [{ name: 'account', value: 'Work' }],
};

describe('Toasts', () => {
  useDomLayout();

  it('shows a notification in the UI language and goes to what it is about', async () => {
    const navigate = vi.fn();
    const fake = createFakeApi();
    renderWithProviders(<Toasts />, { api: fake.api, navigate });
    expect(screen.queryByRole('region', { name: 'Notifications' })).not.toBeInTheDocument();
    act(() => fake.emit('app.notification', failed));
    const alert = screen.getByRole('alert');
    expect(alert).toHaveTextContent('Transfer failed');
    expect(alert).toHaveTextContent('report.pdf could not be transferred.');
    await userEvent.click(screen.getByRole('button', { name: 'Show' }));
    expect(navigate).toHaveBeenCalledWith('transfers', { tab: 'failed' });
    expect(screen.queryByRole('alert')).not.toBeInTheDocument();
  });

  it('dismisses on request, and info ones by themselves', () => {
    vi.useFakeTimers();
    try {
      const fake = createFakeApi();
      renderWithProviders(<Toasts />, { api: fake.api, locale: 'zh-CN' });
      act(() => {
        fake.emit('app.notification', failed);
        fake.emit('app.notification', online);
      });
      expect(screen.getByRole('alert')).toHaveTextContent('传输失败');
      expect(screen.getByRole('status')).toHaveTextContent('Work');
      act(() => vi.advanceTimersByTime(INFO_TOAST_MS + 1));
      expect(screen.queryByRole('status')).not.toBeInTheDocument();
      expect(screen.getByRole('alert')).toBeInTheDocument();
      act(() => screen.getByRole('button', { name: '关闭' }).click());
      expect(screen.queryByRole('alert')).not.toBeInTheDocument();
    } finally {
      vi.useRealTimers();
    }
  });
});
