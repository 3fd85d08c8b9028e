// Long-running helper that drives @aws-sdk/client-sqs (awsJson1.0 protocol) for the e2e tests.
//
// Protocol: one JSON request per line on stdin, one JSON answer per line on stdout.
//   request:  {"id": 7, "op": "SendMessage", "input": {...}, "region": "us-east-1", "capture": true}
//   answer:   {"id": 7, "ok": true,  "output": {...}, "wire": {...}}
//             {"id": 7, "ok": false, "error": {"name", "message", "httpStatusCode", "Code", "Type", "headers", ...}}
// Requests are handled concurrently (answers carry the request id), so one test can long-poll
// while another request is in flight.
//
// Binary values cross the pipe as {"$bytes": "<base64>"} in both directions.
// With "capture": true the answer also carries "wire": the raw HTTP request the SDK sent
// (method, path, headers, body) and the raw response status and headers, so the tests can
// check that the SDK really speaks awsJson1.0 (X-Amz-Target + JSON body).
//
// Configuration comes from the environment: MALLARD_ENDPOINT (required), AWS_ACCESS_KEY_ID,
// AWS_SECRET_ACCESS_KEY. Nothing is written to stdout except answers.

import * as readline from "node:readline";
import * as sqs from "@aws-sdk/client-sqs";

const endpoint = process.env.MALLARD_ENDPOINT;
if (!endpoint) {
  process.stderr.write("sqs_json_client: MALLARD_ENDPOINT is not set\n");
  process.exit(2);
}

const clients = new Map();

function clientFor(region) {
  let client = clients.get(region);
  if (client) return client;
  client = new sqs.SQSClient({
    region,
    endpoint,
    credentials: {
      accessKeyId: process.env.AWS_ACCESS_KEY_ID ?? "test",
      secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY ?? "test",
    },
    maxAttempts: 1,
  });
  clients.set(region, client);
  return client;
}

// A Buffer view of a Uint8Array without calling its valueOf (the SDK's JSON body adapter warns on that).
function bytesOf(array) {
  return Buffer.from(array.buffer, array.byteOffset, array.byteLength);
}

function describeRequest(request) {
  if (!request) return null;
  let body = request.body;
  if (body instanceof Uint8Array) body = bytesOf(body).toString("utf8");
  else if (body !== undefined && typeof body !== "string") body = String(body);
  return {
    method: request.method,
    hostname: request.hostname,
    port: request.port,
    path: request.path,
    headers: { ...request.headers },
    body,
  };
}

// JSON from Python -> SDK input (turn {"$bytes": b64} into Uint8Array).
function decodeInput(value) {
  if (Array.isArray(value)) return value.map(decodeInput);
  if (value && typeof value === "object") {
    const keys = Object.keys(value);
    if (keys.length === 1 && keys[0] === "$bytes") return new Uint8Array(Buffer.from(value.$bytes, "base64"));
    const out = {};
    for (const k of keys) out[k] = decodeInput(value[k]);
    return out;
  }
  return value;
}

// SDK output -> JSON for Python.
function encodeOutput(value) {
  if (value instanceof Uint8Array) return { $bytes: bytesOf(value).toString("base64") };
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map(encodeOutput);
  if (value && typeof value === "object") {
    const out = {};
    for (const [k, v] of Object.entries(value)) {
      if (typeof v === "function") continue;
      out[k] = encodeOutput(v);
    }
    return out;
  }
  if (typeof value === "bigint") return value.toString();
  return value;
}

function describeError(e) {
  const error = {
    name: e?.name,
    message: e?.message,
    httpStatusCode: e?.$metadata?.httpStatusCode,
    requestId: e?.$metadata?.requestId,
    fault: e?.$fault,
    Code: e?.Code,
    Type: e?.Type,
  };
  const response = e?.$response;
  if (response) {
    error.headers = { ...(response.headers ?? {}) };
    error.responseStatusCode = response.statusCode;
  }
  if (!(e instanceof sqs.SQSServiceException)) {
    // Not an error the service returned (e.g. checksum validation, network failure).
    error.clientSide = true;
    error.stack = e?.stack;
  }
  return error;
}

async function handle(request) {
  const { id, op, input = {}, region = "us-east-1", capture = false } = request;
  const Command = sqs[`${op}Command`];
  if (typeof Command !== "function") {
    return { id, ok: false, error: { name: "HelperUnknownOperation", message: `no ${op}Command in @aws-sdk/client-sqs`, clientSide: true } };
  }
  const client = clientFor(region);
  const command = new Command(decodeInput(input));
  let wire;
  if (capture) {
    wire = {};
    // Innermost middleware of this one command: sees the final signed request and the raw response.
    command.middlewareStack.add(
      (next) => async (args) => {
        wire.request = describeRequest(args.request);
        const result = await next(args);
        if (result && result.response) {
          wire.response = { statusCode: result.response.statusCode, headers: { ...result.response.headers } };
        }
        return result;
      },
      { step: "deserialize", name: "mallardWireCapture", priority: "low" },
    );
  }
  try {
    const output = await client.send(command);
    const answer = { id, ok: true, output: encodeOutput(output) };
    if (capture) answer.wire = wire;
    return answer;
  } catch (e) {
    const answer = { id, ok: false, error: describeError(e) };
    if (capture) answer.wire = wire;
    return answer;
  }
}

function write(answer) {
  process.stdout.write(JSON.stringify(answer) + "\n");
}

const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
rl.on("line", (line) => {
  if (!line.trim()) return;
  let request;
  try {
    request = JSON.parse(line);
  } catch (e) {
    write({ id: null, ok: false, error: { name: "HelperBadRequest", message: String(e), clientSide: true } });
    return;
  }
  handle(request).then(write, (e) => write({ id: request.id, ok: false, error: describeError(e) }));
});
rl.on("close", () => {
  for (const client of clients.values()) client.destroy();
});
write({ id: "ready", ok: true, output: {} });
