/** The Settings view (issue 6); a placeholder until it is built. */
import { Placeholder } from './placeholder.js';

export function SettingsView() {
  return <Placeholder titleKey="nav.settings" />;
}
