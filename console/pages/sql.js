import { html } from '../lib/ui.js';
export function SqlPage() { return html`<p>Not yet.</p>`; }
