#!/usr/bin/python3
"""Writes the seed corpora in fuzz/corpus/<target>/ (run from anywhere; overwrites its own seed
files, leaves other files — e.g. added crash reproducers — alone). Seeds are small, meaningful
inputs: real SQS/DynamoDB requests, expressions from the e2e and unit tests, pgoutput messages
laid out as tests/unit/cdc_pg/wire_writer.hpp does, HTTP requests as SDKs send them."""
import gzip
import json
import os
import struct

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")


def write(target, name, data):
    directory = os.path.join(ROOT, target)
    os.makedirs(directory, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(directory, name), "wb") as f:
        f.write(data)


# ---- awsJson request bodies -------------------------------------------------------------------
json_bodies = {
    "sqs_send": {"QueueUrl": "http://localhost:4566/000000000000/q", "MessageBody": "hello",
                 "MessageAttributes": {"a": {"DataType": "String", "StringValue": "v"},
                                       "n": {"DataType": "Number", "StringValue": "1.5"},
                                       "b": {"DataType": "Binary", "BinaryValue": "AQID"}}},
    "sqs_create": {"QueueName": "q.fifo", "Attributes": {"FifoQueue": "true", "VisibilityTimeout": "30"},
                   "tags": {"k": "v"}},
    "sqs_batch": {"QueueUrl": "u", "Entries": [{"Id": "1", "MessageBody": "a"}, {"Id": "2", "MessageBody": "b",
                                                                              "DelaySeconds": 5}]},
    "ddb_put": {"TableName": "t", "Item": {"pk": {"S": "a"}, "n": {"N": "1e10"}, "l": {"L": [{"BOOL": True}]},
                                          "m": {"M": {"x": {"NULL": True}}}, "ss": {"SS": ["a", "b"]}}},
    "ddb_update": {"TableName": "t", "Key": {"pk": {"S": "a"}}, "UpdateExpression": "SET #n = :v",
                   "ExpressionAttributeNames": {"#n": "n"}, "ExpressionAttributeValues": {":v": {"N": "2"}},
                   "ReturnValues": "ALL_NEW"},
    "ddb_query": {"TableName": "t", "KeyConditionExpression": "pk = :p AND begins_with(sk, :a)",
                  "ExpressionAttributeValues": {":p": {"S": "x"}, ":a": {"S": "y"}}, "Limit": 10,
                  "ExclusiveStartKey": {"pk": {"S": "x"}, "sk": {"S": "y0"}}},
    "ddb_partiql": {"Statement": "SELECT * FROM t WHERE pk = ?", "Parameters": [{"S": "a"}]},
    "unicode": {"s": "\u00e9\U0001d11e\u2028", "e": "", "n": -0.0, "big": 123456789012345678901234567890},
}
for name, body in json_bodies.items():
    write("fuzz_aws_json", name, json.dumps(body))
write("fuzz_aws_json", "empty", "")
write("fuzz_aws_json", "whitespace", " \r\n\t")
write("fuzz_aws_json", "not_object", "[1,2,3]")
write("fuzz_aws_json", "nested_255", "{\"a\":" + "[" * 254 + "]" * 254 + "}")
write("fuzz_aws_json", "nested_257", "{\"a\":" + "[" * 256 + "]" * 256 + "}")
write("fuzz_aws_json", "bad_utf8", b'{"a":"\xc0\xaf"}')
write("fuzz_aws_json", "escapes", r'{"a":"\u0000\ud834\udd1e\"\\\/\b\f\n\r\t"}')

