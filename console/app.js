// The console's shell: navigation, the account/region scope picker, sign-in (--auth sigv4) and
// admin-token dialogs, build info, and a hash router (#/sqs, #/dynamodb/...) so every page has a
// URL and reloading keeps it.
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { html, Modal, Field, ErrorBox } from './lib/ui.js';
import { REGIONS, scope, setScope, storedCredentials, setCredentials, setAdminToken, adminToken, hooks, admin,
  callerIdentity } from './lib/aws.js';
import { OverviewPage } from './pages/overview.js';
import { SqsPage } from './pages/sqs.js';
import { DynamoDbPage } from './pages/dynamodb.js';
import { SqlPage } from './pages/sql.js';
import { S3Page } from './pages/s3.js';
import { SnsPage } from './pages/sns.js';
import { LakePage } from './pages/lake.js';

const PAGES = [
  { id: 'overview', label: 'Overview', component: OverviewPage },
  { id: 'sqs', label: 'SQS', component: SqsPage },
  { id: 'sns', label: 'SNS', component: SnsPage },
  { id: 'dynamodb', label: 'DynamoDB', component: DynamoDbPage },
  { id: 's3', label: 'S3', component: S3Page },
  { id: 'sql', label: 'SQL', component: SqlPage },
  { id: 'lake', label: 'Lake & pipe', component: LakePage },
];

function parseHash() {
  const parts = location.hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent);
  return { page: parts[0] || 'overview', rest: parts.slice(1).filter((p) => p !== '') };
}

export function navigate(page, ...rest) {
  location.hash = '#/' + [page, ...rest].map(encodeURIComponent).join('/');
}

function ScopePicker({ onChange }) {
  const [account, setAccount] = useState(scope.account);
  const [region, setRegion] = useState(scope.region);
  const signedIn = storedCredentials();
  const [invalid, setInvalid] = useState(false);
  const apply = (event) => {
    event.preventDefault();
    // Without keys the account is the access key, which names an account only as 12 digits.
    if (!signedIn && !/^\d{12}$/.test(account)) return setInvalid(true);
    setInvalid(false);
    setScope(signedIn ? scope.account : account, region);
    onChange();
  };
  return html`<form class="scope" onSubmit=${apply} data-testid="scope-picker">
    <label>Account <input data-testid="scope-account" value=${signedIn ? '(from your keys)' : account} disabled=${!!signedIn}
title="12 digits" size="13" onInput=${(e) => setAccount(e.target.value.trim())} /></label>
    <label>Region <select data-testid="scope-region" value=${region} onChange=${(e) => setRegion(e.target.value)}>
      ${[...new Set([region, ...REGIONS])].map((r) => html`<option value=${r}>${r}</option>`)}
    </select></label>
    <button type="submit" data-testid="scope-apply">Apply</button>
    ${invalid ? html`<span class="error" data-testid="scope-invalid">An account is 12 digits.</span>` : null}
  </form>`;
}

function SignInDialog({ reason, onClose }) {
  const [accessKeyId, setKey] = useState('');
  const [secretAccessKey, setSecret] = useState('');
  const [sessionToken, setToken] = useState('');
  const [error, setError] = useState(null);
  const submit = async (event) => {
    event.preventDefault();
    setCredentials({ accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) });
    try {
      await callerIdentity();
      onClose(true);
    } catch (e) {
      setCredentials(null);
      setError(e);
    }
  };
  return html`<${Modal} title="Sign in with AWS keys" onClose=${() => onClose(false)} testid="signin">
    <p>This server verifies signatures (<code>--auth sigv4</code>). The console signs its requests with these
      keys in your browser; they stay in this tab's session storage only.</p>
    ${reason ? html`<${ErrorBox} error=${reason} />` : null}
    <form onSubmit=${submit} class="stack">
      <${Field} label="Access key ID"><input data-testid="signin-key" value=${accessKeyId} onInput=${(e) => setKey(e.target.value.trim())} required /><//>
      <${Field} label="Secret access key"><input data-testid="signin-secret" type="password" value=${secretAccessKey}
        onInput=${(e) => setSecret(e.target.value)} required /><//>
      <${Field} label="Session token (optional)"><input value=${sessionToken} onInput=${(e) => setToken(e.target.value.trim())} /><//>
      <${ErrorBox} error=${error} />
      <button type="submit" class="primary" data-testid="signin-submit">Sign in</button>
    </form>
  <//>`;
}

