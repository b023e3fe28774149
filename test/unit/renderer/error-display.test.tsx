// @vitest-environment jsdom
import '@testing-library/jest-dom/vitest';
import { screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { ContractError } from '../../../shared/contract/index.js';
import { ErrorDisplay } from '../../../renderer/src/components/error-display.js';
import { createFakeApi } from './helpers/fake-api.js';
import { renderWithProviders, useDomLayout } from './helpers/render.js';

describe('ErrorDisplay', () => {
  useDomLayout();

  it('shows the translated message and next step, and the details only on demand', async () => {
    const error = new ContractError('access-denied', 'AccessDenied: no permission', {
      ossCode: 'AccessDenied',
      requestId: '65F1A2B3C4D5E6F708090A0B',
    });
    renderWithProviders(<ErrorDisplay error={error} />, { api: createFakeApi().api });
    const alert = screen.getByRole('alert');
    expect(alert).toHaveTextContent('Access denied: the key has no permission for this.');
    expect(alert).toHaveTextContent('Ask your administrator to grant this RAM user access');
    const requestId = screen.getByText('65F1A2B3C4D5E6F708090A0B');
    expect(requestId).not.toBeVisible();
    await userEvent.click(screen.getByText('Details'));
    expect(requestId).toBeVisible();
    expect(screen.getByText('AccessDenied')).toBeVisible();
  });

  it('speaks Chinese when the UI does, and turns a stray exception into code unknown', () => {
    renderWithProviders(<ErrorDisplay error={new TypeError('boom')} />, {
      api: createFakeApi().api,
      locale: 'zh-CN',
    });
    const alert = screen.getByRole('alert');
    expect(alert).toHaveTextContent('发生了意外错误。');
    expect(alert).toHaveTextContent('请重试');
    expect(screen.getByText('unknown')).toBeInTheDocument();
  });
});
