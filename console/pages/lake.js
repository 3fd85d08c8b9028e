// Lake and pipe: the DuckLake tables the SQL engine shows (Athena's `lake` / `lake_<schema>`
// databases) with their columns and row counts, time travel to a snapshot (a version or a
// timestamp, through Athena's `AT (VERSION => n)` form), and the hosted pipe's per-table state,
// lag (a chart over the time the page is open), flushes and last error (GET /_mallard/pipe/status),
// and its table actions: add, resync and remove (POST/DELETE /_mallard/pipe/tables…, admin token).
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { html, useAsync, ErrorBox, Notice, Table, Field, ActionButton, Modal } from '../lib/ui.js';
import { awsJson, admin } from '../lib/aws.js';
import { runAthena, loadSqlSettings, SQL_SETTINGS_KEY } from './sql.js';

const athena = (operation, input) => awsJson('athena', operation, input);
const quote = (name) => '"' + name.replace(/"/g, '""') + '"';

async function listLakeTables() {
  const { DatabaseList = [] } = await athena('ListDatabases', { CatalogName: 'AwsDataCatalog', MaxResults: 50 });
  const databases = DatabaseList.map((d) => d.Name).filter((n) => n === 'lake' || n.startsWith('lake_'));
  const tables = [];
  for (const database of databases) {
    let token;
    do {
      const page = await athena('ListTableMetadata', { CatalogName: 'AwsDataCatalog', DatabaseName: database, MaxResults: 50,
        ...(token ? { NextToken: token } : {}) });
      tables.push(...(page.TableMetadataList || []).map((t) => ({ ...t, database })));
      token = page.NextToken;
    } while (token);
  }
  return tables;
}

function TimeTravel({ table }) {
  const [mode, setMode] = useState('current');
  const [at, setAt] = useState('');
  const [output, setOutput] = useState(loadSqlSettings().outputLocation || '');
  const [rows, setRows] = useState(null);
  const run = async () => {
    const settings = { ...loadSqlSettings(), outputLocation: output };
    localStorage.setItem(SQL_SETTINGS_KEY, JSON.stringify(settings));
    const clause = mode === 'version' ? ` AT (VERSION => ${Number.parseInt(at, 10)})`
      : mode === 'timestamp' ? ` AT (TIMESTAMP => '${at.replace(/'/g, "''")}')` : '';
    return runAthena(`SELECT * FROM ${quote(table.database)}.${quote(table.Name)}${clause} LIMIT 200`, settings);
  };
  return html`<div class="card" data-testid="lake-time-travel">
    <h4>Rows at a snapshot</h4>
    <div class="row">
      <${Field} label="As of"><select data-testid="lake-at-mode" value=${mode} onChange=${(e) => setMode(e.target.value)}>
        <option value="current">the latest snapshot</option><option value="version">snapshot (version)</option>
        <option value="timestamp">a time</option></select><//>
      ${mode !== 'current' ? html`<${Field} label=${mode === 'version' ? 'Snapshot id' : 'Timestamp (2026-12-01 10:00:00+00)'}>
        <input data-testid="lake-at-value" value=${at} onInput=${(e) => setAt(e.target.value.trim())} /><//>` : null}
      <${Field} label="Athena output location"><input data-testid="lake-output" size="30" value=${output}
        placeholder="s3://bucket/prefix/" onInput=${(e) => setOutput(e.target.value.trim())} /><//>
    </div>
    <p class="muted">Snapshot ids are the lake's (<code>mallard lake --catalog … snapshots</code> lists them); the query runs through Athena.</p>
    <${ActionButton} label="Show rows" kind="primary" testid="lake-show" action=${run} onDone=${setRows} />
    ${rows ? html`<p class="muted" data-testid="lake-row-count">${rows.rows.length} rows${rows.next ? ' (first 200)' : ''}</p>
      <div class="scroll-x"><table class="grid" data-testid="lake-rows">
        <thead><tr>${rows.columns.map((c) => html`<th title=${c.type}>${c.name}</th>`)}</tr></thead>
        <tbody>${rows.rows.map((r) => html`<tr>${r.map((v) => html`<td>${v === null ? 'NULL' : v}</td>`)}</tr>`)}</tbody>
      </table></div>` : null}
  </div>`;
}

const LAG_POINTS = 120;

function LagChart({ history }) {
  const names = Object.keys(history).slice(0, 8);
  if (!names.length) return null;
  const width = 600;
  const height = 120;
  const max = Math.max(1, ...names.flatMap((n) => history[n]));
  const colors = ['#2f6f4f', '#b3261e', '#1f5fa8', '#8a5a00', '#6b3fa0', '#00838f', '#5d4037', '#455a64'];
  return html`<svg class="chart" viewBox=${`0 0 ${width} ${height}`} role="img" aria-label="lag in seconds per table" data-testid="pipe-lag-chart">
    ${names.map((name, k) => html`<polyline style=${`stroke:${colors[k]}`} points=${history[name].map((v, i) =>
      `${(width - (history[name].length - 1 - i) * (width / (LAG_POINTS - 1))).toFixed(1)},${(height - (v / max) * (height - 10)).toFixed(1)}`).join(' ')} />`)}
    <text x="4" y="12" class="axis">${max.toFixed(1)} s lag</text>
  </svg>
  <p class="muted">${names.map((n, k) => html`<span style=${`color:${colors[k]}`}>${n} </span>`)}</p>`;
}

const pipeTablePath = (source) => `/_mallard/pipe/tables/${encodeURIComponent(source)}`;

// Removing a table stops its sync; the lake table stays unless asked (dropping it lets a later add
// start over from a new snapshot).
function RemoveTableDialog({ table, onClose, onRemoved }) {
  const [dropLakeTable, setDropLakeTable] = useState(false);
  const remove = () => admin(`${pipeTablePath(table.source)}?drop_lake_table=${dropLakeTable}`, { method: 'DELETE' });
  return html`<${Modal} title=${`Remove ${table.source}`} onClose=${onClose} testid="pipe-remove">
    <p>Stop syncing <code>${table.source}</code> into <code>${table.target}</code>? Its changes are no longer read
      (the table leaves the pipe's publication).</p>
    <label class="row"><input type="checkbox" data-testid="pipe-remove-drop" checked=${dropLakeTable}
      onChange=${(e) => setDropLakeTable(e.target.checked)} /> Also drop the lake table <code>${table.target}</code></label>
    <div class="row">
      <${ActionButton} label="Remove" kind="danger" testid="pipe-remove-confirm" action=${remove} onDone=${onRemoved} />
      <button data-testid="pipe-remove-cancel" onClick=${onClose}>Cancel</button>
    </div>
  <//>`;
}

function AddTable({ onAdded }) {
  const [name, setName] = useState('');
  return html`<div class="row" data-testid="pipe-add">
    <${Field} label="Add a source table"><input data-testid="pipe-add-table" placeholder="schema.table" value=${name}
      onInput=${(e) => setName(e.target.value.trim())} /><//>
    <${ActionButton} label="Add" kind="primary" testid="pipe-add-submit" disabled=${!name}
      action=${() => admin('/_mallard/pipe/tables', { method: 'POST', body: { table: name } })}
      onDone=${(result) => { setName(''); onAdded(`${result.table} added: snapshotting`); }} />
  </div>`;
}

function PipeStatus() {
  const [status, setStatus] = useState({ loading: true });
  const [history, setHistory] = useState({});
  const [removing, setRemoving] = useState(null);
  const [notice, setNotice] = useState('');
  const refresh = useRef(() => {});
  // After an action: say what happened and show the new state now rather than at the next poll.
  const acted = useCallback((text) => { setNotice(text); refresh.current(); }, []);
  useEffect(() => {
    let stopped = false;
    const poll = async () => {
      try {
        const response = await fetch('/_mallard/pipe/status', { cache: 'no-store' });
        const body = await response.json().catch(() => ({}));
        if (stopped) return;
        if (response.status === 404) return setStatus({ absent: body.error || 'this server hosts no pipe' });
        if (!response.ok) throw new Error(body.error || `HTTP ${response.status}`);
        setStatus({ data: body });
        setHistory((h) => {
          const next = { ...h };
          for (const t of body.tables || []) next[t.target] = [...(h[t.target] || []), Number(t.lag_seconds) || 0].slice(-LAG_POINTS);
          return next;
        });
      } catch (error) {
        if (!stopped) setStatus({ error });
      }
    };
    refresh.current = poll;
    poll();
    const timer = setInterval(poll, 3000);
    return () => { stopped = true; clearInterval(timer); };
  }, []);
  if (status.absent) return html`<p class="muted" data-testid="pipe-absent">No hosted pipe: ${status.absent}.</p>`;
  if (status.error) return html`<${ErrorBox} error=${status.error} />`;
  if (!status.data) return html`<p class="muted">Loading…</p>`;
  const d = status.data;
  return html`<div data-testid="pipe-status">
    <dl class="kv">
      <dt>Group</dt><dd>${d.group} (slot ${d.slot}, publication ${d.publication})</dd>
      <dt>Connected</dt><dd>${String(d.connected)}${d.backpressured ? ' · back-pressured' : ''}</dd>
      <dt>LSN</dt><dd>source ${d.source_lsn} · received ${d.received_lsn} · confirmed ${d.confirmed_lsn} (${d.slot_lag_bytes} bytes behind)</dd>
      ${d.last_error ? html`<dt>Last error</dt><dd class="error">${d.last_error}</dd>` : null}
    </dl>
    <${Table} testid="pipe-tables" rows=${d.tables || []} rowKey=${(t) => t.target} columns=${[
      { label: 'Source', value: (t) => t.source },
      { label: 'Lake table', value: (t) => t.target },
      { label: 'State', value: (t) => html`<span class=${t.state === 'ERROR' ? 'state-FAILED' : ''}>${t.state}</span>` },
      { label: 'Mode', value: (t) => t.mode },
      { label: 'Rows', value: (t) => t.rows_synced },
      { label: 'Lag', value: (t) => `${Number(t.lag_seconds).toFixed(1)} s / ${t.lag_bytes} B` },
      { label: 'Flushes', value: (t) => `${t.flushes} (${t.failed_flushes} failed) · p50 ${Number(t.flush_p50_ms).toFixed(1)} ms · p99 ${Number(t.flush_p99_ms).toFixed(1)} ms` },
      { label: 'Last error', value: (t) => t.last_error || '' },
      { label: '', value: (t) => html`<span class="row" data-pipe-table=${t.source}>
        <${ActionButton} label="Resync" testid="pipe-resync"
          action=${() => admin(`${pipeTablePath(t.source)}/resync`, { method: 'POST' })}
          onDone=${() => acted(`${t.source} resyncing: a new snapshot of the source replaces ${t.target}`)} />
        <button class="danger" data-testid="pipe-remove-open" onClick=${() => setRemoving(t)}>Remove</button></span>` },
    ]} />
    <${Notice} text=${notice} />
    <${AddTable} onAdded=${acted} />
    ${removing ? html`<${RemoveTableDialog} table=${removing} onClose=${() => setRemoving(null)}
      onRemoved=${(result) => { setRemoving(null);
        acted(`${result.table} removed${result.lake_table_dropped ? ' and its lake table dropped' : ''}`); }} />` : null}
    <h4>Lag while this page is open</h4>
    <${LagChart} history=${history} />
    <p class="muted">Resync takes a new snapshot of the source table into its lake table; remove stops syncing it. Both go
      through <code>/_mallard/pipe/tables</code> (the pipe API's actions, with the admin token when <code>--admin-token</code> is set).</p>
  </div>`;
}

export function LakePage({ route, navigate }) {
  const tables = useAsync(listLakeTables, []);
  const selected = (tables.data || []).find((t) => `${t.database}.${t.Name}` === route[0]);
  return html`<section>
    <h2>Lake and pipe</h2>
    <div class="split">
      <div class="list-pane">
        <h3>Lake tables</h3>
        <${ErrorBox} error=${tables.error} />
        <${Table} testid="lake-tables" rows=${tables.data || []} rowKey=${(t) => t.database + '.' + t.Name}
          onRowClick=${(t) => navigate('lake', `${t.database}.${t.Name}`)}
          empty=${tables.loading && !tables.data ? 'Loading…' : 'No lake tables (start the server with --lake-catalog).'} columns=${[
            { label: 'Table', value: (t) => html`<span data-lake-table=${t.Name}>${t.database}.${t.Name}</span>` },
            { label: 'Rows', value: (t) => (t.Parameters || {}).numRows ?? '' },
            { label: 'Columns', value: (t) => (t.Columns || []).map((c) => `${c.Name} ${c.Type}`).join(', ') },
          ]} />
      </div>
      ${selected ? html`<section class="detail" data-testid="lake-table"><h3>${selected.database}.${selected.Name}</h3>
        <${TimeTravel} key=${selected.Name} table=${selected} /></section>` : null}
    </div>
    <h3>Pipe</h3>
    <${PipeStatus} />
  </section>`;
}
