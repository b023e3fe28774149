/** The Folders view (issue 6); a placeholder until it is built. */
import { Placeholder } from './placeholder.js';

export function FoldersView() {
  return <Placeholder titleKey="nav.folders" />;
}
