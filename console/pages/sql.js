// SQL: an editor that runs statements through Athena (catalog and database picker, work group,
// output location) or Redshift Data (work group, database), polls their state, shows results in a
// grid page by page (the services' own NextToken paging), keeps the services' own history
// (ListQueryExecutions / ListStatements) and cancels a running statement.
import { useEffect, useRef, useState } from 'preact/hooks';
import { html, useAsync, ErrorBox, Table, Field, formatTime } from '../lib/ui.js';
import { awsJson } from '../lib/aws.js';

const athena = (operation, input) => awsJson('athena', operation, input);
const redshift = (operation, input) => awsJson('redshift-data', operation, input);
const SETTINGS_KEY = 'mallard.console.sql';
const TERMINAL = new Set(['SUCCEEDED', 'FAILED', 'CANCELLED', 'FINISHED', 'ABORTED']);

function loadSettings() {
  try {
    return { engine: 'athena', catalog: 'AwsDataCatalog', database: 'default', workGroup: 'primary', outputLocation: '',
      rsWorkgroup: 'default-workgroup', rsDatabase: 'dev', ...JSON.parse(localStorage.getItem(SETTINGS_KEY) || '{}') };
  } catch {
    return {};
  }
}

// The engines behind one interface: start, describe (state, error), a page of results, cancel, history.
const ENGINES = {
  athena: {
    async start(sql, s) {
      const input = { QueryString: sql, WorkGroup: s.workGroup || 'primary',
        QueryExecutionContext: { Catalog: s.catalog || 'AwsDataCatalog', ...(s.database ? { Database: s.database } : {}) } };
      if (s.outputLocation) input.ResultConfiguration = { OutputLocation: s.outputLocation };
      return (await athena('StartQueryExecution', input)).QueryExecutionId;
    },
    async describe(id) {
      const { QueryExecution: q } = await athena('GetQueryExecution', { QueryExecutionId: id });
      return { id, state: q.Status.State, error: q.Status.StateChangeReason || (q.Status.AthenaError || {}).ErrorMessage,
        sql: q.Query, statementType: q.StatementType, submitted: q.Status.SubmissionDateTime,
        elapsedMs: (q.Statistics || {}).TotalExecutionTimeInMillis, output: (q.ResultConfiguration || {}).OutputLocation };
    },
    async page(id, token, first) {
      const r = await athena('GetQueryResults', { QueryExecutionId: id, MaxResults: 100, ...(token ? { NextToken: token } : {}) });
      const columns = ((r.ResultSet.ResultSetMetadata || {}).ColumnInfo || []).map((c) => ({ name: c.Name || c.Label, type: c.Type }));
      let rows = (r.ResultSet.Rows || []).map((row) => (row.Data || []).map((d) => (d.VarCharValue === undefined ? null : d.VarCharValue)));
      // A SELECT's first page starts with the column names as a row (Athena's CSV header).
      if (first && rows.length && columns.length && rows[0].every((v, i) => v === columns[i].name)) rows = rows.slice(1);
      return { columns, rows, next: r.NextToken || null, updateCount: r.UpdateCount };
    },
    cancel: (id) => athena('StopQueryExecution', { QueryExecutionId: id }),
    async history(s) {
      const { QueryExecutionIds = [] } = await athena('ListQueryExecutions', { WorkGroup: s.workGroup || 'primary', MaxResults: 20 });
      if (!QueryExecutionIds.length) return [];
      const { QueryExecutions = [] } = await athena('BatchGetQueryExecution', { QueryExecutionIds });
      return QueryExecutions.map((q) => ({ id: q.QueryExecutionId, sql: q.Query, state: q.Status.State,
        submitted: q.Status.SubmissionDateTime, elapsedMs: (q.Statistics || {}).TotalExecutionTimeInMillis }));
    },
  },
  redshift: {
    async start(sql, s) {
      return (await redshift('ExecuteStatement', { Sql: sql, WorkgroupName: s.rsWorkgroup || 'default-workgroup', Database: s.rsDatabase || 'dev' })).Id;
    },
    async describe(id) {
      const d = await redshift('DescribeStatement', { Id: id });
      return { id, state: d.Status, error: d.Error, sql: d.QueryString, submitted: d.CreatedAt, hasResult: d.HasResultSet,
        elapsedMs: d.Duration >= 0 ? d.Duration / 1e6 : undefined, rows: d.ResultRows };
    },
    async page(id, token, first, described) {
      if (described && described.hasResult === false) return { columns: [], rows: [], next: null, updateCount: described.rows };
      const r = await redshift('GetStatementResult', { Id: id, ...(token ? { NextToken: token } : {}) });
      const columns = (r.ColumnMetadata || []).map((c) => ({ name: c.name || c.label, type: c.typeName }));
      const value = (f) => (f.isNull ? null : f.stringValue ?? f.longValue ?? f.doubleValue ?? f.booleanValue ?? (f.blobValue ? '<blob>' : null));
      return { columns, rows: (r.Records || []).map((rec) => rec.map(value)), next: r.NextToken || null, total: r.TotalNumRows };
    },
    cancel: (id) => redshift('CancelStatement', { Id: id }),
    async history() {
      const { Statements = [] } = await redshift('ListStatements', { MaxResults: 20 });
      return Statements.map((st) => ({ id: st.Id, sql: st.QueryString, state: st.Status, submitted: st.CreatedAt }));
    },
  },
};

