"""No request crashes the server through its input, and every response is well-formed.

Each response here is parsed strictly: XML with xml.etree (expat refuses invalid UTF-8 and the
characters XML 1.0 forbids), JSON with json.loads after a strict UTF-8 decode. The crash cases
(std::regex recursion on long names) are followed by a request that must still be answered."""

from __future__ import annotations

import json
import time
import urllib.parse
import xml.etree.ElementTree as ET

import pytest

from conftest import boto_sqs, start_server, stop_server
from ddb_e2e import raw_call
from sqlengine_e2e import REDSHIFT_TARGET, athena_run, client, redshift_run
from sqs_e2e import NS, http_request, unique

FORM = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
SQS_JSON = {"Content-Type": "application/x-amz-json-1.0"}

# Percent-encoded byte sequences that are not valid UTF-8 (overlong '/', overlong 3-byte form, a
# surrogate, above U+10FFFF, a truncated sequence, a stray continuation byte) and characters SQS
# refuses although they are valid UTF-8 (NUL, a C0 control, U+FFFF).
INVALID_UTF8 = ["%C0%AF", "%E0%80%AF", "%ED%A0%80", "%F4%90%80%80", "%E2%82", "%80"]
FORBIDDEN_CHARACTERS = ["%00", "%01", "%EF%BF%BF"]


def strict_xml(body: bytes) -> ET.Element:
    return ET.fromstring(body)


def strict_json(body: bytes):
    return json.loads(body.decode("utf-8", errors="strict"))


def form_post(mallard, encoded_body: str, headers: dict | None = None):
    """POSTs an already percent-encoded form body (so that raw bytes reach the server as sent)."""
    return http_request(mallard.port, "POST", "/", {**FORM, **(headers or {})}, encoded_body.encode("ascii"), sign=True)


def sqs_json_post(mallard, operation: str, body: bytes):
    return http_request(mallard.port, "POST", "/", {**SQS_JSON, "X-Amz-Target": f"AmazonSQS.{operation}"}, body,
                        sign=True)


def query_error_code(response) -> str:
    root = strict_xml(response.body)
    return root.find("sqs:Error/sqs:Code", NS).text


def create_queue(mallard) -> str:
    return boto_sqs(mallard).create_queue(QueueName=unique("hard"))["QueueUrl"]


def assert_queue_still_readable(mallard, url: str, expected_bodies: list[str]):
    """boto3 parses ReceiveMessage (awsJson today) and the awsQuery XML parses strictly too."""
    messages = boto_sqs(mallard).receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0,
                                                 VisibilityTimeout=0).get("Messages", [])
    assert sorted(m["Body"] for m in messages) == sorted(expected_bodies)
    response = form_post(mallard, urllib.parse.urlencode(
        {"Action": "ReceiveMessage", "QueueUrl": url, "MaxNumberOfMessages": "10", "VisibilityTimeout": "0",
         "MessageAttributeName.1": "All"}))
    assert response.status == 200, response.body[:300]
    strict_xml(response.body)


# --- SQS message contents --------------------------------------------------------------------------


@pytest.mark.parametrize("bad", INVALID_UTF8 + FORBIDDEN_CHARACTERS)
def test_query_send_message_refuses_bytes_outside_the_sqs_character_set(mallard, bad):
    url = create_queue(mallard)
    body = "Action=SendMessage&QueueUrl=" + urllib.parse.quote(url, safe="") + "&MessageBody=a" + bad + "b"
    response = form_post(mallard, body)
    assert response.status == 400, response.body[:300]
    assert query_error_code(response) == "InvalidMessageContents"
    message = strict_xml(response.body).find("sqs:Error/sqs:Message", NS).text
    assert message.startswith("Invalid binary character '#x"), message
    assert message.endswith("was found in the message body, the set of allowed characters is #x9 | #xA | #xD | "
                            "[#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF].")
    assert_queue_still_readable(mallard, url, [])


def test_query_overlong_body_names_the_first_bad_byte(mallard):
    url = create_queue(mallard)
    response = form_post(mallard, "Action=SendMessage&QueueUrl=" + urllib.parse.quote(url, safe="") +
                         "&MessageBody=ok%C0%AF")
    assert "Invalid binary character '#xC0'" in strict_xml(response.body).find("sqs:Error/sqs:Message", NS).text


