/** Which view is shown, and a way for any component to go to another one. */
import { createContext, useContext } from 'react';
import type { ViewId } from '../views/registry.js';

/** Extra, view-specific state for the target of a navigation ({ tab: 'failed' }). */
export type NavigationParams = Readonly<Record<string, string>>;

export interface Navigation {
  view: ViewId;
  params?: NavigationParams;
  navigate: (view: ViewId, params?: NavigationParams) => void;
}

export const NavigationContext = createContext<Navigation | null>(null);

export function useNavigation(): Navigation {
  const navigation = useContext(NavigationContext);
  if (navigation === null) throw new Error('useNavigation outside the app shell');
  return navigation;
}
