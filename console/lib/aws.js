// The console's only way to the server: the public AWS APIs (awsJson, awsQuery, S3's REST), signed
// with SigV4 as an SDK signs them, and Mallard's admin endpoints. What a page shows is therefore
// what an SDK sees.
import { signRequest, uriEncode } from './sigv4.js';

const ACCOUNT_KEY = 'mallard.console.account';
const REGION_KEY = 'mallard.console.region';
const CREDENTIALS_KEY = 'mallard.console.credentials';  // sessionStorage only: gone with the tab
const ADMIN_TOKEN_KEY = 'mallard.console.adminToken';    // sessionStorage only

export const REGIONS = ['us-east-1', 'us-east-2', 'us-west-1', 'us-west-2', 'eu-west-1', 'eu-west-2', 'eu-central-1',
  'eu-north-1', 'ap-south-1', 'ap-southeast-1', 'ap-southeast-2', 'ap-northeast-1', 'sa-east-1', 'ca-central-1'];

// Where the console looks: the account (without --auth, a 12-digit access key names the account,
// as in LocalStack) and the region (the signature's credential scope).
export const scope = {
  account: localStorage.getItem(ACCOUNT_KEY) || '000000000000',
  region: localStorage.getItem(REGION_KEY) || 'us-east-1',
};

export function setScope(account, region) {
  scope.account = account;
  scope.region = region;
  localStorage.setItem(ACCOUNT_KEY, account);
  localStorage.setItem(REGION_KEY, region);
}

// Keys entered by the user (needed under --auth sigv4); null means "sign with the account as the
// access key and a placeholder secret", which an unauthenticated server accepts.
export function storedCredentials() {
  try {
    return JSON.parse(sessionStorage.getItem(CREDENTIALS_KEY) || 'null');
  } catch {
    return null;
  }
}

export function setCredentials(credentials) {
  if (credentials) sessionStorage.setItem(CREDENTIALS_KEY, JSON.stringify(credentials));
  else sessionStorage.removeItem(CREDENTIALS_KEY);
}

export function adminToken() {
  return sessionStorage.getItem(ADMIN_TOKEN_KEY) || '';
}

export function setAdminToken(token) {
  if (token) sessionStorage.setItem(ADMIN_TOKEN_KEY, token);
  else sessionStorage.removeItem(ADMIN_TOKEN_KEY);
}

function currentCredentials() {
  return storedCredentials() || { accessKeyId: scope.account, secretAccessKey: 'mallard-console' };
}

// Errors the way the service named them: `code` is the AWS error code, `message` its message.
export class AwsError extends Error {
  constructor(code, message, status, requestId) {
    super(message ? `${code}: ${message}` : code);
    this.code = code;
    this.awsMessage = message;
    this.status = status;
    this.requestId = requestId;
  }
}

const AUTH_ERROR_CODES = new Set(['UnrecognizedClientException', 'InvalidClientTokenId', 'SignatureDoesNotMatch',
  'InvalidSignatureException', 'MissingAuthenticationToken', 'MissingAuthenticationTokenException', 'IncompleteSignature',
  'IncompleteSignatureException', 'InvalidAccessKeyId', 'ExpiredToken', 'ExpiredTokenException', 'AuthFailure']);

// Listeners the shell registers: a rejected signature opens the sign-in dialog, a refused admin
// call asks for the admin token.
export const hooks = { onAuthError: null, onAdminTokenError: null };

function reportAuth(error) {
  if (AUTH_ERROR_CODES.has(error.code) && hooks.onAuthError) hooks.onAuthError(error);
  return error;
}

// One signed request to the server's origin. `path` is already percent-encoded.
export async function signedFetch({ service, method = 'POST', path = '/', query = [], headers = {}, body = null, region }) {
  const signingRegion = region || scope.region;
  const bodyBytes = body instanceof Blob ? new Uint8Array(await body.arrayBuffer()) : body;
  const added = await signRequest({ method, host: location.host, path, query, headers, body: bodyBytes, service,
    region: signingRegion, credentials: currentCredentials() });
  const search = query.length ? '?' + query.map(([k, v]) => `${uriEncode(k)}=${uriEncode(v ?? '')}`).join('&') : '';
  return fetch(path + search, { method, headers: { ...headers, ...added }, body: method === 'GET' || method === 'HEAD' ? undefined : bodyBytes,
    cache: 'no-store' });
}

