#!/usr/bin/env python3
"""Generates S3's routing table (src/services/s3/wire/s3_routes.inc) and the unit test's request cases
(tests/unit/services/s3/wire/s3_route_cases.tsv) from botocore's S3 model.

Why generated: S3 has no operation name on the wire. Which operation a request is follows from its
method, whether the path names a bucket and a key, the sub-resource query parameters of the model's
requestUri ("?uploads", "?list-type=2") and a few required members (UploadPart's partNumber and
uploadId; CopyObject's x-amz-copy-source header). 111 operations copied by hand would drift. The
output is committed source (reviewed like any other); the build does not run this script. Re-run
after a botocore update and review the diff:

    python3 scripts/gen_s3_routes.py [--model PATH/service-2.json[.gz]] [--check] [--skip-if-missing]

--model defaults to the botocore of /root/.pyenv's Python 3.11.7 (the newest on this machine);
--check writes nothing and exits 1 when a committed file differs from what the model gives;
--skip-if-missing exits 77 (ctest's "skipped") when the model is absent.

How a row is made (the table's reading rules, the router's matching rules are in s3_routing.cpp):
- the row's query conditions are the literal parameters of its requestUri plus its required
  querystring members where they are the sub-resource: always when the requestUri has no literal
  (the multipart operations on an object: POST /b/k without uploadId is S3's 405, not
  CompleteMultipartUpload), and otherwise only when another operation with the same method, path
  and literals lacks them (GetBucketAnalyticsConfiguration's id against
  ListBucketAnalyticsConfigurations; PutBucketAnalyticsConfiguration without an id is still that
  operation, which then reports the missing id);
- a required header is a condition only when it tells apart operations the query cannot
  (CopyObject from PutObject, UploadPartCopy from UploadPart); GetObjectAttributes' required
  x-amz-object-attributes is not, so a request without it reaches the operation and its error;
- x-id: the Smithy model the JS SDK v3, the Rust, Go v2 and Dart SDKs generate from writes
  "?x-id=PutObject" (and so on) on the request to keep its URI patterns distinct; botocore's model
  has no x-id (botocore does not send it) and S3 ignores it. A literal x-id in a future model is
  dropped here, never a condition; the router may use x-id only to break a tie;
- operations with identical conditions are aliases: the deprecated ones (GetBucketLifecycle,
  PutBucketNotification, ...) route as their current operation, which reads both body forms;
- left out: operations whose endpoint is not a bucket or key of the S3 endpoint (EXCLUDED below)
  and S3 Control (/v20180820/..., a separate model);
- EXTRA_ROWS: S3 operations the model does not describe (browser form POST, CORS preflight).

The cases file is the unit test's oracle: for every routed operation, the request botocore's own
serializer (botocore.serialize, botocore.awsrequest.prepare_request_dict) builds for bucket
"bucket.name-1" and key "dir/ü 日本+%/x", path style and virtual-hosted style, and again with the
Smithy SDKs' x-id; the C++ router must recover the operation, bucket and key from the bytes alone.
"""
from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import os
import re
import sys
import urllib.parse

DEFAULT_MODEL = ("/root/.pyenv/versions/3.11.7/lib/python3.11/site-packages/botocore/data/s3/2006-03-01/"
                 "service-2.json.gz")
REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_TABLE = os.path.join(REPO_ROOT, "src", "services", "s3", "wire", "s3_routes.inc")
DEFAULT_CASES = os.path.join(REPO_ROOT, "tests", "unit", "services", "s3", "wire", "s3_route_cases.tsv")
SKIPPED = 77

EXCLUDED = {
    "WriteGetObjectResponse": "S3 Object Lambda's endpoint (<RequestRoute>.s3-object-lambda.<region>.amazonaws.com, "
                              "the model's hostPrefix), not a bucket or key of the S3 endpoint",
    "ListDirectoryBuckets": "S3 Express's control endpoint (s3express-control.<region>.amazonaws.com); on the wire "
                            "it is GET / like ListBuckets, which it would shadow",
}

