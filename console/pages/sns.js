import { html } from '../lib/ui.js';
export function SnsPage() { return html`<p>Not yet.</p>`; }
