// SQS: queues with their attributes and live counts (refreshed every 3 s), peek (LocalStack's
// developer endpoint, which receives nothing), send with message attributes, purge, redrive from a
// dead-letter queue (message move tasks: start, list, cancel) and delete. All through SQS's JSON
// protocol, as an SDK calls it.
import { useState } from 'preact/hooks';
import { html, useAsync, ErrorBox, Table, ActionButton, Field, Notice, formatTime } from '../lib/ui.js';
import { awsJson, signedFetch, scope, parseXml } from '../lib/aws.js';

const sqs = (operation, input) => awsJson('sqs', operation, input);

// Attributes (the live counts) are fetched for this many queues per refresh at most; a prefix
// narrows the list (ListQueues' QueueNamePrefix) when an account has more.
const MAX_DESCRIBED = 100;

async function listQueues(prefix) {
  const urls = [];
  let token;
  do {
    const page = await sqs('ListQueues', { MaxResults: 1000, ...(prefix ? { QueueNamePrefix: prefix } : {}), ...(token ? { NextToken: token } : {}) });
    urls.push(...(page.QueueUrls || []));
    token = page.NextToken;
  } while (token);
  urls.sort((a, b) => a.split('/').pop().localeCompare(b.split('/').pop()));
  const queues = await Promise.all(urls.slice(0, MAX_DESCRIBED).map(async (url) => {
    try {
      const { Attributes = {} } = await sqs('GetQueueAttributes', { QueueUrl: url, AttributeNames: ['All'] });
      return { url, name: url.split('/').pop(), attributes: Attributes };
    } catch (error) {
      // Deleted between the two calls: drop it.
      if (error.code === 'QueueDoesNotExist' || error.code === 'AWS.SimpleQueueService.NonExistentQueue') return null;
      throw error;
    }
  }));
  const described = queues.filter(Boolean);
  described.total = urls.length;
  return described;
}

// The queue's messages without receiving them: GET /_aws/sqs/messages/<region>/<account>/<queue>
// (XML, ReceiveMessage's shape), invisible and delayed ones included and flagged.
async function peekMessages(queue) {
  const account = queue.attributes.QueueArn ? queue.attributes.QueueArn.split(':')[4] : scope.account;
  const path = `/_aws/sqs/messages/${encodeURIComponent(scope.region)}/${account}/${encodeURIComponent(queue.name)}`;
  const response = await signedFetch({ service: 'sqs', method: 'GET', path, query: [['ShowInvisible', 'true'], ['ShowDelayed', 'true']] });
  const text = await response.text();
  if (!response.ok) throw new Error(`peek: HTTP ${response.status} ${text.slice(0, 200)}`);
  const doc = parseXml(text);
  const child = (node, name) => Array.from(node.children).filter((c) => c.localName === name);
  const textOf = (node, name) => (child(node, name)[0] || {}).textContent;
  return Array.from(doc.getElementsByTagNameNS('*', 'Message')).map((m) => ({
    id: textOf(m, 'MessageId'),
    body: textOf(m, 'Body'),
    attributes: Object.fromEntries(child(m, 'Attribute').map((a) => [textOf(a, 'Name'), textOf(a, 'Value')])),
    messageAttributes: Object.fromEntries(child(m, 'MessageAttribute').map((a) => {
      const value = child(a, 'Value')[0];
      return [textOf(a, 'Name'), value ? textOf(value, 'StringValue') ?? textOf(value, 'BinaryValue') : ''];
    })),
  }));
}

function CreateQueue({ onCreated }) {
  const [name, setName] = useState('');
  const [fifo, setFifo] = useState(false);
  return html`<div class="inline-form">
    <input placeholder="new queue name" data-testid="sqs-new-name" value=${name} onInput=${(e) => setName(e.target.value.trim())} />
    <label><input type="checkbox" checked=${fifo} onChange=${(e) => setFifo(e.target.checked)} /> FIFO</label>
    <${ActionButton} label="Create queue" testid="sqs-create" disabled=${!name} action=${() => {
      const full = fifo && !name.endsWith('.fifo') ? name + '.fifo' : name;
      return sqs('CreateQueue', { QueueName: full, ...(fifo ? { Attributes: { FifoQueue: 'true' } } : {}) });
    }} onDone=${() => { setName(''); onCreated(); }} />
  </div>`;
}

