"""DynamoDB through the AWS CLI v2 (/usr/bin/aws, awsJson1.0), asserting on its JSON output. Each CLI start costs
several seconds, so one test makes a handful of calls.

moto 5.2.1 deviation seen: BatchWriteItem answers with ConsumedCapacity/ItemCollectionMetrics nobody asked for."""

from __future__ import annotations

import json

from ddb_e2e import unique
from sqs_e2e import CliError


def test_cli_table_and_items(aws_cli):
    name = unique("cli")
    created = aws_cli("dynamodb", "create-table", "--table-name", name,
                      "--attribute-definitions", "AttributeName=pk,AttributeType=S", "AttributeName=sk,AttributeType=N",
                      "--key-schema", "AttributeName=pk,KeyType=HASH", "AttributeName=sk,KeyType=RANGE",
                      "--billing-mode", "PAY_PER_REQUEST",
                      "--stream-specification", "StreamEnabled=true,StreamViewType=NEW_IMAGE")
    assert not isinstance(created, CliError), created
    desc = created["TableDescription"]
    assert desc["TableName"] == name and desc["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    assert desc["KeySchema"] == [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}]
    # One batch-write-item call (each CLI start costs seconds), then a single get-item.
    written = aws_cli("dynamodb", "batch-write-item", "--request-items", json.dumps({name: [
        {"PutRequest": {"Item": {"pk": {"S": "a"}, "sk": {"N": str(sk)}, "v": {"S": v}}}}
        for sk, v in ((2, "two"), (10, "ten"), (1, "one"))]}))
    assert written.get("UnprocessedItems") == {} and "ConsumedCapacity" not in written, written
    got = aws_cli("dynamodb", "get-item", "--table-name", name, "--key", json.dumps({"pk": {"S": "a"}, "sk": {"N": "10"}}))
    assert got == {"Item": {"pk": {"S": "a"}, "sk": {"N": "10"}, "v": {"S": "ten"}}}
    queried = aws_cli("dynamodb", "query", "--table-name", name, "--key-condition-expression", "pk = :p AND sk > :s",
                      "--expression-attribute-values", json.dumps({":p": {"S": "a"}, ":s": {"N": "1"}}),
                      "--no-scan-index-forward")
    assert [i["sk"]["N"] for i in queried["Items"]] == ["10", "2"]
    assert queried["Count"] == 2 and queried["ScannedCount"] == 2
    updated = aws_cli("dynamodb", "update-item", "--table-name", name,
                      "--key", json.dumps({"pk": {"S": "a"}, "sk": {"N": "1"}}),
                      "--update-expression", "SET v = :v ADD c :one",
                      "--expression-attribute-values", json.dumps({":v": {"S": "uno"}, ":one": {"N": "1"}}),
                      "--return-values", "ALL_NEW")
    assert updated["Attributes"] == {"pk": {"S": "a"}, "sk": {"N": "1"}, "v": {"S": "uno"}, "c": {"N": "1"}}
    bad = aws_cli("dynamodb", "put-item", "--table-name", name, "--item", json.dumps({"pk": {"N": "1"}, "sk": {"N": "1"}}))
    assert isinstance(bad, CliError) and bad.code == "ValidationException", bad
    assert "Type mismatch for key pk expected: S actual: N" in bad.stderr
    missing = aws_cli("dynamodb", "describe-table", "--table-name", name + "-x")
    assert isinstance(missing, CliError) and missing.code == "ResourceNotFoundException", missing
    assert f"Requested resource not found: Table: {name}-x not found" in missing.stderr
