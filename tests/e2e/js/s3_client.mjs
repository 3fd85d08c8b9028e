// Long-running helper that drives @aws-sdk/client-s3 (REST-XML) and @aws-sdk/lib-storage for the S3 e2e tests.
//
// Same line protocol as sqs_json_client.mjs / sns_client.mjs: one JSON request per line on stdin
//   {"id": 7, "op": "PutObject", "input": {...}, "region": "us-east-1", "capture": false}
// and one JSON answer per line on stdout, by id (requests run concurrently)
//   {"id": 7, "ok": true,  "output": {..., "$metadata": {...}}, "wire"?: {"method", "path", "headers"}}
//   {"id": 7, "ok": false, "error": {"name", "message", "httpStatusCode", "fault", "clientSide"?}}
// Values crossing the pipe:
//   {"$bytes": "<base64>"}                 a Uint8Array (sent with its length known: checksum in a header)
//   {"$stream": {"$bytes": "<base64>"}}    the same bytes as a Node Readable (the SDK then streams it; with
//                                          the default checksums that is an aws-chunked body with a trailer)
//   {"$file": "/path"}                     a file's bytes (Buffer)
// A GetObject Body comes back as {"BodyLength", "BodyMd5"} plus {"$bytes"} when it is at most 1 MiB.
// The op "Upload" runs @aws-sdk/lib-storage's Upload: input {"params": {...}, "partSize", "queueSize"}.
// With "capture": true the answer carries the request as the SDK sent it (after signing): "wire".
// The client is the SDK's default configuration (requestChecksumCalculation WHEN_SUPPORTED: CRC32 on every
// upload) with path-style addressing. Configuration: MALLARD_ENDPOINT (required), AWS_ACCESS_KEY_ID,
// AWS_SECRET_ACCESS_KEY. Nothing but answers goes to stdout.

import * as readline from "node:readline";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { Readable } from "node:stream";
import * as s3 from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";

const endpoint = process.env.MALLARD_ENDPOINT;
if (!endpoint) {
  process.stderr.write("s3_client: MALLARD_ENDPOINT is not set\n");
  process.exit(2);
}

const clients = new Map();

function clientFor(region) {
  let client = clients.get(region);
  if (!client) {
    client = new s3.S3Client({
      region,
      endpoint,
      forcePathStyle: true,
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
    if (keys.length === 1 && keys[0] === "$file") return readFileSync(value.$file);
    if (keys.length === 1 && keys[0] === "$stream") {
      const bytes = Buffer.from(decodeInput(value.$stream));
      return Readable.from([bytes]);
    }
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

async function readBody(output) {
  if (!output.Body || typeof output.Body.transformToByteArray !== "function") return output;
  const bytes = await output.Body.transformToByteArray();
  const rest = { ...output };
  delete rest.Body;
  rest.BodyLength = bytes.byteLength;
  rest.BodyMd5 = createHash("md5").update(bytes).digest("hex");
  if (bytes.byteLength <= 1024 * 1024) rest.Body = bytes;
  return rest;
}

function describeError(e) {
  const error = {
    name: e?.name,
    message: e?.message,
    httpStatusCode: e?.$metadata?.httpStatusCode,
    requestId: e?.$metadata?.requestId,
    fault: e?.$fault,
  };
  if (!(e instanceof s3.S3ServiceException)) {
    error.clientSide = true; // not an answer of the service (parse failure, checksum mismatch, network, ...)
    error.stack = e?.stack;
  }
  return error;
}

// Records the request as it leaves the SDK: the deserialize step wraps the transmission, so everything
// the build/finalize steps added (checksums, aws-chunked encoding, signature) is in place.
function captureInto(command, wire) {
  command.middlewareStack.add(
    (next) => async (args) => {
      const request = args.request;
      wire.method = request.method;
      wire.path = request.path;
      wire.headers = { ...request.headers };
      return next(args);
    },
    { step: "deserialize", name: "mallardCapture", priority: "low" },
  );
}

async function handle({ id, op, input = {}, region = "us-east-1", capture = false }) {
  try {
    if (op === "Upload") {
      const { params, partSize, queueSize } = decodeInput(input);
      const upload = new Upload({ client: clientFor(region), params, partSize, queueSize, leavePartsOnError: false });
      const output = await upload.done();
      return { id, ok: true, output: encodeOutput(output) };
    }
    const Command = s3[`${op}Command`];
    if (typeof Command !== "function") {
      return { id, ok: false, error: { name: "HelperUnknownOperation", message: `no ${op}Command`, clientSide: true } };
    }
    const command = new Command(decodeInput(input));
    const wire = {};
    if (capture) captureInto(command, wire);
    const output = await readBody(await clientFor(region).send(command));
    const answer = { id, ok: true, output: encodeOutput(output) };
    if (capture) answer.wire = wire;
    return answer;
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
