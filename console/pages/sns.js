// SNS: topics with their attributes; subscriptions with protocol, endpoint, state and filter
// policy; create/delete topics, subscribe/unsubscribe, publish a message with attributes; the SMS
// and mobile-push messages SNS recorded (LocalStack's /_aws/sns inspection endpoints).
import { useState } from 'preact/hooks';
import { html, useAsync, ErrorBox, Table, ActionButton, Field, Notice } from '../lib/ui.js';
import { awsQuery, signedFetch, scope } from '../lib/aws.js';

const elements = (node, name) => Array.from(node.getElementsByTagNameNS('*', name));
const childText = (node, name) => {
  const found = Array.from(node.children).find((c) => c.localName === name);
  return found ? found.textContent : undefined;
};
// awsQuery maps: <entry><key>…</key><value>…</value></entry>.
const entries = (doc) => Object.fromEntries(elements(doc, 'entry').map((e) => [childText(e, 'key'), childText(e, 'value')]));

async function listTopics() {
  const arns = [];
  let token;
  do {
    const doc = await awsQuery('sns', 'ListTopics', token ? { NextToken: token } : {});
    arns.push(...elements(doc, 'TopicArn').map((n) => n.textContent));
    token = (elements(doc, 'NextToken')[0] || {}).textContent;
  } while (token);
  return Promise.all(arns.map(async (arn) => ({ arn, name: arn.split(':').pop(),
    attributes: entries(await awsQuery('sns', 'GetTopicAttributes', { TopicArn: arn })) })));
}

async function listSubscriptions(topicArn) {
  const subscriptions = [];
  let token;
  do {
    const doc = await awsQuery('sns', 'ListSubscriptionsByTopic', { TopicArn: topicArn, ...(token ? { NextToken: token } : {}) });
    for (const member of elements(doc, 'member')) {
      subscriptions.push({ arn: childText(member, 'SubscriptionArn'), protocol: childText(member, 'Protocol'), endpoint: childText(member, 'Endpoint') });
    }
    token = (elements(doc, 'NextToken')[0] || {}).textContent;
  } while (token);
  return Promise.all(subscriptions.map(async (s) => {
    if (!s.arn || !s.arn.startsWith('arn:')) return { ...s, attributes: {} };
    return { ...s, attributes: entries(await awsQuery('sns', 'GetSubscriptionAttributes', { SubscriptionArn: s.arn })) };
  }));
}

function CreateTopic({ onCreated }) {
  const [name, setName] = useState('');
  const [fifo, setFifo] = useState(false);
  return html`<div class="inline-form">
    <input placeholder="new topic name" data-testid="sns-new-topic" value=${name} onInput=${(e) => setName(e.target.value.trim())} />
    <label><input type="checkbox" checked=${fifo} onChange=${(e) => setFifo(e.target.checked)} /> FIFO</label>
    <${ActionButton} label="Create topic" testid="sns-create-topic" disabled=${!name} action=${() => {
      const full = fifo && !name.endsWith('.fifo') ? name + '.fifo' : name;
      return awsQuery('sns', 'CreateTopic', { Name: full, ...(fifo ? { 'Attributes.entry.1.key': 'FifoTopic', 'Attributes.entry.1.value': 'true' } : {}) });
    }} onDone=${() => { setName(''); onCreated(); }} />
  </div>`;
}

function Subscribe({ topic, onDone }) {
  const [protocol, setProtocol] = useState('sqs');
  const [endpoint, setEndpoint] = useState('');
  const [filter, setFilter] = useState('');
  const subscribe = () => {
    const params = { TopicArn: topic.arn, Protocol: protocol, Endpoint: endpoint, ReturnSubscriptionArn: 'true' };
    if (filter.trim()) Object.assign(params, { 'Attributes.entry.1.key': 'FilterPolicy', 'Attributes.entry.1.value': filter });
    return awsQuery('sns', 'Subscribe', params);
  };
  return html`<div class="card" data-testid="sns-subscribe">
    <h4>Subscribe</h4>
    <div class="row">
      <${Field} label="Protocol"><select data-testid="sns-sub-protocol" value=${protocol} onChange=${(e) => setProtocol(e.target.value)}>
        ${['sqs', 'http', 'https', 'email', 'email-json', 'sms', 'application', 'lambda', 'firehose'].map((p) => html`<option>${p}</option>`)}</select><//>
      <${Field} label="Endpoint (queue ARN, URL, address, number)"><input data-testid="sns-sub-endpoint" size="50" value=${endpoint} onInput=${(e) => setEndpoint(e.target.value.trim())} /><//>
    </div>
    <${Field} label="Filter policy (JSON, optional)"><textarea rows="2" class="code" data-testid="sns-sub-filter" value=${filter} onInput=${(e) => setFilter(e.target.value)} /><//>
    <${ActionButton} label="Subscribe" testid="sns-sub-submit" disabled=${!endpoint} action=${subscribe} onDone=${onDone} />
  </div>`;
}

