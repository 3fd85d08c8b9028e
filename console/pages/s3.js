import { html } from '../lib/ui.js';
export function S3Page() { return html`<p>Not yet.</p>`; }