function AdminTokenDialog({ reason, onClose }) {
  const [token, setToken] = useState(adminToken());
  return html`<${Modal} title="Admin token" onClose=${() => onClose(false)} testid="admin-token">
    <p>This server protects its admin endpoints with <code>--admin-token</code>. The token stays in this tab's session storage.</p>
    ${reason ? html`<${ErrorBox} error=${reason} />` : null}
    <form class="stack" onSubmit=${(e) => { e.preventDefault(); setAdminToken(token); onClose(true); }}>
      <${Field} label="Token"><input type="password" data-testid="admin-token-input" value=${token} onInput=${(e) => setToken(e.target.value)} /><//>
      <button type="submit" class="primary">Save</button>
    </form>
  <//>`;
}

function App() {
  const [route, setRoute] = useState(parseHash());
  const [scopeVersion, setScopeVersion] = useState(0);
  const [signIn, setSignIn] = useState(null);
  const [tokenPrompt, setTokenPrompt] = useState(null);
  const [build, setBuild] = useState(null);
  const [identity, setIdentity] = useState(null);

  useEffect(() => {
    const onHash = () => setRoute(parseHash());
    window.addEventListener('hashchange', onHash);
    hooks.onAuthError = (error) => setSignIn((current) => current || { reason: error });
    hooks.onAdminTokenError = (error) => setTokenPrompt((current) => current || { reason: error });
    admin('/_mallard/health').then((health) => setBuild(health)).catch(() => setBuild(null));
    return () => window.removeEventListener('hashchange', onHash);
  }, []);
  useEffect(() => {
    callerIdentity().then(setIdentity).catch(() => setIdentity(null));
  }, [scopeVersion]);

  const page = PAGES.find((p) => p.id === route.page) || PAGES[0];
  const Page = page.component;
  const signedIn = storedCredentials();
  return html`<div class="shell">
    <header class="top">
      <a class="brand" href="#/overview">Mallard</a>
      <nav class="main-nav">${PAGES.map((p) => html`<a href=${'#/' + p.id} data-testid=${'nav-' + p.id}
        class=${p.id === page.id ? 'active' : ''}>${p.label}</a>`)}</nav>
      <${ScopePicker} key=${scopeVersion} onChange=${() => setScopeVersion((v) => v + 1)} />
      <span class="identity" data-testid="identity" title=${identity ? identity.arn : ''}>
        ${identity ? `acting as ${identity.account}` : ''}</span>
      ${signedIn
        ? html`<button class="plain" onClick=${() => { setCredentials(null); setScopeVersion((v) => v + 1); }}>Sign out</button>`
        : html`<button class="plain" data-testid="open-signin" onClick=${() => setSignIn({})}>Keys…</button>`}
    </header>
    <main data-page=${page.id}>
      <${Page} key=${page.id + ':' + scopeVersion + ':' + scope.account + ':' + scope.region} route=${route.rest} navigate=${navigate} />
    </main>
    <footer data-testid="build-info">
      ${build ? html`Mallard ${build.version || ''} · ${Object.entries(build.build || {}).filter(([, v]) => typeof v !== 'object')
        .map(([k, v]) => `${k} ${v}`).join(' · ')}` : ''}
      · <a href="vendor/LICENSE-preact.txt">Preact</a>, <a href="vendor/LICENSE-htm.txt">htm</a>
    </footer>
    ${signIn ? html`<${SignInDialog} reason=${signIn.reason} onClose=${(ok) => { setSignIn(null); if (ok) setScopeVersion((v) => v + 1); }} />` : null}
    ${tokenPrompt ? html`<${AdminTokenDialog} reason=${tokenPrompt.reason} onClose=${() => setTokenPrompt(null)} />` : null}
  </div>`;
}

const root = document.getElementById('app');
root.textContent = '';  // the static "Loading…" placeholder
render(html`<${App} />`, root);
