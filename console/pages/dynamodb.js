// DynamoDB: tables with their keys, indexes, stream and TTL settings; items browsed page by page
// (server-side paging with ExclusiveStartKey, shown in a virtualised list so 100k loaded items
// scroll as fast as 100); a query/scan form (key condition, filter, index); view, edit, create and
// delete an item as DynamoDB JSON, with DynamoDB's own validation errors; a table's stream records.
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { html, useAsync, ErrorBox, Table, ActionButton, Field, Modal, VirtualList, Tabs, formatBytes, formatTime } from '../lib/ui.js';
import { awsJson, AwsError } from '../lib/aws.js';

const ddb = (operation, input) => awsJson('dynamodb', operation, input);
const streams = (operation, input) => awsJson('streams', operation, input);

// Tables are described (status, keys, item counts) for the first MAX_DESCRIBED names only; the
// rest are listed by name and described when opened.
const MAX_DESCRIBED = 100;

async function listTables() {
  const names = [];
  let start;
  do {
    const page = await ddb('ListTables', { Limit: 100, ...(start ? { ExclusiveStartTableName: start } : {}) });
    names.push(...(page.TableNames || []));
    start = page.LastEvaluatedTableName;
  } while (start);
  return Promise.all(names.map((name, i) => (i < MAX_DESCRIBED
    ? ddb('DescribeTable', { TableName: name }).then((r) => r.Table).catch(() => ({ TableName: name }))
    : { TableName: name, undescribed: true })));
}

// A DynamoDB JSON attribute value as short text for a grid cell.
export function showValue(value) {
  if (value == null) return '';
  const [type, v] = Object.entries(value)[0] || [];
  switch (type) {
    case 'S': case 'N': return String(v);
    case 'B': return `<binary ${v.length} b64>`;
    case 'BOOL': return String(v);
    case 'NULL': return 'null';
    case 'SS': case 'NS': return `{${v.join(', ')}}`;
    case 'BS': return `{${v.length} binaries}`;
    case 'L': return `[${v.length}] ` + v.slice(0, 3).map(showValue).join(', ');
    case 'M': return JSON.stringify(Object.fromEntries(Object.entries(v).slice(0, 4).map(([k, x]) => [k, showValue(x)])));
    default: return JSON.stringify(value);
  }
}

function keyNames(table) {
  return (table.KeySchema || []).sort((a) => (a.KeyType === 'HASH' ? -1 : 1)).map((k) => k.AttributeName);
}

function keyOf(table, item) {
  return Object.fromEntries(keyNames(table).filter((name) => item[name]).map((name) => [name, item[name]]));
}

function CreateTable({ onCreated }) {
  const [open, setOpen] = useState(false);
  const [name, setName] = useState('');
  const [pk, setPk] = useState('pk');
  const [pkType, setPkType] = useState('S');
  const [sk, setSk] = useState('');
  const [skType, setSkType] = useState('S');
  if (!open) return html`<button data-testid="ddb-create-open" onClick=${() => setOpen(true)}>Create table…</button>`;
  const create = () => ddb('CreateTable', {
    TableName: name, BillingMode: 'PAY_PER_REQUEST',
    KeySchema: [{ AttributeName: pk, KeyType: 'HASH' }, ...(sk ? [{ AttributeName: sk, KeyType: 'RANGE' }] : [])],
    AttributeDefinitions: [{ AttributeName: pk, AttributeType: pkType }, ...(sk ? [{ AttributeName: sk, AttributeType: skType }] : [])],
  });
  const typeSelect = (value, set) => html`<select value=${value} onChange=${(e) => set(e.target.value)}>${['S', 'N', 'B'].map((t) => html`<option>${t}</option>`)}</select>`;
  return html`<div class="card">
    <div class="row">
      <${Field} label="Table name"><input data-testid="ddb-create-name" value=${name} onInput=${(e) => setName(e.target.value.trim())} /><//>
      <${Field} label="Partition key"><span class="row"><input value=${pk} onInput=${(e) => setPk(e.target.value.trim())} />${typeSelect(pkType, setPkType)}</span><//>
      <${Field} label="Sort key (optional)"><span class="row"><input value=${sk} onInput=${(e) => setSk(e.target.value.trim())} />${typeSelect(skType, setSkType)}</span><//>
    </div>
    <${ActionButton} label="Create" kind="primary" testid="ddb-create" action=${create} onDone=${() => { setOpen(false); onCreated(name); }} />
    <button class="plain" onClick=${() => setOpen(false)}>cancel</button>
  </div>`;
}