# (operation, method, has bucket, has key, query conditions, header conditions, why)
EXTRA_ROWS = [
    ("PostObject", "POST", True, False, (), (),
     "browser form upload (RESTObjectPOST): a POST to the bucket without a sub-resource; the service "
     "answers PreconditionFailed unless it is multipart/form-data"),
    ("OptionsObject", "OPTIONS", True, False, (), (), "CORS preflight (RESTOPTIONSobject) on a bucket"),
    ("OptionsObject", "OPTIONS", True, True, (), (), "CORS preflight (RESTOPTIONSobject) on an object"),
]

BUCKET = "bucket.name-1"
KEY = "dir/ü 日本+%/x"
PATH_STYLE_HOST = "localhost:4566"
VIRTUAL_HOST = BUCKET + ".s3.localhost:4566"


class ModelError(Exception):
    pass


def load_botocore(model_path: str):
    """botocore from the installation the model belongs to, so that the serializer matches the model."""
    site_packages = os.path.abspath(os.path.join(os.path.dirname(model_path), *[os.pardir] * 5))
    if os.path.isdir(os.path.join(site_packages, "botocore")):
        sys.path.insert(0, site_packages)
    import botocore  # noqa: F401  (imported for its version)
    import botocore.awsrequest
    import botocore.model
    import botocore.serialize
    return botocore


def read_model(model_path: str) -> tuple[dict, bytes]:
    with open(model_path, "rb") as source:
        raw = source.read()
    if model_path.endswith(".gz"):  # newer botocore releases ship their models compressed
        raw = gzip.decompress(raw)
    return json.loads(raw), raw


def split_request_uri(uri: str) -> tuple[str, list[tuple[str, str | None]], bool]:
    """The path template, the literal query parameters (name, value or None) and whether x-id was there."""
    path, _, query = uri.partition("?")
    literals: list[tuple[str, str | None]] = []
    had_x_id = False
    for part in filter(None, query.split("&")):
        name, equals, value = part.partition("=")
        if name == "x-id":
            had_x_id = True
            continue
        literals.append((name, value if equals else None))
    return path, literals, had_x_id


def condition_text(conditions) -> str:
    return "&".join(name if value is None else f"{name}={value}" for name, value in conditions)


class Operation:
    def __init__(self, name: str, model: dict):
        definition = model["operations"][name]
        self.name = name
        self.method = definition["http"]["method"]
        self.uri = definition["http"]["requestUri"]
        self.deprecated = bool(definition.get("deprecated"))
        self.host_prefix = definition.get("endpoint", {}).get("hostPrefix")
        path, self.literals, self.had_x_id = split_request_uri(self.uri)
        if path.startswith("/v20180820"):
            raise ModelError(f"{name}: {path} is S3 Control's, not this model's")
        shapes = {"/": (False, False), "/{Bucket}": (True, False), "/{Bucket}/{Key+}": (True, True)}
        self.path = path
        self.addressable = path in shapes
        self.has_bucket, self.has_key = shapes.get(path, (False, False))
        self.required_query: list[tuple[str, str]] = []   # (location name, member)
        self.required_headers: list[tuple[str, str]] = []  # (lower-case header, member)
        input_shape = model["shapes"].get(definition.get("input", {}).get("shape", ""), {})
        for member_name in input_shape.get("required", []):
            member = input_shape["members"][member_name]
            if member.get("location") == "querystring":
                self.required_query.append((member["locationName"], member_name))
            elif member.get("location") == "header":
                self.required_headers.append((member["locationName"].lower(), member_name))
        self.query_conditions: list[tuple[str, str | None]] = []
        self.header_conditions: list[str] = []