@pytest.mark.parametrize("bad", ["%C0%AF", "%ED%A0%80", "%00"])
@pytest.mark.parametrize("data_type", ["String", "Number"])
def test_query_message_attribute_values_are_checked_like_bodies(mallard, bad, data_type):
    url = create_queue(mallard)
    value = "1" + bad if data_type == "Number" else "v" + bad
    body = ("Action=SendMessage&QueueUrl=" + urllib.parse.quote(url, safe="") + "&MessageBody=fine"
            "&MessageAttribute.1.Name=attr&MessageAttribute.1.Value.DataType=" + data_type +
            "&MessageAttribute.1.Value.StringValue=" + value)
    response = form_post(mallard, body)
    assert response.status == 400, response.body[:300]
    assert query_error_code(response) == "InvalidMessageContents"
    assert "message attribute 'attr' value" in strict_xml(response.body).find("sqs:Error/sqs:Message", NS).text
    assert_queue_still_readable(mallard, url, [])


def test_query_send_message_batch_fails_only_the_bad_entry(mallard):
    url = create_queue(mallard)
    body = ("Action=SendMessageBatch&QueueUrl=" + urllib.parse.quote(url, safe="") +
            "&SendMessageBatchRequestEntry.1.Id=good&SendMessageBatchRequestEntry.1.MessageBody=fine"
            "&SendMessageBatchRequestEntry.2.Id=overlong&SendMessageBatchRequestEntry.2.MessageBody=x%C0%AFy"
            "&SendMessageBatchRequestEntry.3.Id=surrogate&SendMessageBatchRequestEntry.3.MessageBody=%ED%A0%80"
            "&SendMessageBatchRequestEntry.4.Id=attribute&SendMessageBatchRequestEntry.4.MessageBody=ok"
            "&SendMessageBatchRequestEntry.4.MessageAttribute.1.Name=a"
            "&SendMessageBatchRequestEntry.4.MessageAttribute.1.Value.DataType=String"
            "&SendMessageBatchRequestEntry.4.MessageAttribute.1.Value.StringValue=%E2%82")
    response = form_post(mallard, body)
    assert response.status == 200, response.body[:300]
    result = strict_xml(response.body).find("sqs:SendMessageBatchResult", NS)
    assert [e.find("sqs:Id", NS).text for e in result.findall("sqs:SendMessageBatchResultEntry", NS)] == ["good"]
    failed = {e.find("sqs:Id", NS).text: e for e in result.findall("sqs:BatchResultErrorEntry", NS)}
    assert set(failed) == {"overlong", "surrogate", "attribute"}
    for entry in failed.values():
        assert entry.find("sqs:Code", NS).text == "InvalidMessageContents"
        assert entry.find("sqs:SenderFault", NS).text == "true"
    assert_queue_still_readable(mallard, url, ["fine"])


@pytest.mark.parametrize("escaped", ["\\u0000", "\\u0008", "\\uffff"])
def test_json_send_message_refuses_forbidden_characters(mallard, escaped):
    url = create_queue(mallard)
    body = ('{"QueueUrl": %s, "MessageBody": "a%sb"}' % (json.dumps(url), escaped)).encode()
    response = sqs_json_post(mallard, "SendMessage", body)
    assert response.status == 400, response.body[:300]
    assert strict_json(response.body)["__type"] == "com.amazonaws.sqs#InvalidMessageContents"
    assert_queue_still_readable(mallard, url, [])


@pytest.mark.parametrize("raw", [b"\xc0\xaf", b"\xed\xa0\x80", b"\xe2\x82", b"\\ud800"])
def test_json_send_message_with_invalid_utf8_is_refused_with_a_parseable_error(mallard, raw):
    url = create_queue(mallard)
    body = b'{"QueueUrl": ' + json.dumps(url).encode() + b', "MessageBody": "a' + raw + b'b"}'
    response = sqs_json_post(mallard, "SendMessage", body)
    assert response.status == 400, response.body[:300]
    assert strict_json(response.body)["__type"].endswith(("SerializationException", "InvalidMessageContents"))
    assert_queue_still_readable(mallard, url, [])


