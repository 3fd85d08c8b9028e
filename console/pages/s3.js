// S3: buckets (create, delete), prefixes and objects (ListObjectsV2 with a delimiter, paged by
// continuation token), upload (PutObject with Content-Type and user metadata), download (GetObject
// to a file), an object's metadata (HeadObject: system and x-amz-meta-* headers) and tags, delete.
// Path-style REST calls signed with SigV4, as an SDK with forcePathStyle sends them.
import { useState } from 'preact/hooks';
import { html, useAsync, ErrorBox, Table, ActionButton, Field, Modal, Notice, formatBytes, formatTime } from '../lib/ui.js';
import { s3Request, parseXml, scope } from '../lib/aws.js';

const childText = (node, name) => {
  const found = Array.from(node.children).find((c) => c.localName === name);
  return found ? found.textContent : undefined;
};
const children = (node, name) => Array.from(node.getElementsByTagNameNS('*', name));

async function listBuckets() {
  const response = await s3Request('GET', null, null, { query: [['max-buckets', '1000']] });
  const doc = parseXml(await response.text());
  return children(doc, 'Bucket').map((b) => ({ name: childText(b, 'Name'), created: childText(b, 'CreationDate'), region: childText(b, 'BucketRegion') }));
}

async function listLevel(bucket, prefix, token) {
  const query = [['list-type', '2'], ['delimiter', '/'], ['prefix', prefix], ['max-keys', '200']];
  if (token) query.push(['continuation-token', token]);
  const doc = parseXml(await (await s3Request('GET', bucket, null, { query })).text());
  const root = doc.documentElement;
  return {
    prefixes: children(root, 'CommonPrefixes').map((p) => childText(p, 'Prefix')),
    objects: children(root, 'Contents').map((c) => ({ key: childText(c, 'Key'), size: Number(childText(c, 'Size')),
      modified: childText(c, 'LastModified'), etag: childText(c, 'ETag'), storageClass: childText(c, 'StorageClass') })),
    next: childText(root, 'IsTruncated') === 'true' ? childText(root, 'NextContinuationToken') : null,
  };
}

function CreateBucket({ onCreated }) {
  const [name, setName] = useState('');
  const create = () => {
    const body = scope.region === 'us-east-1' ? null
      : `<CreateBucketConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><LocationConstraint>${scope.region}</LocationConstraint></CreateBucketConfiguration>`;
    return s3Request('PUT', name, null, { body, headers: body ? { 'Content-Type': 'application/xml' } : {} });
  };
  return html`<div class="inline-form">
    <input placeholder="new bucket name" data-testid="s3-new-bucket" value=${name} onInput=${(e) => setName(e.target.value.trim())} />
    <${ActionButton} label="Create bucket" testid="s3-create-bucket" disabled=${!name} action=${create} onDone=${() => { setName(''); onCreated(); }} />
  </div>`;
}

function Upload({ bucket, prefix, onUploaded }) {
  const [files, setFiles] = useState([]);
  const [metadata, setMetadata] = useState('');
  const [done, setDone] = useState('');
  const upload = async () => {
    const headers = {};
    for (const line of metadata.split('\n')) {
      const eq = line.indexOf('=');
      if (eq > 0) headers['x-amz-meta-' + line.slice(0, eq).trim().toLowerCase()] = line.slice(eq + 1).trim();
    }
    for (const file of files) {
      await s3Request('PUT', bucket, prefix + file.name, { body: file, headers: { ...headers, 'Content-Type': file.type || 'application/octet-stream' } });
    }
    return files.length;
  };
  return html`<div class="card" data-testid="s3-upload">
    <h4>Upload to <code>${bucket}/${prefix}</code></h4>
    <input type="file" multiple data-testid="s3-upload-input" onChange=${(e) => setFiles(Array.from(e.target.files))} />
    <${Field} label="Metadata (name=value per line, sent as x-amz-meta-*)">
      <textarea rows="2" data-testid="s3-upload-metadata" value=${metadata} onInput=${(e) => setMetadata(e.target.value)} /><//>
    <${ActionButton} label="Upload" kind="primary" testid="s3-upload-submit" disabled=${!files.length} action=${upload}
      onDone=${(n) => { setDone(`Uploaded ${n} file(s)`); onUploaded(); }} />
    <${Notice} text=${done} />
  </div>`;
}

async function downloadObject(bucket, key) {
  const response = await s3Request('GET', bucket, key);
  const blob = await response.blob();
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = key.split('/').pop() || 'download';
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
  return blob.size;
}