def build_rows(model: dict):
    operations = {name: Operation(name, model) for name in sorted(model["operations"])}
    for name, reason in EXCLUDED.items():
        if name not in operations:
            raise ModelError(f"EXCLUDED names {name}, which the model no longer has; update the list")
    for name, operation in operations.items():
        if name in EXCLUDED:
            continue
        if operation.host_prefix:
            raise ModelError(f"{name} has hostPrefix {operation.host_prefix!r}: decide and add it to EXCLUDED")
        if not operation.addressable:
            raise ModelError(f"{name}: requestUri {operation.uri} is not /, /{{Bucket}} or /{{Bucket}}/{{Key+}}")
    routed = [operation for name, operation in operations.items() if name not in EXCLUDED]

    # Query conditions: the literals, plus the required members where they are the sub-resource.
    groups: dict[tuple, list[Operation]] = {}
    for operation in routed:
        literal_key = tuple(sorted(operation.literals, key=lambda pair: (pair[0], pair[1] or "")))
        groups.setdefault((operation.method, operation.has_bucket, operation.has_key, literal_key), []).append(operation)
    for members in groups.values():
        for operation in members:
            conditions = list(operation.literals)
            for location_name, _ in operation.required_query:
                others_lack = any(location_name not in [n for n, _ in other.required_query]
                                  for other in members if other is not operation)
                if not operation.literals or others_lack:
                    conditions.append((location_name, None))
            operation.query_conditions = sorted(set(conditions), key=lambda pair: (pair[0], pair[1] or ""))

    # Header conditions: required headers that tell apart operations with the same query conditions.
    by_query: dict[tuple, list[Operation]] = {}
    for operation in routed:
        by_query.setdefault((operation.method, operation.has_bucket, operation.has_key,
                             tuple(operation.query_conditions)), []).append(operation)
    for members in by_query.values():
        for operation in members:
            operation.header_conditions = sorted(
                header for header, _ in operation.required_headers
                if any(header not in [h for h, _ in other.required_headers] for other in members if other is not operation))

    # Identical conditions: aliases, resolved to the one current operation.
    by_conditions: dict[tuple, list[Operation]] = {}
    for operation in routed:
        key = (operation.method, operation.has_bucket, operation.has_key, tuple(operation.query_conditions),
               tuple(operation.header_conditions))
        by_conditions.setdefault(key, []).append(operation)
    rows, routes_as = [], {}
    for key, members in by_conditions.items():
        current = [operation for operation in members if not operation.deprecated]
        if len(current) != 1:
            names = ", ".join(operation.name for operation in members)
            raise ModelError(f"{names} cannot be told apart on the wire and are not one current operation with "
                             "deprecated aliases: extend the generator (or EXCLUDED)")
        winner = current[0]
        aliases = sorted(operation.name for operation in members if operation is not winner)
        for operation in members:
            routes_as[operation.name] = winner.name
        rows.append((winner.name, winner.method, winner.has_bucket, winner.has_key,
                     condition_text(winner.query_conditions), ",".join(winner.header_conditions), True,
                     "aliases: " + ", ".join(aliases) if aliases else ""))
    model_keys = {(row[1], row[2], row[3], row[4], row[5]) for row in rows}
    for name, method, bucket, key_, query, headers, why in EXTRA_ROWS:
        if (method, bucket, key_, condition_text(query), ",".join(headers)) in model_keys:
            raise ModelError(f"extra row {name} collides with a model operation")
        rows.append((name, method, bucket, key_, condition_text(query), ",".join(headers), False, why))
    rows.sort(key=lambda row: (row[3], row[2], row[1], row[0], row[4]))
    x_id_operations = sorted(operation.name for operation in routed if operation.had_x_id)
    return operations, routed, rows, routes_as, x_id_operations


def cpp_text(text: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9_.:/=&,+-]*", text):
        raise ModelError(f"unexpected characters in a table string: {text!r}")
    return '"' + text + '"'


def botocore_version(model_path: str) -> str:
    package = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(model_path)))))
    try:
        with open(os.path.join(package, "__init__.py"), encoding="utf-8") as init:
            found = re.search(r"^__version__ = ['\"]([^'\"]+)['\"]", init.read(), re.MULTILINE)
            return found.group(1) if found else "unknown"
    except OSError:
        return "unknown"


