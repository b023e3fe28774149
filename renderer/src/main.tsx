import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './app.js';
import { messagesFor, pickLocale } from './i18n/locale.js';

const locale = pickLocale(
  navigator.languages.length > 0 ? navigator.languages : [navigator.language],
);
const messages = messagesFor(locale);
document.documentElement.lang = locale;
document.title = messages.productName;

const container = document.getElementById('root');
if (!container) throw new Error('index.html has no #root element');

createRoot(container).render(
  <StrictMode>
    <App messages={messages} />
  </StrictMode>,
);
