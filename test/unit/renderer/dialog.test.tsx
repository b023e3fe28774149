// @vitest-environment jsdom
// The shared dialog, in its confirmation form (Folders, Settings, Browser): named by its title and described by its
// text, the focus on the safe choice, Tab kept inside, Escape cancels (not while busy), and
// the focus back on the opener when it closes.
import '@testing-library/jest-dom/vitest';
import { cleanup, render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { useState } from 'react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ConfirmDialog } from '../../../renderer/src/components/dialog.js';

function Harness({
  busy = false,
  onConfirm = () => {},
}: {
  busy?: boolean;
  onConfirm?: () => void;
}) {
  const [open, setOpen] = useState(false);
  return (
    <>
      <button type="button" onClick={() => setOpen(true)}>
        open
      </button>
      {open ? (
        <ConfirmDialog
          title="Delete 3 objects?"
          confirmLabel="Delete"
          cancelLabel="Cancel"
          busy={busy}
          onConfirm={onConfirm}
          onCancel={() => setOpen(false)}
        >
          <p>They go to the trash.</p>
          <input aria-label="note" />
        </ConfirmDialog>
      ) : null}
    </>
  );
}

describe('ConfirmDialog', () => {
  afterEach(cleanup);

  it('is a named, described modal dialog with the focus on the safe choice', async () => {
    render(<Harness />);
    await userEvent.click(screen.getByRole('button', { name: 'open' }));
    const dialog = screen.getByRole('dialog', { name: 'Delete 3 objects?' });
    expect(dialog).toHaveAttribute('aria-modal', 'true');
    expect(dialog).toHaveAccessibleDescription('They go to the trash.');
    expect(screen.getByRole('button', { name: 'Cancel' })).toHaveFocus();
  });

  it('keeps Tab inside and gives the focus back on Escape', async () => {
    const onConfirm = vi.fn();
    render(<Harness onConfirm={onConfirm} />);
    const opener = screen.getByRole('button', { name: 'open' });
    await userEvent.click(opener);
    // In document order: the note field, Cancel (focused first), Delete.
    await userEvent.tab();
    expect(screen.getByRole('button', { name: 'Delete' })).toHaveFocus();
    // Past the last control Tab wraps to the first ...
    await userEvent.tab();
    expect(screen.getByRole('textbox', { name: 'note' })).toHaveFocus();
    // ... and Shift+Tab from the first to the last.
    await userEvent.tab({ shift: true });
    expect(screen.getByRole('button', { name: 'Delete' })).toHaveFocus();
    await userEvent.tab({ shift: true });
    expect(screen.getByRole('button', { name: 'Cancel' })).toHaveFocus();
    await userEvent.keyboard('{Escape}');
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
    expect(opener).toHaveFocus();
    expect(onConfirm).not.toHaveBeenCalled();
  });

  it('ignores Escape and disables its buttons while busy', async () => {
    render(<Harness busy />);
    await userEvent.click(screen.getByRole('button', { name: 'open' }));
    await userEvent.keyboard('{Escape}');
    expect(screen.getByRole('dialog')).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Delete' })).toBeDisabled();
    expect(screen.getByRole('button', { name: 'Cancel' })).toBeDisabled();
  });
});
