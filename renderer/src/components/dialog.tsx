/**
 * A modal dialog: role dialog labelled by its title (and described by its body when given),
 * focus moved into it on open (the element marked `data-autofocus`, else the first control),
 * kept inside it with Tab, returned to where it was on close (or to the view's heading when
 * that is gone); Escape closes it. ConfirmDialog is the two-button form of it.
 */
import { useEffect, useId, useRef, type KeyboardEvent, type ReactNode } from 'react';
import { VIEW_TITLE_ID } from '../views/view-header.js';

const FOCUSABLE =
  'button:not(:disabled), [href], input:not(:disabled), select:not(:disabled), textarea:not(:disabled), summary, [tabindex]:not([tabindex="-1"])';

/** The controls in `root`, in document order (some engines group a selector list's matches). */
function focusableIn(root: HTMLElement): HTMLElement[] {
  const found = [...root.querySelectorAll<HTMLElement>(FOCUSABLE)];
  return found.sort((a, b) =>
    a.compareDocumentPosition(b) & Node.DOCUMENT_POSITION_FOLLOWING ? -1 : 1,
  );
}

export interface DialogProps {
  title: string;
  /** Escape (and the callers' cancel buttons); not called while `busy`. */
  onClose: () => void;
  children: ReactNode;
  busy?: boolean;
  /** The id of the element that describes the dialog (its text). */
  describedBy?: string;
  /** For the tests and the e2e run. */
  testId?: string;
}

export function Dialog({
  title,
  onClose,
  children,
  busy = false,
  describedBy,
  testId,
}: DialogProps) {
  const titleId = useId();
  const ref = useRef<HTMLDivElement>(null);

  useEffect(() => {
    const before = document.activeElement;
    const root = ref.current;
    if (root !== null)
      (root.querySelector<HTMLElement>('[data-autofocus]') ?? focusableIn(root)[0] ?? root).focus();
    return () => {
      if (before instanceof HTMLElement && before.isConnected) before.focus();
      else document.getElementById(VIEW_TITLE_ID)?.focus();
    };
  }, []);

  const onKeyDown = (event: KeyboardEvent<HTMLDivElement>) => {
    if (event.key === 'Escape') {
      event.preventDefault();
      event.stopPropagation();
      if (!busy) onClose();
      return;
    }
    if (event.key !== 'Tab' || ref.current === null) return;
    const controls = focusableIn(ref.current);
    const first = controls[0];
    const last = controls.at(-1);
    if (first === undefined || last === undefined) return;
    if (event.shiftKey && document.activeElement === first) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && document.activeElement === last) {
      event.preventDefault();
      first.focus();
    }
  };

  return (
    <div className="dialog-backdrop">
      <div
        ref={ref}
        className="dialog"
        role="dialog"
        aria-modal="true"
        aria-labelledby={titleId}
        aria-describedby={describedBy}
        tabIndex={-1}
        data-testid={testId}
        onKeyDown={onKeyDown}
      >
        <h2 id={titleId} className="dialog__title">
          {title}
        </h2>
        {children}
      </div>
    </div>
  );
}

export interface ConfirmDialogProps {
  title: string;
  children: ReactNode;
  confirmLabel: string;
  cancelLabel: string;
  onConfirm: () => void;
  onCancel: () => void;
  busy?: boolean;
  /** The confirm button looks dangerous (deleting). */
  danger?: boolean;
  /** Shown under the text (an ErrorDisplay of the last attempt). */
  error?: ReactNode;
}

/** A confirmation: the text, then cancel (focused: the safe choice) and confirm. */
export function ConfirmDialog({
  title,
  children,
  confirmLabel,
  cancelLabel,
  onConfirm,
  onCancel,
  busy = false,
  danger = false,
  error,
}: ConfirmDialogProps) {
  const bodyId = useId();
  return (
    <Dialog title={title} onClose={onCancel} busy={busy} describedBy={bodyId}>
      <div id={bodyId} className="dialog__body">
        {children}
      </div>
      {error}
      <div className="dialog__actions">
        <button type="button" className="button" onClick={onCancel} disabled={busy} data-autofocus>
          {cancelLabel}
        </button>
        <button
          type="button"
          className={danger ? 'button button--danger' : 'button button--primary'}
          onClick={onConfirm}
          disabled={busy}
        >
          {confirmLabel}
        </button>
      </div>
    </Dialog>
  );
}