function Publish({ topic }) {
  const fifo = topic.attributes.FifoTopic === 'true';
  const [message, setMessage] = useState('');
  const [subject, setSubject] = useState('');
  const [groupId, setGroupId] = useState('');
  const [attributes, setAttributes] = useState([]);
  const [sent, setSent] = useState('');
  const update = (index, key, value) => setAttributes(attributes.map((a, i) => (i === index ? { ...a, [key]: value } : a)));
  const publish = async () => {
    const params = { TopicArn: topic.arn, Message: message };
    if (subject) params.Subject = subject;
    if (groupId) params.MessageGroupId = groupId;
    if (fifo && topic.attributes.ContentBasedDeduplication !== 'true') params.MessageDeduplicationId = String(Date.now());
    attributes.filter((a) => a.name).forEach((a, i) => {
      const prefix = `MessageAttributes.entry.${i + 1}`;
      params[`${prefix}.Name`] = a.name;
      params[`${prefix}.Value.DataType`] = a.type;
      params[`${prefix}.Value.StringValue`] = a.value;
    });
    const doc = await awsQuery('sns', 'Publish', params);
    return (elements(doc, 'MessageId')[0] || {}).textContent;
  };
  return html`<div class="card" data-testid="sns-publish">
    <h4>Publish a message</h4>
    <${Field} label="Subject (optional)"><input value=${subject} onInput=${(e) => setSubject(e.target.value)} /><//>
    <${Field} label="Message"><textarea rows="4" data-testid="sns-publish-message" value=${message} onInput=${(e) => setMessage(e.target.value)} /><//>
    ${fifo ? html`<${Field} label="Group ID"><input value=${groupId} onInput=${(e) => setGroupId(e.target.value)} /><//>` : null}
    <h5>Message attributes</h5>
    ${attributes.map((a, i) => html`<div class="row attr-row">
      <input placeholder="name" data-testid=${'sns-attr-name-' + i} value=${a.name} onInput=${(e) => update(i, 'name', e.target.value)} />
      <select value=${a.type} onChange=${(e) => update(i, 'type', e.target.value)}>${['String', 'Number', 'String.Array'].map((t) => html`<option>${t}</option>`)}</select>
      <input placeholder="value" data-testid=${'sns-attr-value-' + i} value=${a.value} onInput=${(e) => update(i, 'value', e.target.value)} />
      <button class="plain" onClick=${() => setAttributes(attributes.filter((_, j) => j !== i))}>remove</button>
    </div>`)}
    <button class="plain" data-testid="sns-attr-add" onClick=${() => setAttributes([...attributes, { name: '', type: 'String', value: '' }])}>+ attribute</button>
    <div><${ActionButton} label="Publish" kind="primary" testid="sns-publish-submit" action=${publish} onDone=${(id) => setSent(`Published message ${id}`)} /></div>
    <${Notice} text=${sent} />
  </div>`;
}

function TopicDetail({ topic, onDeleted }) {
  const subscriptions = useAsync(() => listSubscriptions(topic.arn), [topic.arn]);
  return html`<section class="detail" data-testid="sns-detail">
    <h3>${topic.name}</h3>
    <p><code>${topic.arn}</code></p>
    <div class="toolbar"><${ActionButton} label="Delete topic" kind="danger" testid="sns-delete-topic" confirm=${`Delete the topic ${topic.name}?`}
      action=${() => awsQuery('sns', 'DeleteTopic', { TopicArn: topic.arn })} onDone=${onDeleted} /></div>
    <details><summary>Attributes</summary>
      <dl class="kv" data-testid="sns-attributes">${Object.entries(topic.attributes).sort().map(([k, v]) => html`<dt>${k}</dt><dd>${v}</dd>`)}</dl>
    </details>
    <h4>Subscriptions</h4>
    <${ErrorBox} error=${subscriptions.error} />
    <${Table} testid="sns-subscriptions" rows=${subscriptions.data || []} empty="No subscriptions." columns=${[
      { label: 'Protocol', value: (s) => s.protocol },
      { label: 'Endpoint', value: (s) => html`<code>${s.endpoint}</code>` },
      { label: 'State', value: (s) => (s.arn === 'PendingConfirmation' || s.attributes.PendingConfirmation === 'true' ? 'pending confirmation' : 'confirmed') },
      { label: 'Filter policy', value: (s) => (s.attributes.FilterPolicy ? html`<pre class="cell">${s.attributes.FilterPolicy}</pre>
        <small class="muted">${s.attributes.FilterPolicyScope || 'MessageAttributes'}</small>` : '') },
      { label: 'Raw', value: (s) => s.attributes.RawMessageDelivery || '' },
      { label: '', value: (s) => (s.arn && s.arn.startsWith('arn:') ? html`<${ActionButton} label="Unsubscribe" testid="sns-unsubscribe"
        action=${() => awsQuery('sns', 'Unsubscribe', { SubscriptionArn: s.arn })} onDone=${subscriptions.reload} />` : '') },
    ]} />
    <${Subscribe} topic=${topic} onDone=${subscriptions.reload} />
    <${Publish} topic=${topic} />
  </section>`;
}

// SMS and mobile-push messages SNS recorded instead of sending (GET /_aws/sns/...).
function Recorded() {
  const recorded = useAsync(async () => {
    const get = async (path, query) => {
      const response = await signedFetch({ service: 'sns', method: 'GET', path, query });
      if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
      return response.json();
    };
    const sms = await get('/_aws/sns/sms-messages', [['accountId', scope.account], ['region', scope.region]]);
    const push = await get('/_aws/sns/platform-endpoint-messages', [['accountId', scope.account], ['region', scope.region]]);
    const flatten = (byKey, kind) => Object.entries(byKey || {}).flatMap(([target, messages]) => messages.map((m) => ({ kind, target, message: m })));
    return [...flatten(sms.sms_messages, 'SMS'), ...flatten(push.platform_endpoint_messages, 'push')];
  }, []);
  return html`<div data-testid="sns-recorded">
    <h3>Recorded SMS and push messages</h3>
    <${ErrorBox} error=${recorded.error} />
    <button onClick=${recorded.reload}>Refresh</button>
    <${Table} rows=${recorded.data || []} empty="None recorded in this account and region." columns=${[
      { label: 'Kind', value: (r) => r.kind },
      { label: 'To', value: (r) => html`<code>${r.target}</code>` },
      { label: 'Message', value: (r) => html`<pre class="cell">${r.message.Message ?? JSON.stringify(r.message)}</pre>` },
    ]} />
  </div>`;
}

export function SnsPage({ route, navigate }) {
  const topics = useAsync(listTopics, [], 5000);
  const selectedName = route[0];
  const list = topics.data || [];
  const selected = list.find((t) => t.name === selectedName);
  return html`<section class="split">
    <div class="list-pane">
      <h2>SNS topics</h2>
      <${CreateTopic} onCreated=${topics.reload} />
      <${ErrorBox} error=${topics.error} />
      <${Table} testid="sns-topics" rows=${list} rowKey=${(t) => t.arn} onRowClick=${(t) => navigate('sns', t.name)}
        empty=${topics.loading && !topics.data ? 'Loading…' : 'No topics in this account and region.'} columns=${[
          { label: 'Topic', value: (t) => html`<span class=${t.name === selectedName ? 'selected' : ''} data-topic=${t.name}>${t.name}</span>` },
          { label: 'Confirmed', value: (t) => t.attributes.SubscriptionsConfirmed ?? '' },
          { label: 'Pending', value: (t) => t.attributes.SubscriptionsPending ?? '' },
          { label: 'Type', value: (t) => (t.attributes.FifoTopic === 'true' ? 'FIFO' : 'standard') },
        ]} />
      <${Recorded} />
    </div>
    ${selected ? html`<${TopicDetail} key=${selected.arn} topic=${selected} onDeleted=${() => { navigate('sns'); topics.reload(); }} />`
      : selectedName && topics.data ? html`<p class="muted">No topic named ${selectedName}.</p>` : null}
  </section>`;
}