def test_json_send_message_batch_fails_only_the_bad_entry(mallard):
    url = create_queue(mallard)
    entries = '[{"Id": "good", "MessageBody": "fine"}, {"Id": "nul", "MessageBody": "x\\u0000"},' \
              ' {"Id": "attr", "MessageBody": "ok", "MessageAttributes": {"a": {"DataType": "String",' \
              ' "StringValue": "\\u0001"}}}]'
    body = ('{"QueueUrl": %s, "Entries": %s}' % (json.dumps(url), entries)).encode()
    response = sqs_json_post(mallard, "SendMessageBatch", body)
    assert response.status == 200, response.body[:300]
    out = strict_json(response.body)
    assert [e["Id"] for e in out["Successful"]] == ["good"]
    assert sorted((e["Id"], e["Code"], e["SenderFault"]) for e in out["Failed"]) == [
        ("attr", "InvalidMessageContents", True), ("nul", "InvalidMessageContents", True)]
    assert_queue_still_readable(mallard, url, ["fine"])


def test_valid_text_from_every_plane_still_round_trips(mallard):
    url = create_queue(mallard)
    text = "tab\t lf\n cr\r caf\u00e9 \ud7ff \ue000 \ufffd \U0001f600 \U0010ffff"
    boto_sqs(mallard).send_message(QueueUrl=url, MessageBody=text, MessageAttributes={
        "a": {"DataType": "String", "StringValue": text}})
    assert_queue_still_readable(mallard, url, [text])


# --- SQS tags and awsQuery errors ------------------------------------------------------------------


@pytest.mark.parametrize("bad", ["%00", "%C0%AF", "%0B"])
@pytest.mark.parametrize("where", ["key", "value"])
def test_tag_queue_refuses_characters_a_response_cannot_carry(mallard, bad, where):
    url = create_queue(mallard)
    key, value = ("k" + bad, "v") if where == "key" else ("k", "v" + bad)
    response = form_post(mallard, "Action=TagQueue&QueueUrl=" + urllib.parse.quote(url, safe="") +
                         "&Tag.1.Key=" + key + "&Tag.1.Value=" + value)
    assert response.status == 400, response.body[:300]
    assert query_error_code(response) == "InvalidParameterValue"
    # The queue's tags stay readable by both protocols.
    assert boto_sqs(mallard).list_queue_tags(QueueUrl=url).get("Tags", {}) == {}
    listed = form_post(mallard, "Action=ListQueueTags&QueueUrl=" + urllib.parse.quote(url, safe=""))
    strict_xml(listed.body)


def test_create_queue_tags_are_checked_too(mallard):
    name = unique("hard")
    response = form_post(mallard, "Action=CreateQueue&QueueName=" + name + "&Tag.1.Key=k%00&Tag.1.Value=v")
    assert response.status == 400, response.body[:300]
    assert query_error_code(response) == "InvalidParameterValue"


def test_tag_lengths_count_characters_not_bytes(mallard):
    url = create_queue(mallard)
    sqs = boto_sqs(mallard)
    sqs.tag_queue(QueueUrl=url, Tags={"\u00e9" * 128: "\u00e9" * 256})
    assert sqs.list_queue_tags(QueueUrl=url)["Tags"] == {"\u00e9" * 128: "\u00e9" * 256}


@pytest.mark.parametrize("action", ["List%00Queues", "X%C0%AF", "%01%02%03", "%ED%A0%80", "%EF%BF%BE"])
def test_query_errors_echoing_the_action_are_well_formed(mallard, action):
    response = form_post(mallard, "Action=" + action + "&Version=2012-11-05")
    assert response.status == 400
    root = strict_xml(response.body)
    assert root.find(".//{*}Code").text == "InvalidAction"
    # With Accept: application/json, whichever shape answers parses strictly.
    answer = form_post(mallard, "Action=" + action + "&Version=2012-11-05", {"Accept": "application/json"})
    strict_json(answer.body) if "json" in answer.headers.get("content-type", "") else strict_xml(answer.body)