const JSON_SERVICES = {
  sqs: { target: 'AmazonSQS', version: '1.0' },
  dynamodb: { target: 'DynamoDB_20120810', version: '1.0' },
  athena: { target: 'AmazonAthena', version: '1.1' },
  'redshift-data': { target: 'RedshiftData', version: '1.1' },
  streams: { target: 'DynamoDBStreams_20120810', version: '1.0', signingName: 'dynamodb' },
};

// An awsJson call: returns the output object or throws AwsError.
export async function awsJson(service, operation, input = {}) {
  const meta = JSON_SERVICES[service];
  const response = await signedFetch({ service: meta.signingName || service, headers: { 'Content-Type': `application/x-amz-json-${meta.version}`,
    'X-Amz-Target': `${meta.target}.${operation}` }, body: JSON.stringify(input) });
  const text = await response.text();
  let parsed = {};
  try {
    parsed = text ? JSON.parse(text) : {};
  } catch {
    if (!response.ok) throw new AwsError('HTTP' + response.status, text.slice(0, 300), response.status);
  }
  if (!response.ok) {
    const type = response.headers.get('x-amzn-ErrorType') || parsed.__type || parsed.code || 'Error';
    const code = type.split(':')[0].split('#').pop();
    throw reportAuth(new AwsError(code, parsed.message ?? parsed.Message ?? '', response.status,
      response.headers.get('x-amzn-RequestId')));
  }
  return parsed;
}

function xmlText(node, name) {
  const found = node.getElementsByTagName(name)[0];
  return found ? found.textContent : undefined;
}

export function parseXml(text) {
  return new DOMParser().parseFromString(text, 'application/xml');
}

// An XML error document (awsQuery's ErrorResponse or S3's Error) as an AwsError.
export function xmlError(text, response) {
  const doc = text ? parseXml(text) : null;
  const code = (doc && xmlText(doc, 'Code')) || 'HTTP' + response.status;
  const message = (doc && xmlText(doc, 'Message')) || '';
  return reportAuth(new AwsError(code, message, response.status, response.headers.get('x-amzn-RequestId')));
}

const QUERY_VERSIONS = { sts: '2011-06-15', sns: '2010-03-31' };

// An awsQuery call: returns the response XML document or throws AwsError.
export async function awsQuery(service, action, params = {}) {
  const form = new URLSearchParams({ Action: action, Version: QUERY_VERSIONS[service], ...params });
  const response = await signedFetch({ service, headers: { 'Content-Type': 'application/x-www-form-urlencoded; charset=utf-8' },
    body: form.toString() });
  const text = await response.text();
  if (!response.ok) throw xmlError(text, response);
  return parseXml(text);
}

// An S3 REST call on a path-style URL: "/bucket/key" (key segments encoded here).
export async function s3Request(method, bucket, key, { query = [], headers = {}, body = null } = {}) {
  let path = '/';
  if (bucket) path += uriEncode(bucket);
  if (key != null) path += '/' + uriEncode(key, true);
  const response = await signedFetch({ service: 's3', method, path, query, headers, body });
  if (!response.ok && response.status !== 304) {
    const text = method === 'HEAD' ? '' : await response.text();
    throw xmlError(text, response);
  }
  return response;
}

// Mallard's admin endpoints (/_mallard/...): the admin token as a bearer token when one is set.
// State changes are sent as JSON (`body`, when given, is serialised): the pipe's table actions
// refuse any other Content-Type, as the pipe API does.
export async function admin(path, { method = 'GET', body } = {}) {
  const token = adminToken();
  const headers = token ? { Authorization: `Bearer ${token}` } : {};
  if (method !== 'GET' && method !== 'HEAD') headers['Content-Type'] = 'application/json';
  const response = await fetch(path, { method, headers, cache: 'no-store',
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  const text = await response.text();
  let parsed = null;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = text;
  }
  if (!response.ok) {
    const error = new AwsError('HTTP' + response.status, (parsed && parsed.error) || String(text).slice(0, 200), response.status);
    if ((response.status === 401 || response.status === 403) && hooks.onAdminTokenError) hooks.onAdminTokenError(error);
    throw error;
  }
  return parsed;
}

// The caller's identity (STS GetCallerIdentity): the account the signed requests act as.
export async function callerIdentity() {
  const doc = await awsQuery('sts', 'GetCallerIdentity');
  return { account: xmlText(doc, 'Account'), arn: xmlText(doc, 'Arn'), userId: xmlText(doc, 'UserId') };
}

export { xmlText };
