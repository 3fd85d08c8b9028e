// Overview: the services, their stores and health (GET /_mallard/health), build info, and the
// request/error-rate chart when the server exposes /_mallard/metrics.
import { html, useAsync, ErrorBox, Table, ActionButton } from '../lib/ui.js';
import { admin } from '../lib/aws.js';
import { MetricsChart } from './metrics_chart.js';

export function OverviewPage() {
  const health = useAsync(() => admin('/_mallard/health'), [], 5000);
  const data = health.data;
  const services = data ? Object.entries(data.services || {}).map(([name, s]) => ({ name, ...s })) : [];
  return html`<section>
    <h2>Overview</h2>
    <${ErrorBox} error=${health.error} />
    ${data ? html`<p>Server status: <strong data-testid="server-status" class=${'status-' + data.status}>${data.status}</strong>
      ${data.version ? html` · version <code>${data.version}</code>` : null}</p>` : null}
    <h3>Services</h3>
    <${Table} testid="services" rows=${services} rowKey=${(s) => s.name} columns=${[
      { label: 'Service', value: (s) => s.name },
      { label: 'Status', value: (s) => html`<span class=${'status-' + s.status}>${s.status}</span>${s.reason ? ` (${s.reason})` : ''}` },
      { label: 'Store', value: (s) => s.backend },
      { label: 'Protocols', value: (s) => (s.protocols || []).join(', ') },
      { label: 'Operations', value: (s) => s.operations },
    ]} />
    <${MetricsChart} />
    <h3>Build</h3>
    ${data && data.build ? html`<dl class="kv" data-testid="build">${Object.entries(data.build).map(([k, v]) =>
      html`<dt>${k}</dt><dd>${typeof v === 'object' ? JSON.stringify(v) : String(v)}</dd>`)}</dl>` : null}
    <h3>State</h3>
    <p>Delete every queue, topic, table, bucket and query in every account and region (<code>POST /_mallard/reset</code>;
      needs the admin token when the server has one).</p>
    <${ActionButton} label="Reset all state" kind="danger" testid="reset-all" confirm="Delete all state on this server?"
      action=${() => admin('/_mallard/reset', { method: 'POST' })} onDone=${health.reload} />
  </section>`;
}
