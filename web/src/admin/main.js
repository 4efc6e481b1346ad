// The admin console: box-office staff create sales and tune admission live.
// Entry point: loads the locale's catalogue, then renders the app into #app.
import { render } from 'preact';
import { html } from 'htm/preact';
import '../shared/base.css';
import 'uplot/dist/uPlot.min.css';
import './admin.css';
import { App } from './app.js';
import { loadCatalogue } from './context.js';
import { preferredLocale } from '../shared/i18n.js';

const root = document.getElementById('app');
const i18n = await loadCatalogue(preferredLocale());
root.replaceChildren();
render(html`<${App} initialI18n=${i18n} />`, root);