# ---- awsQuery forms ---------------------------------------------------------------------------
forms = {
    "send": "Action=SendMessage&Version=2012-11-05&QueueUrl=http%3A%2F%2Flocalhost%3A4566%2F000000000000%2Fq"
            "&MessageBody=hello+world&DelaySeconds=5"
            "&MessageAttribute.1.Name=a&MessageAttribute.1.Value.DataType=String&MessageAttribute.1.Value.StringValue=v"
            "&MessageAttribute.2.Name=b&MessageAttribute.2.Value.DataType=Binary&MessageAttribute.2.Value.BinaryValue=AQID",
    "send_batch": "Action=SendMessageBatch&QueueUrl=u&SendMessageBatchRequestEntry.1.Id=a"
                  "&SendMessageBatchRequestEntry.1.MessageBody=x&SendMessageBatchRequestEntry.2.Id=b"
                  "&SendMessageBatchRequestEntry.2.MessageBody=y&SendMessageBatchRequestEntry.2.DelaySeconds=3",
    "create": "Action=CreateQueue&QueueName=q.fifo&Attribute.1.Name=FifoQueue&Attribute.1.Value=true"
              "&Attribute.2.Name=VisibilityTimeout&Attribute.2.Value=30&Tag.1.Key=k&Tag.1.Value=v",
    "receive": "Action=ReceiveMessage&QueueUrl=u&MaxNumberOfMessages=10&WaitTimeSeconds=0"
               "&AttributeName.1=All&MessageAttributeName.1=All&VisibilityTimeout=1",
    "set_attributes": "Action=SetQueueAttributes&QueueUrl=u&Attribute.1.Name=RedrivePolicy"
                      "&Attribute.1.Value=%7B%22maxReceiveCount%22%3A%222%22%7D",
    "tag": "Action=TagQueue&QueueUrl=u&Tag.1.Key=a&Tag.1.Value=1&Tag.2.Key=b&Tag.2.Value=",
    "delete_batch": "Action=DeleteMessageBatch&QueueUrl=u&DeleteMessageBatchRequestEntry.1.Id=1"
                    "&DeleteMessageBatchRequestEntry.1.ReceiptHandle=rh",
    "visibility_batch": "Action=ChangeMessageVisibilityBatch&QueueUrl=u"
                        "&ChangeMessageVisibilityBatchRequestEntry.1.Id=1"
                        "&ChangeMessageVisibilityBatchRequestEntry.1.ReceiptHandle=r"
                        "&ChangeMessageVisibilityBatchRequestEntry.1.VisibilityTimeout=abc",
    "overlong_utf8": "Action=SendMessage&QueueUrl=u&MessageBody=%C0%AF",
    "nul_action": "Action=%00Send",
    "bad_escape": "Action=SendMessage&MessageBody=%G1",
    "empty_list": "Action=ReceiveMessage&AttributeName=&QueueUrl=u",
    "big_index": "Action=SendMessageBatch&SendMessageBatchRequestEntry.2147483647.Id=x",
}
for name, form in forms.items():
    write("fuzz_aws_query", name, form)

# ---- renderers: byte 0 = code length ----------------------------------------------------------
renderer_cases = {
    "plain": (b"InvalidAction", b"The action Foo is not valid for this endpoint."),
    "nul": (b"X", b"Action \x00 is invalid"),
    "control": (b"C", b"\x01\x08\x0b\x0c\x1f\x7f"),
    "overlong": (b"Q", b"\xc0\xaf"),
    "lone_continuation": (b"", b"\x80abc"),
    "truncated_multibyte": (b"", b"caf\xc3"),
    "surrogate": (b"S", b"\xed\xa0\x80"),
    "markup": (b"<Code>", b"</Message><Injected attr='1'>&amp;&#0;]]>"),
    "quotes": (b"\"'", b"\"\\\"'\\u0000"),
    "unicode": (b"Tag", "\u00e9\U0001d11e\ufffe\uffff".encode("utf-8", "surrogatepass")),
    "crlf": (b"K", b"line1\r\nline2\rline3"),
    "empty": (b"", b""),
}
for name, (code, message) in renderer_cases.items():
    write("fuzz_renderers", name, bytes([len(code)]) + code + message)