function TableDetails({ table }) {
  const ttl = useAsync(() => ddb('DescribeTimeToLive', { TableName: table.TableName }).then((r) => r.TimeToLiveDescription), [table.TableName]);
  const keys = (schema) => (schema || []).map((k) => `${k.AttributeName} (${k.KeyType === 'HASH' ? 'partition' : 'sort'})`).join(', ');
  const indexes = [
    ...(table.GlobalSecondaryIndexes || []).map((i) => ({ ...i, kind: 'global' })),
    ...(table.LocalSecondaryIndexes || []).map((i) => ({ ...i, kind: 'local' })),
  ];
  const stream = table.StreamSpecification;
  return html`<div data-testid="ddb-details">
    <dl class="kv">
      <dt>Status</dt><dd>${table.TableStatus}</dd>
      <dt>ARN</dt><dd><code>${table.TableArn}</code></dd>
      <dt>Keys</dt><dd data-testid="ddb-keys">${keys(table.KeySchema)}</dd>
      <dt>Attribute types</dt><dd>${(table.AttributeDefinitions || []).map((a) => `${a.AttributeName}: ${a.AttributeType}`).join(', ')}</dd>
      <dt>Items</dt><dd>${table.ItemCount} (${formatBytes(table.TableSizeBytes)}; DynamoDB updates these counts periodically)</dd>
      <dt>Billing</dt><dd>${table.BillingModeSummary ? table.BillingModeSummary.BillingMode : 'PROVISIONED'}
        ${table.ProvisionedThroughput ? ` · RCU ${table.ProvisionedThroughput.ReadCapacityUnits} / WCU ${table.ProvisionedThroughput.WriteCapacityUnits}` : ''}</dd>
      <dt>Created</dt><dd>${formatTime(table.CreationDateTime)}</dd>
      <dt>Stream</dt><dd data-testid="ddb-stream">${stream && stream.StreamEnabled ? `${stream.StreamViewType} · ${table.LatestStreamArn}` : 'disabled'}</dd>
      <dt>TTL</dt><dd data-testid="ddb-ttl">${ttl.data ? `${ttl.data.TimeToLiveStatus}${ttl.data.AttributeName ? ' on ' + ttl.data.AttributeName : ''}` : ''}</dd>
      <dt>Deletion protection</dt><dd>${String(!!table.DeletionProtectionEnabled)}</dd>
    </dl>
    <h4>Indexes</h4>
    <${Table} testid="ddb-indexes" rows=${indexes} empty="No secondary indexes." columns=${[
      { label: 'Index', value: (i) => i.IndexName },
      { label: 'Kind', value: (i) => i.kind },
      { label: 'Keys', value: (i) => keys(i.KeySchema) },
      { label: 'Projection', value: (i) => i.Projection ? i.Projection.ProjectionType + (i.Projection.NonKeyAttributes ? ` (${i.Projection.NonKeyAttributes.join(', ')})` : '') : '' },
      { label: 'Status', value: (i) => i.IndexStatus || '' },
    ]} />
  </div>`;
}

function parseJsonField(text, label) {
  if (!text.trim()) return undefined;
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new AwsError('InvalidJSON', `${label}: ${e.message}`);
  }
}