def render_table(model_path: str, model: dict, raw: bytes, rows, x_id_operations) -> str:
    metadata = model["metadata"]
    lines = [
        "// GENERATED by scripts/gen_s3_routes.py: do not edit by hand.",
        f"// From botocore {botocore_version(model_path)}'s S3 model: uid {metadata['uid']}, "
        f"apiVersion {metadata['apiVersion']},",
        f"// service-2.json sha256 {hashlib.sha256(raw).hexdigest()}.",
        f"// {len(model['operations'])} operations in the model; {len(rows)} rows "
        f"({sum(1 for row in rows if not row[6])} not in the model).",
        "// Regenerate: python3 scripts/gen_s3_routes.py [--model PATH/service-2.json.gz]",
        "//",
        "// Row: operation, method, path names a bucket, path names a key, query conditions (present;",
        "// \"name=value\": with that value), header conditions (present), in the model. The rules that",
        "// make a row are in the generator's docstring; the matching rules in s3_routing.cpp.",
        "//",
        "// Not routed:",
    ]
    for name, reason in sorted(EXCLUDED.items()):
        lines.append(f"//   {name}: {reason}.")
    lines.append("// S3 Control (/v20180820/...) is a separate model and service.")
    if x_id_operations:
        lines.append("// x-id literals dropped from: " + ", ".join(x_id_operations) + ".")
    else:
        lines.append("// botocore's model has no x-id literal (the Smithy SDKs send one; S3 ignores it).")
    lines.append("")
    for name, method, bucket, key, query, headers, in_model, note in rows:
        lines.append(f"{{{cpp_text(name)}, {cpp_text(method)}, {'true' if bucket else 'false'}, "
                     f"{'true' if key else 'false'}, {cpp_text(query)}, {cpp_text(headers)}, "
                     f"{'true' if in_model else 'false'}}},{'  // ' + note if note else ''}")
    lines.append("")
    return "\n".join(lines)


def dummy_value(model: dict, member_shape: str, member_name: str):
    shape = model["shapes"][member_shape]
    kind = shape["type"]
    if member_name == "CopySource":
        return "source-bucket/source key+1"
    if member_name == "RenameSource":
        return "/" + BUCKET + "/old name"
    if kind == "string":
        return shape.get("enum", ["dummy-" + member_name])[0]
    if kind in ("integer", "long"):
        return 1
    if kind == "list":
        element = model["shapes"][shape["member"]["shape"]]
        return [element.get("enum", ["dummy"])[0]]
    raise ModelError(f"no dummy value for required {member_name} of type {kind}")