# ---- DynamoDB expressions: byte 0 = parser (0 cond, 1 filter, 2 key cond, 3 projection, 4 update,
#      5 raw key-condition tree, 6 PartiQL) ---------------------------------------------------------
expressions = [
    (0, "attribute_exists(pk)"), (0, "attribute_not_exists(#n) OR n < :n"), (0, "n BETWEEN :n1 AND :n10"),
    (0, "NOT (s IN (:s, :he, :x)) AND size(l) > :n1"), (0, "begins_with(s, :he) AND contains(ss, :x)"),
    (0, "attribute_type(#d, :tS) AND m.child.x >= :n10 AND l[2][0] = :a"),
    (1, "contains(s, s)"), (1, "frob(n)"), (1, "n = = :n"), (1, "size(s)"),
    (2, "pk = :s AND sk BETWEEN :n1 AND :n10"), (2, "#pk = :s AND begins_with(#sk, :n)"), (2, "(pk = :s) AND (sk > :n1)"),
    (2, "pk = :s OR sk = :n"),
    (3, "pk, m.child.x, l[1], #n, #d"), (3, "m, m.k"), (3, "l[0][1].deep, ss"),
    (4, "SET n = n + :n1, #n = if_not_exists(#n, :s) REMOVE z, l[1] ADD ns :ns DELETE ss :ss"),
    (4, "SET l = list_append(:l, l), m.k = :s"), (4, "SET a = :n - :n1"), (4, "ADD nope :n"),
    (4, "SET l[5] = :n, #m.new.deeper = :s"), (4, "REMOVE pk"),
    (5, "pk = :s AND sk < :n"),
    (6, "SELECT * FROM Music WHERE Artist = 'Acme' AND SongTitle = 'PartiQL Rocks'"),
    (6, "SELECT name, address.city, tags[1] FROM Users WHERE pk = 1"),
    (6, "SELECT * FROM Music WHERE Artist = ? AND SongTitle > 'B' AND Awards >= 2"),
    (6, "SELECT * FROM \"Music\".\"byTitle\" WHERE Artist IN ['a', 'b'] ORDER BY SongTitle DESC"),
    (6, "INSERT INTO Users VALUE {'pk': 'a', 'l': [1, <<'x', 'y'>>, NULL, TRUE], 'm': {'k': 2.5e3}}"),
    (6, "UPDATE Users SET a = 1 SET b.c[0] = ? REMOVE d WHERE pk = 'a' AND sk = 2 RETURNING ALL NEW *"),
    (6, "DELETE FROM Users WHERE pk = ? RETURNING ALL OLD *"),
    (6, "EXISTS(SELECT * FROM Users WHERE pk = 'a' AND v = 1)"),
    (6, "SELECT * FROM t WHERE (a = 1"), (6, "SELECT * FROM t WHERE a = 'caf\u00e9"),
]
for i, (kind, text) in enumerate(expressions):
    write("fuzz_ddb_expressions", f"expr_{i:02d}", bytes([kind]) + text.encode())

# ---- SQS attributes: byte 0 = mode (0 JSON send, 1 query send, 2 queue attributes, 3 raw text) --
sqs_cases = {
    "json_attrs": (0, json.dumps(json_bodies["sqs_send"])),
    "json_system": (0, json.dumps({"MessageBody": "x", "MessageSystemAttributes": {
        "AWSTraceHeader": {"DataType": "String", "StringValue": "Root=1-5759e988-bd862e3fe1be46a994272793"}}})),
    "json_custom_type": (0, json.dumps({"MessageBody": "x", "MessageAttributes": {
        "a.b-c_d": {"DataType": "Number.float", "StringValue": "-1.5E+3"}}})),
    "json_lists": (0, json.dumps({"MessageAttributes": {"a": {"DataType": "String", "StringListValues": ["x"]}}})),
    "query_send": (1, forms["send"]),
    "query_overlong": (1, "MessageBody=%C0%AF&MessageAttribute.1.Name=a&MessageAttribute.1.Value.DataType=String"
                          "&MessageAttribute.1.Value.StringValue=%ED%A0%80"),
    "query_number": (1, "MessageAttribute.1.Name=n&MessageAttribute.1.Value.DataType=Number"
                        "&MessageAttribute.1.Value.StringValue=1e400"),
    "queue_attributes": (2, json.dumps({"fifo": True, "Attributes": {
        "FifoQueue": "true", "ContentBasedDeduplication": "true", "DeduplicationScope": "messageGroup",
        "FifoThroughputLimit": "perMessageGroupId", "VisibilityTimeout": "43200", "MaximumMessageSize": "1024",
        "RedrivePolicy": "{\"deadLetterTargetArn\":\"arn:aws:sqs:us-east-1:000000000000:dlq\",\"maxReceiveCount\":\"3\"}",
        "Policy": "{}", "KmsMasterKeyId": "alias/aws/sqs"}})),
    "queue_attributes_bad": (2, json.dumps({"Attributes": {"DelaySeconds": "901", "Nope": "1",
                                                           "RedriveAllowPolicy": "{\"redrivePermission\":\"byQueue\"}"}})),
    "arn": (3, "arn:aws:sqs:us-east-1:000000000000:my-queue.fifo"),
    "name": (3, "my_queue-1.fifo"),
    "body_chars": (3, "tab\there\n\ue000\U0010ffff"),
}
for name, (mode, text) in sqs_cases.items():
    write("fuzz_sqs_attributes", name, bytes([mode]) + text.encode())


