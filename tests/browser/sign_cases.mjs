// Signs requests with the console's own SigV4 code (console/lib/sigv4.js, run by Node's WebCrypto)
// for tests/e2e/test_console_sigv4.py, which checks each against botocore's signer. Reads a JSON
// array of cases on stdin; writes [{path, authorization}] (path: the key encoded as the console
// encodes it for the wire).
import { readFileSync } from 'node:fs';
import { signRequest, uriEncode } from '../../console/lib/sigv4.js';

const cases = JSON.parse(readFileSync(0, 'utf8'));
const results = [];
for (const c of cases) {
  const path = '/' + uriEncode(c.bucket) + (c.key === null ? '' : '/' + uriEncode(c.key, true));
  const body = c.body_hex === null ? null : Uint8Array.from(Buffer.from(c.body_hex, 'hex'));
  const added = await signRequest({ method: c.method, host: c.host, path, query: c.query, headers: c.headers, body,
    service: c.service, region: c.region, credentials: c.credentials, now: new Date(c.epoch_ms) });
  results.push({ path, authorization: added.Authorization, contentSha256: added['x-amz-content-sha256'] });
}
process.stdout.write(JSON.stringify(results));
