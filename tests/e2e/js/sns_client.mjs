// Long-running helper that drives @aws-sdk/client-sns (awsQuery protocol) for the SNS e2e tests.
//
// Same line protocol as sqs_json_client.mjs: one JSON request per line on stdin
//   {"id": 7, "op": "Publish", "input": {...}, "region": "us-east-1"}
// and one JSON answer per line on stdout, by id (requests run concurrently)
//   {"id": 7, "ok": true,  "output": {..., "$metadata": {"httpStatusCode": 200, ...}}}
//   {"id": 7, "ok": false, "error": {"name", "message", "httpStatusCode", "fault", "clientSide"?}}
// Binary values cross the pipe as {"$bytes": "<base64>"}. Configuration: MALLARD_ENDPOINT
// (required), AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY. Nothing but answers goes to stdout.

import * as readline from "node:readline";
import * as sns from "@aws-sdk/client-sns";

const endpoint = process.env.MALLARD_ENDPOINT;
if (!endpoint) {
  process.stderr.write("sns_client: MALLARD_ENDPOINT is not set\n");
  process.exit(2);
}

const clients = new Map();

function clientFor(region) {
  let client = clients.get(region);
  if (!client) {
    client = new sns.SNSClient({
      region,
      endpoint,
      credentials: {
        accessKeyId: process.env.AWS_ACCESS_KEY_ID ?? "test",
        secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY ?? "test",
      },
      maxAttempts: 1,
    });
    clients.set(region, client);
  }
  return client;
}

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

function encodeOutput(value) {
  if (value instanceof Uint8Array) {
    return { $bytes: Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString("base64") };
  }
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map(encodeOutput);
  if (value && typeof value === "object") {
    const out = {};
    for (const [k, v] of Object.entries(value)) {
      if (typeof v !== "function") out[k] = encodeOutput(v);
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
  };
  if (!(e instanceof sns.SNSServiceException)) {
    error.clientSide = true; // not an answer of the service (parse failure, network, ...)
    error.stack = e?.stack;
  }
  return error;
}

async function handle({ id, op, input = {}, region = "us-east-1" }) {
  const Command = sns[`${op}Command`];
  if (typeof Command !== "function") {
    return { id, ok: false, error: { name: "HelperUnknownOperation", message: `no ${op}Command`, clientSide: true } };
  }
  try {
    const output = await clientFor(region).send(new Command(decodeInput(input)));
    return { id, ok: true, output: encodeOutput(output) };
  } catch (e) {
    return { id, ok: false, error: describeError(e) };
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