# ---- pgoutput: byte 0 = version-1 (bits 0-1) | inside_stream (bit 2) | LSN text mode (bit 3) ----
class Wire:
    def __init__(self):
        self.b = bytearray()

    def byte(self, v):
        self.b += bytes([v]) if isinstance(v, int) else v.encode()
        return self

    def i16(self, v):
        self.b += struct.pack(">h", v)
        return self

    def i32(self, v):
        self.b += struct.pack(">i", v)
        return self

    def u32(self, v):
        self.b += struct.pack(">I", v)
        return self

    def i64(self, v):
        self.b += struct.pack(">q", v)
        return self

    def cstr(self, s):
        self.b += s.encode() + b"\0"
        return self

    def text_col(self, s):
        s = s.encode() if isinstance(s, str) else s
        return self.byte("t").i32(len(s)).raw(s)

    def raw(self, s):
        self.b += s
        return self


def tuple_data(w, columns):
    w.i16(len(columns))
    for c in columns:
        if c is None:
            w.byte("n")
        elif c == "<toast>":
            w.byte("u")
        elif isinstance(c, bytes):
            w.byte("b").i32(len(c)).raw(c)
        else:
            w.text_col(c)
    return w


pg = {
    "begin": (0, Wire().byte("B").i64(0x16B3748).i64(700000000000000).u32(745)),
    "commit": (0, Wire().byte("C").byte(0).i64(0x16B3748).i64(0x16B3778).i64(700000000000000)),
    "origin": (0, Wire().byte("O").i64(0x100).cstr("origin_a")),
    "relation": (0, Wire().byte("R").u32(16384).cstr("public").cstr("orders").byte("d").i16(3)
                 .byte(1).cstr("id").u32(23).i32(-1)
                 .byte(0).cstr("note").u32(25).i32(-1)
                 .byte(0).cstr("amount").u32(1700).i32(655366)),
    "type": (0, Wire().byte("Y").u32(90000).cstr("public").cstr("mood")),
    "insert": (0, tuple_data(Wire().byte("I").u32(16384).byte("N"), ["1", "hello", None])),
    "update_old_key": (0, tuple_data(tuple_data(Wire().byte("U").u32(16384).byte("K"), ["1", None, None])
                                     .byte("N"), ["2", "<toast>", "3.50"])),
    "update_binary": (0, tuple_data(Wire().byte("U").u32(16384).byte("N"), [b"\x00\x01", "x", None])),
    "delete": (0, tuple_data(Wire().byte("D").u32(16384).byte("O"), ["1", "a", "1"])),
    "truncate": (0, Wire().byte("T").u32(2).byte(3).u32(16384).u32(16385)),
    "logical": (0, Wire().byte("M").byte(1).i64(0x200).cstr("prefix").u32(5).raw(b"hello")),
    "stream_start": (1, Wire().byte("S").u32(900).byte(1)),
    "stream_insert": (1 | 4, tuple_data(Wire().byte("I").u32(900).u32(16384).byte("N"), ["1", "a", None])),
    "stream_stop": (1 | 4, Wire().byte("E")),
    "stream_commit": (1, Wire().byte("c").u32(900).byte(0).i64(0x300).i64(0x330).i64(700000000000001)),
    "stream_abort_v4": (3, Wire().byte("A").u32(900).u32(901).i64(0x340).i64(700000000000002)),
    "negative_length": (0, Wire().byte("I").u32(16384).byte("N").i16(1).byte("t").i32(-5)),
    "lsn_text": (8, Wire().raw(b"16/B374D848")),
    "lsn_text_max": (8, Wire().raw(b"FFFFFFFF/FFFFFFFF")),
}
for name, (flags, w) in pg.items():
    write("fuzz_pgoutput", name, bytes([flags]) + bytes(w.b))

