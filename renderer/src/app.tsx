import type { Messages } from './i18n/messages.js';

export interface AppProps {
  messages: Messages;
}

export function App({ messages }: AppProps) {
  return (
    <main className="app">
      <h1>{messages.productName}</h1>
      <p role="status">{messages.status}</p>
    </main>
  );
}
