/** The Activity view (issue 6); a placeholder until it is built. */
import { Placeholder } from './placeholder.js';

export function ActivityView() {
  return <Placeholder titleKey="nav.activity" />;
}
