// Request and error rate over the last minutes, from the Prometheus text of GET /_mallard/metrics
// (scraped every 5 s while the page is open; rates are differences of the request counters).
// Without that endpoint the chart says so and shows nothing else.
import { useEffect, useState } from 'preact/hooks';
import { html } from '../lib/ui.js';
import { adminToken } from '../lib/aws.js';

const POLL_MS = 5000;
const KEEP_POINTS = 72;  // 6 minutes

// Parses the sample lines of the text format: [{name, labels:{...}, value}].
export function parsePrometheus(text) {
  const samples = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const brace = line.indexOf('{');
    let name;
    let labels = {};
    let rest;
    if (brace >= 0 && brace < line.indexOf(' ')) {
      name = line.slice(0, brace);
      const close = line.lastIndexOf('}');
      const body = line.slice(brace + 1, close);
      const pattern = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;
      let match;
      while ((match = pattern.exec(body))) labels[match[1]] = match[2].replace(/\\(.)/g, (_, c) => (c === 'n' ? '\n' : c));
      rest = line.slice(close + 1).trim();
    } else {
      const space = line.indexOf(' ');
      name = line.slice(0, space);
      rest = line.slice(space + 1).trim();
    }
    samples.push({ name, labels, value: Number(rest.split(/\s+/)[0]) });
  }
  return samples;
}

const OK_OUTCOMES = new Set(['', 'ok', 'success', 'Success', 'none']);

// Total requests and failed requests: the counter whose name ends in _requests_total; a series
// failed when its outcome/code/error_code label names an error.
export function requestTotals(samples) {
  let total = 0;
  let errors = 0;
  for (const s of samples) {
    if (!s.name.endsWith('_requests_total')) continue;
    total += s.value;
    const outcome = s.labels.outcome ?? s.labels.error_code ?? s.labels.code ?? '';
    if (!OK_OUTCOMES.has(outcome) && !/^[23]\d\d$/.test(outcome)) errors += s.value;
  }
  return { total, errors };
}

function Chart({ points }) {
  const width = 600;
  const height = 140;
  const max = Math.max(1, ...points.map((p) => p.rate));
  // The newest point at the right edge, one step per scrape.
  const x = (i) => width - (points.length - 1 - i) * (width / (KEEP_POINTS - 1));
  const y = (v) => height - (v / max) * (height - 10);
  const line = (key) => points.map((p, i) => `${x(i).toFixed(1)},${y(p[key]).toFixed(1)}`).join(' ');
  return html`<svg class="chart" viewBox=${`0 0 ${width} ${height}`} role="img" aria-label="request and error rate">
    <polyline points=${line('rate')} class="series-requests" />
    <polyline points=${line('errorRate')} class="series-errors" />
    <text x="4" y="12" class="axis">${max.toFixed(1)} req/s</text>
    <text x="4" y=${height - 4} class="axis">${Math.round((KEEP_POINTS * POLL_MS) / 60000)} min ago</text>
    <text x=${width - 4} y=${height - 4} class="axis" text-anchor="end">now</text>
  </svg>`;
}

export function MetricsChart() {
  const [state, setState] = useState({ available: null, points: [], last: null, error: null });
  useEffect(() => {
    let stopped = false;
    let last = null;
    const poll = async () => {
      try {
        const token = adminToken();
        const response = await fetch('/_mallard/metrics', { headers: token ? { Authorization: `Bearer ${token}` } : {}, cache: 'no-store' });
        if (response.status === 404) {
          if (!stopped) setState((s) => ({ ...s, available: false }));
          return;
        }
        if (!response.ok) throw new Error(`GET /_mallard/metrics: HTTP ${response.status}`);
        const totals = requestTotals(parsePrometheus(await response.text()));
        const now = Date.now();
        if (!stopped) {
          setState((s) => {
            const points = [...s.points];
            if (last) {
              const seconds = (now - last.at) / 1000;
              points.push({ rate: Math.max(0, totals.total - last.total) / seconds, errorRate: Math.max(0, totals.errors - last.errors) / seconds });
            }
            return { available: true, points: points.slice(-KEEP_POINTS), error: null, totals };
          });
        }
        last = { ...totals, at: now };
      } catch (error) {
        if (!stopped) setState((s) => ({ ...s, error }));
      }
    };
    poll();
    const timer = setInterval(poll, POLL_MS);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, []);
  if (state.available === false) {
    return html`<p class="muted" data-testid="metrics-missing">This server has no <code>/_mallard/metrics</code>: no request-rate chart.</p>`;
  }
  return html`<div data-testid="metrics-chart">
    <h3>Requests (last minutes)</h3>
    ${state.error ? html`<p class="error">${String(state.error.message)}</p>` : null}
    ${state.totals ? html`<p class="muted"><span data-testid="metrics-total">${state.totals.total}</span>${' requests, '}<span data-testid="metrics-errors">${state.totals.errors}</span>${' errors since the server started · '}
      <span class="legend-requests">requests/s</span> <span class="legend-errors">errors/s</span></p>` : null}
    <${Chart} points=${state.points} />
  </div>`;
}