# ---- HTTP requests: byte 0 = split point of the first read -------------------------------------
gz = gzip.compress(b'{"QueueName":"q"}')
http = {
    "sqs_json": b"POST / HTTP/1.1\r\nHost: localhost:4566\r\nContent-Type: application/x-amz-json-1.0\r\n"
                b"X-Amz-Target: AmazonSQS.CreateQueue\r\nContent-Length: 17\r\n\r\n{\"QueueName\":\"q\"}",
    "sqs_query": b"POST / HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                 b"Content-Length: 37\r\n\r\nAction=ListQueues&Version=2012-11-05",
    "gzip_body": b"POST / HTTP/1.1\r\nHost: h\r\nContent-Encoding: gzip\r\nAccept-Encoding: gzip, deflate;q=0\r\n"
                 b"Content-Length: " + str(len(gz)).encode() + b"\r\n\r\n" + gz,
    "chunked": b"POST /path?x=1&y=%20 HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
               b"5\r\nhello\r\n0\r\nTrailer: t\r\n\r\n",
    "get_health": b"GET /_mallard/health HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
    "head": b"HEAD /?Action=ListQueues HTTP/1.0\r\n\r\n",
    "bad_request_line": b"GARBAGE\r\n\r\n",
    "folded_header": b"GET / HTTP/1.1\r\nHost: h\r\nX-Long: a\r\n b\r\n\r\n",
    "dup_content_length": b"POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
    "pipelined": b"GET /a HTTP/1.1\r\nHost: h\r\n\r\nGET /b HTTP/1.1\r\nHost: h\r\n\r\n",
    "accept_encoding": b"GET / HTTP/1.1\r\nAccept-Encoding: br;q=1.0, gzip;q=0.000, *;q=0.5\r\n\r\n",
    "presigned": b"GET /?Action=GetCallerIdentity&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKID%2F20260101%2F"
                 b"us-east-1%2Fsts%2Faws4_request&X-Amz-Signature=abc HTTP/1.1\r\nHost: h\r\n\r\n",
}
for name, data in http.items():
    write("fuzz_http_request", name, bytes([len(data) // 2 % 256]) + data)
write("fuzz_http_request", "raw_gzip", bytes([0]) + gz)

# ---- DuckLake catalog: byte 0 = mode (0 rows, 1 stats compare, 2 type promotion) ----------------
NUL, US, RS, GS = "\0", "\x1f", "\x1e", "\x1d"


def rows(*rs):
    return RS.join(US.join(r) for r in rs)


snapshot = rows(["3", "2", "12", "7", "2026-01-01 00:00:00+00"])
schemas = rows(["0", "main", "main/", "true"], ["5", "other", NUL, NUL])
tables = rows(["1", "0", "0190a0b0-0000-7000-8000-000000000001", "orders", "orders/", "true"],
              ["2", "5", "0190a0b0-0000-7000-8000-000000000002", "events", "/abs/events/", "false"])
columns = rows(
    ["1", "1", "0", "id", "int64", NUL, NUL, "false", NUL],
    ["1", "2", "1", "amount", "decimal(18,3)", "0", "0", "true", NUL],
    ["1", "3", "2", "tags", "list", NUL, NUL, NUL, NUL],
    ["1", "4", "0", "element", "varchar", NUL, NUL, "true", "3"],
    ["1", "5", "3", "attrs", "map", NUL, NUL, "t", NUL],
    ["1", "6", "0", "key", "varchar", NUL, NUL, "f", "5"],
    ["1", "7", "1", "value", "struct", NUL, NUL, "1", "5"],
    ["1", "8", "0", "x", "json", NUL, NUL, "1", "7"],
    ["2", "1", "0", "ts", "timestamptz", "'2020-01-01'", NUL, "true", NUL])
max_ids = rows(["1", "9"], ["2", "1"])
files_1 = rows(["10", "ducklake-1.parquet", "true", "100", "0", NUL, "11", "del-1.parquet", "true", "3", NUL, NUL],
               ["12", "/abs/f.parquet", "false", "5", "100", "2", NUL, NUL, NUL, NUL, NUL, "1"])
files_2 = rows(["13", "e.parquet", NUL, "1", "0", NUL, NUL, NUL, NUL, NUL, NUL, NUL])
lake = {
    "catalog": GS.join([snapshot, schemas, tables, columns, max_ids, files_1, files_2]),
    "no_snapshot": "",
    "snapshot_only": snapshot,
    "non_numeric": GS.join([rows(["x", "2", "3", "4", NUL])]),
    "self_parent": GS.join([snapshot, schemas, tables, rows(["1", "1", "0", "a", "struct", NUL, NUL, NUL, "1"])]),
    "bad_decimal_type": GS.join([snapshot, schemas, tables, rows(["1", "1", "0", "a", "decimal(1,0)); DROP TABLE x; --",
                                                                  NUL, NUL, NUL, NUL])]),
}
for name, text in lake.items():
    write("fuzz_lake_catalog", name, bytes([0]) + text.encode())
stats = [("int64", "-12", "7"), ("decimal(18,3)", "-12.50", "-12.5"), ("float64", "inf", "nan"),
         ("float32", "-infinity", "1e38"), ("date", "-infinity", "2020-01-01"), ("timestamptz", "infinity", "x"),
         ("varchar", "a", "ab"), ("uint64", "+0", "-0"), ("int32", "007", "7.000")]
for i, (t, l, r) in enumerate(stats):
    write("fuzz_lake_catalog", f"stats_{i}", bytes([1]) + US.join([t, l, r]).encode())
for i, (a, b) in enumerate([("int8", "int64"), ("uint32", "int64"), ("decimal(10,2)", "decimal(12,3)"),
                            ("int64", "int32"), ("decimal(10,2", "decimal(10,2)")]):
    write("fuzz_lake_catalog", f"promotion_{i}", bytes([2]) + US.join([a, b]).encode())

# ---- the DynamoDB memory store's item form: odd first byte = a DynamoDB JSON item, even = encoded bytes
ddb_items = {
    "scalars": {"pk": {"S": "p1"}, "n": {"N": "-12.5e3"}, "b": {"B": "AQID"}, "t": {"BOOL": True}, "z": {"NULL": True}},
    "sets": {"ss": {"SS": ["x", "y"]}, "ns": {"NS": ["1", "2.50", "-1E-130"]}, "bs": {"BS": ["AQ==", "Ag=="]}},
    "nested": {"l": {"L": [{"S": "a"}, {"M": {"k": {"L": [{"N": "9.9999999999999999999999999999999999999E+125"}]}}}]}},
    "empty": {},
    "unicode": {"\u00e9": {"S": "\ud834\udd1e"}, "": {"S": ""}},
}
for name, item in ddb_items.items():
    write("fuzz_ddb_item_binary", "json_" + name, b"\x01" + json.dumps(item).encode())
# count 1, name "n", then S "hi" / N 12 (head: 2 digits, exponent 2 as zigzag 4, BCD 0x12) / a list of NULLs
write("fuzz_ddb_item_binary", "bytes_string", b"\x00\x01\x01n\x00\x02hi")
write("fuzz_ddb_item_binary", "bytes_number", b"\x00\x01\x01n\x01\x02\x04\x12")
write("fuzz_ddb_item_binary", "bytes_list", b"\x00\x01\x01l\x08\x03\x04\x04\x03\x01")