@pytest.mark.parametrize("bad", ["%00", "%C0%AF", "%ED%A0%80"])
def test_query_json_errors_echoing_client_bytes_are_valid_json(mallard, bad):
    url = create_queue(mallard)
    response = form_post(mallard, "Action=GetQueueAttributes&QueueUrl=" + urllib.parse.quote(url, safe="") +
                         "&AttributeName.1=Policy" + bad, {"Accept": "application/json"})
    assert response.status == 400, response.body[:300]
    assert "json" in response.headers.get("content-type", "")
    assert strict_json(response.body)["Error"]["Code"] == "InvalidAttributeName"


def test_query_error_for_a_queue_url_with_bad_bytes_is_well_formed(mallard):
    response = form_post(mallard, "Action=GetQueueAttributes&QueueUrl=http%3A%2F%2Flocalhost%2F000000000000%2Fq%00%C0")
    assert response.status == 400
    strict_xml(response.body)


# --- DynamoDB (awsJson) and PartiQL ----------------------------------------------------------------


def test_partiql_error_quotes_whole_characters(mallard):
    response = raw_call(mallard.port, "ExecuteStatement", {"Statement": "SELECT * FROM t WHERE a = \u00e9\u00e9"})
    assert response.status == 400
    message = strict_json(response.body)["message"]
    assert message == "Statement wasn't well formed, can't be processed: unexpected character '\u00e9'"


@pytest.mark.parametrize("raw", [b'"t\\u0000"', b'"t\\ud800"', b'"t\xc0\xaf"', b'"' + b"\xe2" * 3 + b'"'])
def test_dynamodb_errors_echoing_bad_names_are_valid_json(mallard, raw):
    response = raw_call(mallard.port, "DescribeTable", b'{"TableName": ' + raw + b'}')
    assert response.status == 400, response.body[:300]
    strict_json(response.body)
    # The server still answers.
    assert raw_call(mallard.port, "ListTables", {}).status == 200


# --- Athena and Redshift Data: no std::regex on client input ---------------------------------------


@pytest.fixture
def athena(mallard):
    return client("athena", mallard.endpoint)


@pytest.fixture
def redshift(mallard):
    return client("redshift-data", mallard.endpoint)


def test_redshift_parameter_name_of_forty_thousand_characters(mallard, redshift):
    name = "a" * 40000 + "-"
    response = raw_call(mallard.port, "ExecuteStatement",
                        {"Sql": "SELECT 1", **REDSHIFT_TARGET, "Parameters": [{"name": name, "value": "1"}]},
                        prefix="RedshiftData")
    assert response.status == 400, response.body[:300]
    body = strict_json(response.body)
    assert body["__type"].endswith("ValidationException")
    assert "Member must satisfy regular expression pattern: ^[0-9a-zA-Z_]+$" in body["message"]
    # A valid long name is accepted by the pattern check, and the server keeps answering.
    described = redshift_run(redshift, "SELECT :" + "b" * 40000 + " AS v", [{"name": "b" * 40000, "value": "7"}])
    assert described["Status"] in ("FINISHED", "FAILED")
    assert redshift_run(redshift, "SELECT 1")["Status"] == "FINISHED"


def test_athena_expression_with_a_sixty_thousand_character_table_name(athena):
    long_name = "a" * 60000
    created = athena_run(athena, f'CREATE TABLE "{long_name}" AS SELECT 1 AS x')
    assert created["Status"]["State"] == "SUCCEEDED", created["Status"]
    assert athena_run(athena, "CREATE TABLE fruit AS SELECT 1 AS x")["Status"]["State"] == "SUCCEEDED"
    listed = athena.list_table_metadata(CatalogName="AwsDataCatalog", DatabaseName="default",
                                        Expression="a*")["TableMetadataList"]
    assert [len(t["Name"]) for t in listed] == [60000]
    started = time.monotonic()
    listed = athena.list_table_metadata(CatalogName="AwsDataCatalog", DatabaseName="default",
                                        Expression="*" * 100 + "b")["TableMetadataList"]
    assert listed == [] and time.monotonic() - started < 10


