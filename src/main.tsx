import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { startAutosave } from './store';
import { App } from './ui/App';
import './app.css';

startAutosave();

const rootElement = document.getElementById('root');
if (!rootElement) throw new Error('index.html has no #root element');
createRoot(rootElement).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