function Settings({ settings, set }) {
  const databases = useAsync(async () => {
    if (settings.engine !== 'athena') return [];
    const { DatabaseList = [] } = await athena('ListDatabases', { CatalogName: settings.catalog || 'AwsDataCatalog', MaxResults: 50 });
    return DatabaseList.map((d) => d.Name);
  }, [settings.engine, settings.catalog]);
  const input = (key, testid, extra = {}) => html`<input data-testid=${testid} value=${settings[key] || ''} onInput=${(e) => set({ [key]: e.target.value.trim() })} ...${extra} />`;
  return html`<div class="row">
    <${Field} label="Engine"><select data-testid="sql-engine" value=${settings.engine} onChange=${(e) => set({ engine: e.target.value })}>
      <option value="athena">Athena</option><option value="redshift">Redshift Data</option></select><//>
    ${settings.engine === 'athena' ? html`
      <${Field} label="Catalog">${input('catalog', 'sql-catalog', { size: 14 })}<//>
      <${Field} label="Database"><select data-testid="sql-database" value=${settings.database} onChange=${(e) => set({ database: e.target.value })}>
        ${[...new Set([settings.database, ...(databases.data || [])])].filter(Boolean).map((d) => html`<option value=${d}>${d}</option>`)}
      </select><//>
      <${Field} label="Work group">${input('workGroup', 'sql-workgroup', { size: 10 })}<//>
      <${Field} label="Output location (optional if the work group has one)">${input('outputLocation', 'sql-output', { size: 34, placeholder: 's3://bucket/prefix/' })}<//>`
    : html`
      <${Field} label="Serverless work group">${input('rsWorkgroup', 'sql-rs-workgroup', { size: 18 })}<//>
      <${Field} label="Database">${input('rsDatabase', 'sql-rs-database', { size: 10 })}<//>`}
    <${ErrorBox} error=${databases.error} />
  </div>`;
}

function ResultGrid({ result, onPage }) {
  if (!result) return null;
  const { columns, rows, pageIndex, hasNext, updateCount, total } = result;
  return html`<div data-testid="sql-results">
    <div class="toolbar">
      <button data-testid="sql-prev" disabled=${pageIndex === 0} onClick=${() => onPage(-1)}>Previous</button>
      <span class="muted" data-testid="sql-page">page ${pageIndex + 1} · ${rows.length} rows${total != null ? ` of ${total}` : ''}
        ${updateCount != null && !columns.length ? ` · ${updateCount} rows affected` : ''}</span>
      <button data-testid="sql-next" disabled=${!hasNext} onClick=${() => onPage(1)}>Next</button>
    </div>
    ${columns.length ? html`<div class="scroll-x"><table class="grid" data-testid="sql-grid">
      <thead><tr>${columns.map((c) => html`<th title=${c.type}>${c.name}</th>`)}</tr></thead>
      <tbody>${rows.map((row) => html`<tr>${row.map((v) => html`<td class=${v === null ? 'null' : ''}>${v === null ? 'NULL' : String(v)}</td>`)}</tr>`)}</tbody>
    </table></div>` : html`<p class="muted">No result set.</p>`}
  </div>`;
}

export function SqlPage() {
  const [settings, setSettings] = useState(loadSettings);
  const [sql, setSql] = useState('SELECT 1 AS one, \'duck\' AS name');
  const [running, setRunning] = useState(null);  // the statement being watched: {id, state, error, ...}
  const [result, setResult] = useState(null);
  const [error, setError] = useState(null);
  const tokens = useRef([null]);
  const engine = ENGINES[settings.engine] || ENGINES.athena;
  const history = useAsync(() => engine.history(settings), [settings.engine, settings.workGroup]);
  const set = (patch) => {
    const next = { ...settings, ...patch };
    localStorage.setItem(SETTINGS_KEY, JSON.stringify(next));
    setSettings(next);
  };

  const showPage = async (described, index) => {
    const page = await engine.page(described.id, tokens.current[index], index === 0, described);
    tokens.current[index + 1] = page.next;
    setResult({ ...page, pageIndex: index, hasNext: !!page.next });
  };

  // Polls a statement until it ends, then shows its first page of results.
  const watch = async (id) => {
    setResult(null);
    tokens.current = [null];
    for (;;) {
      const described = await engine.describe(id);
      setRunning(described);
      if (TERMINAL.has(described.state)) {
        if (described.state === 'SUCCEEDED' || described.state === 'FINISHED') await showPage(described, 0);
        history.reload();
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 400));
    }
  };

  const run = async () => {
    setError(null);
    try {
      const id = await engine.start(sql, settings);
      setRunning({ id, state: 'SUBMITTED' });
      await watch(id);
    } catch (e) {
      setError(e);
    }
  };
  const cancel = async () => {
    try {
      await engine.cancel(running.id);
    } catch (e) {
      setError(e);
    }
  };
  const page = async (delta) => {
    try {
      await showPage(running, result.pageIndex + delta);
    } catch (e) {
      setError(e);
    }
  };
  useEffect(() => { setRunning(null); setResult(null); }, [settings.engine]);
  const busy = running && !TERMINAL.has(running.state);

  return html`<section>
    <h2>SQL</h2>
    <${Settings} settings=${settings} set=${set} />
    <textarea class="sql-editor code" data-testid="sql-editor" spellcheck="false" value=${sql} onInput=${(e) => setSql(e.target.value)}
      onKeyDown=${(e) => { if ((e.ctrlKey || e.metaKey) && e.key === 'Enter') run(); }} />
    <div class="toolbar">
      <button class="primary" data-testid="sql-run" disabled=${busy} onClick=${run}>Run (Ctrl+Enter)</button>
      ${busy ? html`<button class="danger" data-testid="sql-cancel" onClick=${cancel}>Cancel</button>` : null}
      ${running ? html`<span data-testid="sql-state" class=${'state-' + running.state}>${running.state}</span>
        <span class="muted">${running.id}${running.elapsedMs != null ? ` · ${Math.round(running.elapsedMs)} ms` : ''}</span>` : null}
    </div>
    <${ErrorBox} error=${error} />
    ${running && running.error ? html`<div class="error" data-testid="sql-error">${running.error}</div>` : null}
    <${ResultGrid} result=${result} onPage=${page} />
    <h3>History</h3>
    <${ErrorBox} error=${history.error} />
    <${Table} testid="sql-history" rows=${history.data || []} rowKey=${(h) => h.id} empty="No statements yet."
      onRowClick=${(h) => { setSql(h.sql || ''); watch(h.id).catch(setError); }} columns=${[
        { label: 'Submitted', value: (h) => formatTime(h.submitted) },
        { label: 'State', value: (h) => h.state },
        { label: 'Statement', value: (h) => html`<code>${(h.sql || '').slice(0, 120)}</code>` },
        { label: 'Time', value: (h) => (h.elapsedMs != null ? `${Math.round(h.elapsedMs)} ms` : '') },
      ]} />
  </section>`;
}

// Runs one Athena statement with the SQL page's settings (work group, output location) and returns
// its first page of results; throws the failure reason as Athena gives it. Used by other pages.
export async function runAthena(sql, overrides = {}) {
  const settings = { ...loadSettings(), ...overrides };
  const engine = ENGINES.athena;
  const id = await engine.start(sql, settings);
  for (;;) {
    const described = await engine.describe(id);
    if (described.state === 'SUCCEEDED') return { id, ...(await engine.page(id, null, true, described)) };
    if (TERMINAL.has(described.state)) throw new Error(`${described.state}: ${described.error || ''}`);
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
}

export { loadSettings as loadSqlSettings, SETTINGS_KEY as SQL_SETTINGS_KEY };