def test_athena_expression_semantics(athena):
    for name in ("fruit", "fruit_2024", "veg", "Flowers"):
        assert athena_run(athena, f"CREATE TABLE {name} AS SELECT 1 AS x")["Status"]["State"] == "SUCCEEDED"

    def names(expression: str) -> list[str]:
        tables = athena.list_table_metadata(CatalogName="AwsDataCatalog", DatabaseName="default",
                                            Expression=expression)["TableMetadataList"]
        return sorted(t["Name"] for t in tables)

    assert names("fruit*") == ["fruit", "fruit_2024"]
    assert names("fruit.*") == ["fruit", "fruit_2024"]
    assert names("FRUIT") == ["fruit"]
    # Case-insensitive; Athena stores (and lists) table names lower-cased (issue 15).
    assert names("veg|fl*") == ["flowers", "veg"]
    assert names("v.g") == ["veg"]
    assert names("*_20??") == []  # `?` is literal, not a wildcard
    assert names("") == ["flowers", "fruit", "fruit_2024", "veg"]


def test_athena_expression_longer_than_the_model_allows(athena):
    with pytest.raises(athena.exceptions.InvalidRequestException) as excinfo:
        athena.list_table_metadata(CatalogName="AwsDataCatalog", DatabaseName="default", Expression="a" * 257)
    assert "Member must have length less than or equal to 256" in str(excinfo.value)
    # Lengths count characters, as Smithy does: 256 two-byte characters are within the bound.
    assert athena.list_table_metadata(CatalogName="AwsDataCatalog", DatabaseName="default",
                                      Expression="\u00e9" * 256)["TableMetadataList"] == []
    with pytest.raises(athena.exceptions.InvalidRequestException):
        athena.list_table_metadata(CatalogName="AwsDataCatalog", DatabaseName="default", Expression="\u00e9" * 257)


def test_redshift_like_patterns_on_long_names_stay_fast(redshift):
    long_name = "t" * 60000
    assert redshift_run(redshift, f'CREATE TABLE "{long_name}" (x INT)')["Status"] == "FINISHED"
    started = time.monotonic()
    tables = redshift.list_tables(**REDSHIFT_TARGET, TablePattern="%" * 40 + "x")["Tables"]
    assert tables == [] and time.monotonic() - started < 10
    tables = redshift.list_tables(**REDSHIFT_TARGET, TablePattern="t%t")["Tables"]
    assert [len(t["name"]) for t in tables] == [60000]


# --- the lake's time-travel rewrite ----------------------------------------------------------------


def test_time_travel_rewrite_with_a_sixty_thousand_character_identifier(tmp_path):
    from test_lake import lake_cli, write_csv

    catalog = str(tmp_path / "lake.duckdb")
    lake_cli(catalog, "load", "fruit", str(write_csv(tmp_path / "a.csv", "id,name", ["1,apple", "2,pear"])))
    server = start_server(tmp_path / "mallard.log", ["--lake-catalog", catalog])
    try:
        athena = client("athena", server.endpoint)
        long_name = "x" * 60000
        failed = athena_run(athena, f'SELECT * FROM lake."{long_name}" AT (VERSION => 1)')
        assert failed["Status"]["State"] == "FAILED"
        failed = athena_run(athena, f'SELECT * FROM "{long_name}".fruit AT (VERSION => 1)')
        assert failed["Status"]["State"] == "FAILED"
        # Time travel inside a string literal is text, not a table reference.
        done = athena_run(athena, "SELECT 'lake.fruit AT (VERSION => 1)' AS s")
        assert done["Status"]["State"] == "SUCCEEDED"
        rows = athena.get_query_results(QueryExecutionId=done["QueryExecutionId"])["ResultSet"]["Rows"]
        assert rows[1]["Data"][0]["VarCharValue"] == "lake.fruit AT (VERSION => 1)"
        # The rewrite still works, with and without an alias, quoted or not.
        for sql in ('SELECT count(*) AS n FROM lake.fruit AT (VERSION => 1)',
                    'SELECT count(*) AS n FROM "lake"."fruit" at (version => 1) f WHERE f.id > 0',
                    "SELECT count(*) AS n FROM lake.fruit AT (TIMESTAMP => '2999-01-01 00:00:00+00')"):
            done = athena_run(athena, sql)
            assert done["Status"]["State"] == "SUCCEEDED", (sql, done["Status"])
            rows = athena.get_query_results(QueryExecutionId=done["QueryExecutionId"])["ResultSet"]["Rows"]
            assert rows[1]["Data"][0]["VarCharValue"] == "2", sql
    finally:
        rc, _ = stop_server(server)
    assert rc == 0