function ItemEditor({ table, item, isNew, onClose, onSaved }) {
  const [text, setText] = useState(JSON.stringify(item, null, 2));
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const run = async (work) => {
    setBusy(true);
    setError(null);
    try {
      await work();
      onSaved();
      onClose();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  const save = () => {
    let parsed;
    try {
      parsed = parseJsonField(text, 'Item');
      if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new AwsError('InvalidJSON', 'Item: an object of attribute values, e.g. {"pk": {"S": "a"}}');
    } catch (e) {
      setError(e);
      return;
    }
    // A PutItem under another key writes a second item: say so rather than leave the original behind silently.
    if (!isNew && JSON.stringify(keyOf(table, parsed)) !== JSON.stringify(keyOf(table, item)) &&
        !window.confirm('The key changed: this saves a new item and the original stays. Save?')) return;
    run(() => ddb('PutItem', { TableName: table.TableName, Item: parsed }));
  };
  const remove = () => {
    if (!window.confirm('Delete this item?')) return;
    run(() => ddb('DeleteItem', { TableName: table.TableName, Key: keyOf(table, item) }));
  };
  return html`<${Modal} title=${isNew ? 'Create item' : 'Item'} onClose=${onClose} testid="ddb-item-editor">
    <p class="muted">DynamoDB JSON (attribute name to a typed value, e.g. <code>{"S": "text"}</code>, <code>{"N": "42"}</code>).
      Saving is a PutItem of the whole item.</p>
    <textarea class="code" rows="18" data-testid="ddb-item-json" value=${text} onInput=${(e) => setText(e.target.value)} spellcheck="false" />
    <${ErrorBox} error=${error} />
    <div class="toolbar">
      <button class="primary" data-testid="ddb-item-save" disabled=${busy} onClick=${save}>Save</button>
      ${isNew ? null : html`<button class="danger" data-testid="ddb-item-delete" disabled=${busy} onClick=${remove}>Delete item</button>`}
      <button onClick=${onClose}>Cancel</button>
    </div>
  <//>`;
}

const PAGE_SIZES = [50, 200, 1000];

// The query/scan form and the items it found, one server page at a time.
function ItemBrowser({ table }) {
  const indexes = [...(table.GlobalSecondaryIndexes || []), ...(table.LocalSecondaryIndexes || [])].map((i) => i.IndexName);
  const [form, setForm] = useState({ mode: 'Scan', index: '', keyCondition: '', filter: '', names: '', values: '', limit: 200, forward: true });
  const [result, setResult] = useState({ items: [], lastKey: null, scanned: 0, pages: 0, request: null });
  const [error, setError] = useState(null);
  const [loading, setLoading] = useState(false);
  const [editing, setEditing] = useState(null);
  const loadingRef = useRef(false);
  const set = (key) => (event) => setForm({ ...form, [key]: event.target.type === 'checkbox' ? event.target.checked : event.target.value });

  const buildRequest = () => {
    const request = { TableName: table.TableName, Limit: Number(form.limit) };
    if (form.index) request.IndexName = form.index;
    if (form.mode === 'Query') {
      request.KeyConditionExpression = form.keyCondition;
      request.ScanIndexForward = form.forward;
    }
    if (form.filter.trim()) request.FilterExpression = form.filter;
    const names = parseJsonField(form.names, 'Expression attribute names');
    const values = parseJsonField(form.values, 'Expression attribute values');
    if (names) request.ExpressionAttributeNames = names;
    if (values) request.ExpressionAttributeValues = values;
    return request;
  };

  const fetchPage = async (request, startKey, previous) => {
    if (loadingRef.current) return;
    loadingRef.current = true;
    setLoading(true);
    setError(null);
    try {
      const page = await ddb(request.KeyConditionExpression !== undefined ? 'Query' : 'Scan', { ...request, ...(startKey ? { ExclusiveStartKey: startKey } : {}) });
      setResult({ items: previous.concat(page.Items || []), lastKey: page.LastEvaluatedKey || null,
        scanned: (startKey ? result.scanned : 0) + (page.ScannedCount || 0), pages: (startKey ? result.pages : 0) + 1, request });
    } catch (e) {
      setError(e);
    } finally {
      loadingRef.current = false;
      setLoading(false);
    }
  };
  const run = () => {
    try {
      fetchPage(buildRequest(), null, []);
    } catch (e) {
      setError(e);
    }
  };
  const more = () => result.lastKey && result.request && fetchPage(result.request, result.lastKey, result.items);
  useEffect(run, [table.TableName]);

  const keys = keyNames(table);
  const columns = useMemo(() => {
    const seen = new Set(keys);
    const others = [];
    for (const item of result.items.slice(0, 500)) {
      for (const name of Object.keys(item)) {
        if (!seen.has(name)) {
          seen.add(name);
          others.push(name);
        }
      }
    }
    return [...keys, ...others.sort().slice(0, 12)];
  }, [result.items, table.TableName]);

  return html`<div data-testid="ddb-items">
    <div class="card">
      <div class="row">
        <${Field} label="Operation"><select data-testid="ddb-mode" value=${form.mode} onChange=${set('mode')}><option>Scan</option><option>Query</option></select><//>
        <${Field} label="Index"><select data-testid="ddb-index" value=${form.index} onChange=${set('index')}>
          <option value="">table</option>${indexes.map((i) => html`<option>${i}</option>`)}</select><//>
        <${Field} label="Page size"><select data-testid="ddb-page-size" value=${form.limit} onChange=${set('limit')}>${PAGE_SIZES.map((n) => html`<option>${n}</option>`)}</select><//>
        ${form.mode === 'Query' ? html`<label><input type="checkbox" checked=${form.forward} onChange=${set('forward')} /> ascending</label>` : null}
      </div>
      ${form.mode === 'Query' ? html`<${Field} label="Key condition expression"><input data-testid="ddb-key-condition" value=${form.keyCondition}
        placeholder="pk = :pk AND begins_with(sk, :prefix)" onInput=${set('keyCondition')} /><//>` : null}
      <${Field} label="Filter expression (optional)"><input data-testid="ddb-filter" value=${form.filter} placeholder="attribute_exists(#n)" onInput=${set('filter')} /><//>
      <div class="row">
        <${Field} label="Expression attribute names (JSON)"><input data-testid="ddb-names" value=${form.names} placeholder='{"#n": "name"}' onInput=${set('names')} /><//>
        <${Field} label="Expression attribute values (DynamoDB JSON)"><input data-testid="ddb-values" value=${form.values} placeholder='{":pk": {"S": "a"}}' size="40" onInput=${set('values')} /><//>
      </div>
      <div class="toolbar">
        <button class="primary" data-testid="ddb-run" onClick=${run} disabled=${loading}>Run</button>
        <button data-testid="ddb-new-item" onClick=${() => setEditing({ item: Object.fromEntries(keys.map((k) => [k, { S: '' }])), isNew: true })}>Create item</button>
      </div>
    </div>
    <${ErrorBox} error=${error} />
    <p class="muted" data-testid="ddb-count">${result.items.length} items loaded in ${result.pages} page(s) (${result.scanned} scanned)
      ${result.lastKey ? ' · more on the server' : result.pages ? ' · all loaded' : ''} ${loading ? ' · loading…' : ''}</p>
    <${VirtualList} testid="ddb-item-list" items=${result.items} height=${440} onEndReached=${more} contentWidth=${80 + columns.length * 180}
      header=${html`<span class="index">#</span>${columns.map((c) => html`<span title=${c}>${c}</span>`)}`}
      renderRow=${(item, index) => html`<span class="vcell index">${index + 1}</span>${columns.map((c) =>
        html`<span class="vcell" data-attr=${c}>${showValue(item[c])}</span>`)}`}
      onRowClick=${null} />
    ${result.lastKey ? html`<button data-testid="ddb-more" disabled=${loading} onClick=${more}>Load next page</button>` : null}
    ${editing ? html`<${ItemEditor} table=${table} item=${editing.item} isNew=${editing.isNew} onClose=${() => setEditing(null)}
      onSaved=${() => fetchPage(result.request || buildRequest(), null, [])} />` : null}
    <${RowClicks} items=${result.items} onOpen=${(item) => setEditing({ item, isNew: false })} />
  </div>`;
}

// Opens the item a list row was clicked on (one delegated listener instead of one per row).
function RowClicks({ items, onOpen }) {
  useEffect(() => {
    const list = document.querySelector('[data-testid="ddb-item-list"]');
    if (!list) return undefined;
    const onClick = (event) => {
      const row = event.target.closest('.vrow');
      if (row) onOpen(items[Number(row.dataset.index)]);
    };
    list.addEventListener('click', onClick);
    return () => list.removeEventListener('click', onClick);
  }, [items, onOpen]);
  return null;
}

function StreamRecords({ table }) {
  const arn = table.LatestStreamArn;
  const records = useAsync(async () => {
    if (!arn || !(table.StreamSpecification || {}).StreamEnabled) return null;
    const { StreamDescription } = await streams('DescribeStream', { StreamArn: arn });
    const all = [];
    for (const shard of StreamDescription.Shards || []) {
      let { ShardIterator: iterator } = await streams('GetShardIterator', { StreamArn: arn, ShardId: shard.ShardId, ShardIteratorType: 'TRIM_HORIZON' });
      for (let round = 0; iterator && round < 10 && all.length < 500; round++) {
        const page = await streams('GetRecords', { ShardIterator: iterator, Limit: 100 });
        all.push(...(page.Records || []).map((r) => ({ ...r, shard: shard.ShardId })));
        if (!page.Records || page.Records.length === 0) break;
        iterator = page.NextShardIterator;
      }
    }
    return { view: StreamDescription.StreamViewType, records: all };
  }, [arn]);
  if (records.data === null) return html`<p class="muted">This table has no stream enabled.</p>`;
  return html`<div data-testid="ddb-stream-records">
    <${ErrorBox} error=${records.error} />
    <button onClick=${records.reload}>Refresh</button>
    <${Table} rows=${records.data ? records.data.records : []} empty="No records in the stream." columns=${[
      { label: 'Event', value: (r) => r.eventName },
      { label: 'Sequence', value: (r) => r.dynamodb.SequenceNumber },
      { label: 'Time', value: (r) => formatTime(r.dynamodb.ApproximateCreationDateTime) },
      { label: 'Keys', value: (r) => JSON.stringify(r.dynamodb.Keys) },
      { label: 'New image', value: (r) => html`<pre class="cell">${r.dynamodb.NewImage ? JSON.stringify(r.dynamodb.NewImage) : ''}</pre>` },
      { label: 'Old image', value: (r) => html`<pre class="cell">${r.dynamodb.OldImage ? JSON.stringify(r.dynamodb.OldImage) : ''}</pre>` },
    ]} />
  </div>`;
}

function TableView({ table, onDeleted }) {
  const [tab, setTab] = useState('Items');
  return html`<section class="detail" data-testid="ddb-table">
    <h3>${table.TableName}</h3>
    <div class="toolbar">
      <${ActionButton} label="Delete table" kind="danger" testid="ddb-delete-table" confirm=${`Delete the table ${table.TableName} and all its items?`}
        action=${() => ddb('DeleteTable', { TableName: table.TableName })} onDone=${onDeleted} />
    </div>
    <${Tabs} tabs=${['Items', 'Details', 'Stream']} current=${tab} onChange=${setTab} />
    ${tab === 'Items' ? html`<${ItemBrowser} table=${table} />` : tab === 'Details' ? html`<${TableDetails} table=${table} />` : html`<${StreamRecords} table=${table} />`}
  </section>`;
}

export function DynamoDbPage({ route, navigate }) {
  const tables = useAsync(listTables, []);
  const selectedName = route[0];
  const list = tables.data || [];
  const listed = list.find((t) => t.TableName === selectedName);
  // A table past the described ones is described when opened.
  const opened = useAsync(async () => (listed && listed.undescribed ? (await ddb('DescribeTable', { TableName: selectedName })).Table : null),
    [selectedName, !!listed]);
  const selected = listed && listed.undescribed ? opened.data : listed;
  return html`<section class="split">
    <div class="list-pane">
      <h2>DynamoDB tables</h2>
      <div class="toolbar"><${CreateTable} onCreated=${(name) => { tables.reload(); navigate('dynamodb', name); }} />
        <button onClick=${tables.reload}>Refresh</button></div>
      <${ErrorBox} error=${tables.error} />
      <${Table} testid="ddb-tables" rows=${list} rowKey=${(t) => t.TableName} onRowClick=${(t) => navigate('dynamodb', t.TableName)}
        empty=${tables.loading && !tables.data ? 'Loading…' : 'No tables in this account and region.'} columns=${[
        { label: 'Table', value: (t) => html`<span class=${t.TableName === selectedName ? 'selected' : ''}>${t.TableName}</span>` },
        { label: 'Status', value: (t) => t.TableStatus || '' },
        { label: 'Keys', value: (t) => keyNames(t).join(', ') },
        { label: 'Items', value: (t) => t.ItemCount ?? '' },
        { label: 'Indexes', value: (t) => (t.GlobalSecondaryIndexes || []).length + (t.LocalSecondaryIndexes || []).length },
      ]} />
    </div>
    ${selected ? html`<${TableView} key=${selected.TableName} table=${selected} onDeleted=${() => { navigate('dynamodb'); tables.reload(); }} />`
      : selectedName && tables.data ? html`<p class="muted">No table named ${selectedName}.</p>` : null}
  </section>`;
}