def render_cases(botocore, model: dict, routed, routes_as) -> str:
    service = botocore.model.ServiceModel(model, "s3")
    serializer = botocore.serialize.create_serializer("rest-xml", include_validation=False)
    lines = [
        "# GENERATED by scripts/gen_s3_routes.py from botocore's S3 model: do not edit by hand.",
        "# The requests botocore's serializer builds for every routed operation (bucket " + BUCKET + ", key "
        + KEY + "), path style, virtual-hosted style and with the Smithy SDKs' x-id; the router must give back",
        "# the operation, bucket and key. Columns (tab-separated): expected operation, source operation,",
        "# variant, method, host, raw path, raw query, headers (name=percent-encoded value, '&'-joined),",
        "# expected bucket, expected key.",
    ]
    for operation in routed:
        operation_model = service.operation_model(operation.name)
        input_shape = model["shapes"].get(model["operations"][operation.name].get("input", {}).get("shape", ""), {})
        params = {}
        if operation.has_bucket:
            params["Bucket"] = BUCKET
        if operation.has_key:
            params["Key"] = KEY
        for _, member in operation.required_query + operation.required_headers:
            params[member] = dummy_value(model, input_shape["members"][member]["shape"], member)
        request = serializer.serialize_to_request(params, operation_model)
        botocore.awsrequest.prepare_request_dict(request, endpoint_url="http://" + PATH_STYLE_HOST)
        url = urllib.parse.urlsplit(request["url"])
        headers = "&".join(f"{name.lower()}={urllib.parse.quote(str(value), safe='')}"
                           for name, value in sorted(request["headers"].items()))
        expected_bucket = BUCKET if operation.has_bucket else ""
        expected_key = KEY if operation.has_key else ""
        expected = routes_as[operation.name]
        variants = [("path-style", PATH_STYLE_HOST, url.path, url.query)]
        if operation.has_bucket:
            prefix = "/" + BUCKET
            if not url.path.startswith(prefix):
                raise ModelError(f"{operation.name}: botocore's path {url.path} does not start with the bucket")
            variants.append(("virtual-hosted", VIRTUAL_HOST, url.path[len(prefix):] or "/", url.query))
        x_id = "x-id=" + operation.name
        variants.append(("path-style+x-id", PATH_STYLE_HOST, url.path, url.query + "&" + x_id if url.query else x_id))
        for variant, host, path, query in variants:
            lines.append("\t".join([expected, operation.name, variant, request["method"], host, path, query, headers,
                                    expected_bucket, expected_key]))
    # The rows the model does not describe, as a browser sends them.
    quoted_key = urllib.parse.quote(KEY, safe="/~")
    lines.append("\t".join(["PostObject", "PostObject", "path-style", "POST", PATH_STYLE_HOST, "/" + BUCKET, "",
                            "content-type=" + urllib.parse.quote("multipart/form-data; boundary=x", safe=""),
                            BUCKET, ""]))
    lines.append("\t".join(["OptionsObject", "OptionsObject", "virtual-hosted", "OPTIONS", VIRTUAL_HOST,
                            "/" + quoted_key, "", "origin=" + urllib.parse.quote("http://example.com", safe=""),
                            BUCKET, KEY]))
    lines.append("\t".join(["OptionsObject", "OptionsObject", "path-style", "OPTIONS", PATH_STYLE_HOST,
                            "/" + BUCKET, "", "", BUCKET, ""]))
    for line in lines:
        if "\n" in line or line.count("\t") not in (0, 9):
            raise ModelError(f"a case line does not have 10 columns: {line!r}")
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default=DEFAULT_MODEL, help="botocore's s3/2006-03-01/service-2.json[.gz]")
    parser.add_argument("--table", default=DEFAULT_TABLE)
    parser.add_argument("--cases", default=DEFAULT_CASES)
    parser.add_argument("--check", action="store_true", help="exit 1 if an output differs; write nothing")
    parser.add_argument("--skip-if-missing", action="store_true", help=f"exit {SKIPPED} when the model is absent")
    arguments = parser.parse_args()
    if arguments.skip_if_missing and not os.path.exists(arguments.model):
        print(f"gen_s3_routes: {arguments.model} is absent; nothing to check", file=sys.stderr)
        return SKIPPED
    try:
        model, raw = read_model(arguments.model)
        if model["metadata"].get("protocol") != "rest-xml":
            raise ModelError(f"the model's protocol is {model['metadata'].get('protocol')}, not rest-xml")
        botocore = load_botocore(arguments.model)
        _, routed, rows, routes_as, x_id_operations = build_rows(model)
        outputs = {
            arguments.table: render_table(arguments.model, model, raw, rows, x_id_operations),
            arguments.cases: render_cases(botocore, model, routed, routes_as),
        }
    except (ModelError, KeyError, OSError, json.JSONDecodeError, ImportError) as error:
        print(f"gen_s3_routes: {arguments.model}: {error}", file=sys.stderr)
        return 2
    if arguments.check:
        stale = []
        for path, text in outputs.items():
            try:
                with open(path, encoding="utf-8") as existing:
                    if existing.read() != text:
                        stale.append(path)
            except OSError:
                stale.append(path)
        for path in stale:
            print(f"gen_s3_routes: {path} is not what the model gives; re-run the generator", file=sys.stderr)
        return 1 if stale else 0
    for path, text in outputs.items():
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8", newline="\n") as out:
            out.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