function ObjectDetail({ bucket, objectKey, onClose, onDeleted }) {
  const details = useAsync(async () => {
    const head = await s3Request('HEAD', bucket, objectKey);
    const headers = Array.from(head.headers.entries()).filter(([name]) => !['date', 'connection', 'keep-alive'].includes(name));
    let tags = [];
    try {
      const doc = parseXml(await (await s3Request('GET', bucket, objectKey, { query: [['tagging', '']] })).text());
      tags = children(doc, 'Tag').map((t) => [childText(t, 'Key'), childText(t, 'Value')]);
    } catch {
      tags = [];
    }
    return { headers, tags };
  }, [bucket, objectKey]);
  return html`<${Modal} title=${objectKey} onClose=${onClose} testid="s3-object">
    <${ErrorBox} error=${details.error} />
    ${details.data ? html`
      <h4>Metadata</h4>
      <dl class="kv" data-testid="s3-object-metadata">${details.data.headers.map(([k, v]) => html`<dt>${k}</dt><dd>${v}</dd>`)}</dl>
      <h4>Tags</h4>
      ${details.data.tags.length ? html`<dl class="kv" data-testid="s3-object-tags">${details.data.tags.map(([k, v]) => html`<dt>${k}</dt><dd>${v}</dd>`)}</dl>`
        : html`<p class="muted">No tags.</p>`}` : html`<p class="muted">Loading…</p>`}
    <div class="toolbar">
      <${ActionButton} label="Download" kind="primary" testid="s3-download" action=${() => downloadObject(bucket, objectKey)} />
      <${ActionButton} label="Delete object" kind="danger" testid="s3-delete-object" confirm=${`Delete ${objectKey}?`}
        action=${() => s3Request('DELETE', bucket, objectKey)} onDone=${onDeleted} />
    </div>
  <//>`;
}

function BucketView({ bucket, prefix, navigate, onBucketDeleted }) {
  const [tokens, setTokens] = useState([null]);
  const [pageIndex, setPageIndex] = useState(0);
  const [openKey, setOpenKey] = useState(null);
  const level = useAsync(() => listLevel(bucket, prefix, tokens[pageIndex]), [bucket, prefix, pageIndex]);
  const parts = prefix.split('/').filter(Boolean);
  const go = (p) => navigate('s3', bucket, ...(p ? [p] : []));
  const rows = level.data ? [...level.data.prefixes.map((p) => ({ prefix: p })), ...level.data.objects] : [];
  const next = () => {
    const copy = tokens.slice(0, pageIndex + 1);
    copy.push(level.data.next);
    setTokens(copy);
    setPageIndex(pageIndex + 1);
  };
  return html`<section class="detail" data-testid="s3-bucket">
    <h3>${bucket}</h3>
    <nav class="breadcrumbs" data-testid="s3-breadcrumbs">
      <button class="plain" onClick=${() => go('')}>${bucket}</button>
      ${parts.map((part, i) => html` / <button class="plain" onClick=${() => go(parts.slice(0, i + 1).join('/') + '/')}>${part}</button>`)}
    </nav>
    <div class="toolbar">
      <button onClick=${level.reload}>Refresh</button>
      <${ActionButton} label="Delete bucket" kind="danger" testid="s3-delete-bucket" confirm=${`Delete the bucket ${bucket}? (it must be empty)`}
        action=${() => s3Request('DELETE', bucket, null)} onDone=${onBucketDeleted} />
    </div>
    <${ErrorBox} error=${level.error} />
    <${Table} testid="s3-objects" rows=${rows} rowKey=${(r) => r.prefix || r.key} empty=${level.loading ? 'Loading…' : 'No objects under this prefix.'}
      onRowClick=${(r) => (r.prefix ? go(r.prefix) : setOpenKey(r.key))} columns=${[
        { label: 'Name', value: (r) => (r.prefix ? html`<span class="folder">${r.prefix.slice(prefix.length)}</span>` : html`<span data-key=${r.key}>${r.key.slice(prefix.length)}</span>`) },
        { label: 'Size', value: (r) => (r.prefix ? '' : formatBytes(r.size)) },
        { label: 'Last modified', value: (r) => (r.prefix ? '' : formatTime(r.modified)) },
        { label: 'Storage class', value: (r) => r.storageClass || '' },
      ]} />
    <div class="toolbar">
      <button disabled=${pageIndex === 0} onClick=${() => setPageIndex(pageIndex - 1)}>Previous</button>
      <span class="muted">page ${pageIndex + 1}</span>
      <button data-testid="s3-next" disabled=${!(level.data && level.data.next)} onClick=${next}>Next</button>
    </div>
    <${Upload} bucket=${bucket} prefix=${prefix} onUploaded=${level.reload} />
    ${openKey ? html`<${ObjectDetail} bucket=${bucket} objectKey=${openKey} onClose=${() => setOpenKey(null)}
      onDeleted=${() => { setOpenKey(null); level.reload(); }} />` : null}
  </section>`;
}

export function S3Page({ route, navigate }) {
  const buckets = useAsync(listBuckets, []);
  const [bucket, prefix = ''] = route;
  return html`<section class="split">
    <div class="list-pane">
      <h2>S3 buckets</h2>
      <${CreateBucket} onCreated=${buckets.reload} />
      <${ErrorBox} error=${buckets.error} />
      <${Table} testid="s3-buckets" rows=${buckets.data || []} rowKey=${(b) => b.name} onRowClick=${(b) => navigate('s3', b.name)}
        empty=${buckets.loading && !buckets.data ? 'Loading…' : 'No buckets in this account.'} columns=${[
          { label: 'Bucket', value: (b) => html`<span class=${b.name === bucket ? 'selected' : ''} data-bucket=${b.name}>${b.name}</span>` },
          { label: 'Region', value: (b) => b.region || '' },
          { label: 'Created', value: (b) => formatTime(b.created) },
        ]} />
    </div>
    ${bucket ? html`<${BucketView} key=${bucket + '/' + prefix} bucket=${bucket} prefix=${prefix} navigate=${navigate}
      onBucketDeleted=${() => { navigate('s3'); buckets.reload(); }} />` : null}
  </section>`;
}
