// The admin console: box-office staff create sales and tune admission live.
// Entry point: boots the shell (the language, the router, the session), then renders
// the app into #app.
import { render } from 'preact';
import { html } from 'htm/preact';
import '../shared/base.css';
import 'uplot/dist/uPlot.min.css';
import './admin.css';
import { checkSession } from '../shared/session.js';
import { App } from './app.js';
import { language } from './language.js';
import { router } from './router.js';

const root = document.getElementById('app');
await language.start();
router.start();
root.replaceChildren();
render(html`<${App} />`, root);
checkSession();
