/** The Browser view (issue 6); a placeholder until it is built. */
import { Placeholder } from './placeholder.js';

export function BrowserView() {
  return <Placeholder titleKey="nav.browser" />;
}
