import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { createWorkerParser, setAsyncParser, startAutosave } from './store';
import ParseWorker from './store/parse-worker?worker';
import { App } from './ui/App';
import { preloadXmlEditor } from './ui/XmlPane/preload-xml-editor';
import './app.css';

// Full parses of big filters run in a worker, so typing in a 2,000-rule filter never freezes.
setAsyncParser(createWorkerParser(new ParseWorker()));
startAutosave();

const rootElement = document.getElementById('root');
if (!rootElement) throw new Error('index.html has no #root element');
createRoot(rootElement).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
// While React renders the table: fetch and compile Monaco, to run it right after the first paint.
preloadXmlEditor();