function SendForm({ queue, onSent }) {
  const fifo = queue.attributes.FifoQueue === 'true';
  const [body, setBody] = useState('');
  const [delay, setDelay] = useState('');
  const [groupId, setGroupId] = useState('');
  const [dedupId, setDedupId] = useState('');
  const [attributes, setAttributes] = useState([]);
  const [sent, setSent] = useState('');
  const update = (index, key, value) => setAttributes(attributes.map((a, i) => (i === index ? { ...a, [key]: value } : a)));
  const send = () => {
    const input = { QueueUrl: queue.url, MessageBody: body };
    if (delay !== '') input.DelaySeconds = Number(delay);
    if (groupId) input.MessageGroupId = groupId;
    if (dedupId) input.MessageDeduplicationId = dedupId;
    if (attributes.length) {
      input.MessageAttributes = Object.fromEntries(attributes.filter((a) => a.name).map((a) => [a.name,
        // A Binary value is the UTF-8 bytes of what was typed, base64-encoded as the JSON protocol carries it.
        a.type.startsWith('Binary') ? { DataType: a.type, BinaryValue: btoa(String.fromCharCode(...new TextEncoder().encode(a.value))) }
          : { DataType: a.type, StringValue: a.value }]));
    }
    return sqs('SendMessage', input);
  };
  return html`<div class="card" data-testid="sqs-send">
    <h4>Send a message</h4>
    <${Field} label="Body"><textarea rows="4" data-testid="sqs-send-body" value=${body} onInput=${(e) => setBody(e.target.value)} /><//>
    <div class="row">
      ${fifo ? null : html`<${Field} label="Delay (s)"><input type="number" min="0" max="900" value=${delay} onInput=${(e) => setDelay(e.target.value)} /><//>`}
      ${fifo ? html`<${Field} label="Group ID"><input data-testid="sqs-send-group" value=${groupId} onInput=${(e) => setGroupId(e.target.value)} /><//>
        <${Field} label="Deduplication ID"><input value=${dedupId} onInput=${(e) => setDedupId(e.target.value)} /><//>` : null}
    </div>
    <h5>Message attributes</h5>
    ${attributes.map((a, i) => html`<div class="row attr-row">
      <input placeholder="name" data-testid=${'sqs-attr-name-' + i} value=${a.name} onInput=${(e) => update(i, 'name', e.target.value)} />
      <select value=${a.type} data-testid=${'sqs-attr-type-' + i} onChange=${(e) => update(i, 'type', e.target.value)}>
        ${['String', 'Number', 'Binary'].map((t) => html`<option>${t}</option>`)}</select>
      <input placeholder="value" data-testid=${'sqs-attr-value-' + i} value=${a.value} onInput=${(e) => update(i, 'value', e.target.value)} />
      <button class="plain" onClick=${() => setAttributes(attributes.filter((_, j) => j !== i))}>remove</button>
    </div>`)}
    <button class="plain" data-testid="sqs-attr-add" onClick=${() => setAttributes([...attributes, { name: '', type: 'String', value: '' }])}>+ attribute</button>
    <div><${ActionButton} label="Send" kind="primary" testid="sqs-send-submit" action=${send}
      onDone=${(result) => { setSent(`Sent message ${result.MessageId}`); setBody(''); onSent(); }} /></div>
    <${Notice} text=${sent} />
  </div>`;
}

function Peek({ queue }) {
  const [messages, setMessages] = useState(null);
  return html`<div class="card" data-testid="sqs-peek">
    <h4>Messages <small>(peek: nothing is received, receive counts stay as they are)</small></h4>
    <${ActionButton} label="Peek" testid="sqs-peek-run" action=${() => peekMessages(queue)} onDone=${setMessages} />
    ${messages ? html`<${Table} testid="sqs-peek-messages" rows=${messages} rowKey=${(m) => m.id} empty="The queue is empty." columns=${[
      { label: 'Message ID', value: (m) => html`<code>${m.id}</code>` },
      { label: 'Body', value: (m) => html`<pre class="cell">${m.body}</pre>` },
      { label: 'Attributes', value: (m) => Object.entries(m.messageAttributes).map(([k, v]) => `${k}=${v}`).join(', ') },
      { label: 'Sent', value: (m) => formatTime(Number(m.attributes.SentTimestamp) / 1000) },
      { label: 'Receives', value: (m) => m.attributes.ApproximateReceiveCount },
      { label: 'State', value: (m) => (m.attributes.IsDelayed === 'true' ? 'delayed' : m.attributes.IsVisible === 'false' ? 'in flight' : 'visible') },
    ]} />` : null}
  </div>`;
}

function Redrive({ queue, queues }) {
  const arn = queue.attributes.QueueArn;
  const sources = queues.filter((q) => (q.attributes.RedrivePolicy || '').includes(`"${arn}"`));
  const [destination, setDestination] = useState('');
  const [rate, setRate] = useState('');
  const tasks = useAsync(() => sqs('ListMessageMoveTasks', { SourceArn: arn, MaxResults: 10 }).then((r) => r.Results || []), [arn], 3000);
  return html`<div class="card" data-testid="sqs-redrive">
    <h4>Redrive (dead-letter queue)</h4>
    <p class="muted">${sources.length ? `Dead-letter queue of: ${sources.map((s) => s.name).join(', ')}.` : 'No queue names this one as its dead-letter queue.'}${' '}Moves this queue's messages back to their source queues, or to the queue chosen here.</p>
    <div class="row">
      <${Field} label="Destination"><select data-testid="sqs-redrive-destination" value=${destination} onChange=${(e) => setDestination(e.target.value)}>
        <option value="">their original source queues</option>
        ${queues.filter((q) => q.url !== queue.url).map((q) => html`<option value=${q.attributes.QueueArn}>${q.name}</option>`)}
      </select><//>
      <${Field} label="Messages/s (optional)"><input type="number" min="1" max="500" value=${rate} onInput=${(e) => setRate(e.target.value)} /><//>
    </div>
    <${ActionButton} label="Start redrive" testid="sqs-redrive-start" action=${() => sqs('StartMessageMoveTask', {
      SourceArn: arn, ...(destination ? { DestinationArn: destination } : {}), ...(rate ? { MaxNumberOfMessagesPerSecond: Number(rate) } : {}) })}
      onDone=${tasks.reload} />
    <${ErrorBox} error=${tasks.error} />
    <${Table} testid="sqs-redrive-tasks" rows=${tasks.data || []} empty="No move tasks." columns=${[
      { label: 'Status', value: (t) => html`<span data-testid="sqs-task-status">${t.Status}</span>` },
      { label: 'Moved', value: (t) => `${t.ApproximateNumberOfMessagesMoved ?? 0} / ${t.ApproximateNumberOfMessagesToMove ?? '?'}` },
      { label: 'Destination', value: (t) => t.DestinationArn || 'original sources' },
      { label: 'Started', value: (t) => formatTime(t.StartedTimestamp / 1000) },
      { label: '', value: (t) => (t.Status === 'RUNNING' && t.TaskHandle ? html`<${ActionButton} label="Cancel" testid="sqs-redrive-cancel"
        action=${() => sqs('CancelMessageMoveTask', { TaskHandle: t.TaskHandle })} onDone=${tasks.reload} />` : t.FailureReason || '') },
    ]} />
  </div>`;
}

function QueueDetail({ queue, queues, onChanged, onDeleted }) {
  return html`<section class="detail" data-testid="sqs-detail">
    <h3>${queue.name}</h3>
    <p><code>${queue.url}</code></p>
    <div class="toolbar">
      <${ActionButton} label="Purge" testid="sqs-purge" confirm=${`Delete every message in ${queue.name}?`}
        action=${() => sqs('PurgeQueue', { QueueUrl: queue.url })} onDone=${onChanged} />
      <${ActionButton} label="Delete queue" kind="danger" testid="sqs-delete" confirm=${`Delete the queue ${queue.name}?`}
        action=${() => sqs('DeleteQueue', { QueueUrl: queue.url })} onDone=${onDeleted} />
    </div>
    <details open>
      <summary>Attributes</summary>
      <dl class="kv" data-testid="sqs-attributes">${Object.entries(queue.attributes).sort().map(([k, v]) =>
        html`<dt>${k}</dt><dd>${/Timestamp$/.test(k) ? formatTime(v) : v}</dd>`)}</dl>
    </details>
    <${SendForm} queue=${queue} onSent=${onChanged} />
    <${Peek} queue=${queue} />
    <${Redrive} queue=${queue} queues=${queues} />
  </section>`;
}

export function SqsPage({ route, navigate }) {
  const [prefix, setPrefix] = useState('');
  const queues = useAsync(() => listQueues(prefix), [prefix], 3000);
  const selectedName = route[0];
  const list = queues.data || [];
  const selected = list.find((q) => q.name === selectedName);
  const count = (q, key) => q.attributes[key] ?? '';
  return html`<section class="split">
    <div class="list-pane">
      <h2>SQS queues</h2>
      <${CreateQueue} onCreated=${queues.reload} />
      <input placeholder="filter: queue name prefix" data-testid="sqs-prefix" value=${prefix} onInput=${(e) => setPrefix(e.target.value.trim())} />
      ${queues.data && queues.data.total > queues.data.length ? html`<p class="muted" data-testid="sqs-capped">${`Showing the first ${queues.data.length} of ${queues.data.total} queues; narrow them with a prefix.`}</p>` : null}
      <${ErrorBox} error=${queues.error} />
      <${Table} testid="sqs-queues" rows=${list} rowKey=${(q) => q.url} onRowClick=${(q) => navigate('sqs', q.name)}
        empty=${queues.loading && !queues.data ? 'Loading…' : 'No queues in this account and region.'} columns=${[
        { label: 'Queue', value: (q) => html`<span class=${q.name === selectedName ? 'selected' : ''} data-queue=${q.name}>${q.name}</span>` },
        { label: 'Visible', value: (q) => html`<span data-testid=${'sqs-visible-' + q.name}>${count(q, 'ApproximateNumberOfMessages')}</span>` },
        { label: 'In flight', value: (q) => count(q, 'ApproximateNumberOfMessagesNotVisible') },
        { label: 'Delayed', value: (q) => count(q, 'ApproximateNumberOfMessagesDelayed') },
        { label: 'Type', value: (q) => (q.attributes.FifoQueue === 'true' ? 'FIFO' : 'standard') },
        { label: 'DLQ', value: (q) => { try { return JSON.parse(q.attributes.RedrivePolicy || '{}').deadLetterTargetArn?.split(':').pop() || ''; } catch { return ''; } } },
      ]} />
    </div>
    ${selected ? html`<${QueueDetail} key=${selected.url} queue=${selected} queues=${list} onChanged=${queues.reload}
      onDeleted=${() => { navigate('sqs'); queues.reload(); }} />`
      : selectedName && queues.data ? html`<p class="muted">No queue named ${selectedName}.</p>` : null}
  </section>`;
}
