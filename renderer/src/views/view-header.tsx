/** A view's heading (the target of the main landmark's label) and its toolbar. */
import type { ReactNode } from 'react';

export const VIEW_TITLE_ID = 'view-title';

export function ViewHeader({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="view-header">
      <h1 id={VIEW_TITLE_ID} tabIndex={-1}>
        {title}
      </h1>
      {children !== undefined ? <div className="view-header__tools">{children}</div> : null}
    </div>
  );
}
