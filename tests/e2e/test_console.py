"""The web console at /_mallard/console: its files as served (types, caching, no traversal), and
every page in headless Chromium — it loads, lists what boto3 created, and each action (send, peek,
purge, redrive, edit an item, run a query, upload, ...) changes state as boto3 then confirms.
A screenshot of each page goes to BUILD_DIR/console-screenshots/."""

from __future__ import annotations

import json
import time

import pytest

import ddb_e2e
from conftest import start_server, stop_server
from console_e2e import ConsoleBrowser
from pipe_e2e import database, lake_catalog, postgres  # noqa: F401 (fixtures of the hosted-pipe test)
from sqs_e2e import http_request


@pytest.fixture(scope="module")
def console(mallard, tmp_path_factory):
    browser = ConsoleBrowser(mallard.port, tmp_path_factory.mktemp("downloads"),
                             tmp_path_factory.mktemp("browser") / "driver.log")
    yield browser
    browser.close()


@pytest.fixture(autouse=True)
def _no_page_errors(request):
    """No uncaught script error or console error in the page during a browser test."""
    yield
    if "console" in request.fixturenames:
        errors = request.getfixturevalue("console").page_errors()
        # The browser logs each failed request (4xx/5xx) as a console error: those are the API's
        # answers the tests provoke on purpose, not script errors.
        errors = [e for e in errors if "Failed to load resource" not in e]
        assert errors == [], errors


def wait_until(predicate, timeout: float = 15.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}", pytrace=False)
        time.sleep(0.2)


# ---- the files ---------------------------------------------------------------------------------

def test_console_files_are_served_with_types_caching_and_no_traversal(mallard):
    redirect = http_request(mallard.port, "GET", "/_mallard/console")
    assert redirect.status == 308 and redirect.headers["location"] == "/_mallard/console/"

    index = http_request(mallard.port, "GET", "/_mallard/console/")
    assert index.status == 200
    assert index.headers["content-type"] == "text/html; charset=utf-8"
    assert index.headers["cache-control"] == "no-cache"
    assert index.headers["x-content-type-options"] == "nosniff"
    assert index.headers["x-frame-options"] == "DENY"
    policy = index.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in policy and "connect-src 'self'" in policy
    script_src = next(part for part in policy.split(";") if part.strip().startswith("script-src"))
    assert "unsafe-inline" not in script_src and "'sha256-" in script_src  # the import map, by its hash
    body = index.body.decode() if isinstance(index.body, bytes) else index.body
    assert '<script type="importmap">' in body and "app.js" in body
    assert "cdn" not in body.lower() and "https://" not in body  # works with no internet access

    etag = index.headers["etag"]
    assert etag.startswith('"') and etag.endswith('"')
    assert http_request(mallard.port, "GET", "/_mallard/console/", headers={"If-None-Match": etag}).status == 304
    assert http_request(mallard.port, "GET", "/_mallard/console/", headers={"If-None-Match": 'W/' + etag}).status == 304
    assert http_request(mallard.port, "GET", "/_mallard/console/", headers={"If-None-Match": '"other"'}).status == 200

    for path, content_type in [("/_mallard/console/index.html", "text/html; charset=utf-8"),
                               ("/_mallard/console/app.js", "text/javascript; charset=utf-8"),
                               ("/_mallard/console/styles.css", "text/css; charset=utf-8"),
                               ("/_mallard/console/favicon.svg", "image/svg+xml"),
                               ("/_mallard/console/vendor/preact.module.js", "text/javascript; charset=utf-8"),
                               ("/_mallard/console/vendor/hooks.module.js", "text/javascript; charset=utf-8"),
                               ("/_mallard/console/vendor/htm.module.js", "text/javascript; charset=utf-8"),
                               ("/_mallard/console/vendor/LICENSE-preact.txt", "text/plain; charset=utf-8")]:
        response = http_request(mallard.port, "GET", path)
        assert response.status == 200, path
        assert response.headers["content-type"] == content_type, path
        assert len(response.body) > 0, path

    head = http_request(mallard.port, "HEAD", "/_mallard/console/app.js")
    assert head.status == 200 and head.body in (b"", "")

    for path in ["/_mallard/console/../health", "/_mallard/console/lib/../app.js", "/_mallard/console//app.js",
                 "/_mallard/console/%2e%2e/health", "/_mallard/console/lib/%2e%2e/app.js", "/_mallard/console/nope.js",
                 "/_mallard/console/CMakeLists.txt", "/_mallard/console/package.json", "/_mallard/console/README.md",
                 "/_mallard/console/../../etc/passwd", "/_mallard/console/app.js%00.html", "/_mallard/consolex"]:
        response = http_request(mallard.port, "GET", path)
        assert response.status == 404, (path, response.status)

    post = http_request(mallard.port, "POST", "/_mallard/console/app.js", body=b"x")
    assert post.status == 405 and post.headers["allow"] == "GET, HEAD"


# ---- shell and overview --------------------------------------------------------------------------

def test_overview_shows_services_stores_health_and_build(console, mallard):
    console.goto("overview")
    console.wait_text("services", "sqs")
    services = console.text("services")
    health = json.loads(http_request(mallard.port, "GET", "/_mallard/health").body)
    for name, entry in health["services"].items():
        assert name in services
        assert entry["backend"] in services
    assert console.text("server-status") == health["status"]
    console.wait_text("build-info", health["version"])
    # The request-rate chart when the server has /_mallard/metrics, else a note saying there is none.
    has_metrics = http_request(mallard.port, "GET", "/_mallard/metrics").status == 200
    console.wait_text("css:main", "Requests (last minutes)" if has_metrics else "no request-rate chart")
    if has_metrics:
        # Requests and errors made now show up in the chart's totals at its next scrape (every 5 s).
        errors = int(console.text("metrics-errors"))
        sqs = sqs_client(mallard)
        for _ in range(3):
            with pytest.raises(Exception):
                sqs.get_queue_url(QueueName="console-no-such-queue")
        assert console.evaluate("""(async () => {
          const start = Number(document.querySelector('[data-testid=metrics-errors]').innerText);
          for (let i = 0; i < 150; i++) {
            if (Number(document.querySelector('[data-testid=metrics-errors]').innerText) >= start + 3) return true;
            await new Promise((r) => setTimeout(r, 100));
          }
          return false;
        })()""".replace("start + 3", f"{errors} + 3"), answer_within=30)
        console.evaluate("new Promise((r) => setTimeout(r, 5500))", answer_within=30)  # a second point: a line
    console.screenshot("overview")


def test_scope_picker_switches_region_and_account(console, mallard):
    other = ddb_e2e._client("sqs", mallard.endpoint)  # us-east-1, account 000000000000
    other.create_queue(QueueName="console-east")
    import boto3
    west = boto3.client("sqs", endpoint_url=mallard.endpoint, region_name="eu-west-1",
                        aws_access_key_id="111122223333", aws_secret_access_key="x")
    west.create_queue(QueueName="console-west-111122223333")
    console.goto("sqs")
    console.wait_text("sqs-queues", "console-east")
    console.fill("scope-account", "12345")
    console.click("scope-apply")
    console.wait_text("scope-invalid", "12 digits")
    console.select("scope-region", "eu-west-1")
    console.fill("scope-account", "111122223333")
    console.click("scope-apply")
    console.wait_text("sqs-queues", "console-west-111122223333")
    assert "console-east" not in console.text("sqs-queues")
    console.wait_text("identity", "111122223333")
    console.select("scope-region", "us-east-1")
    console.fill("scope-account", "000000000000")
    console.click("scope-apply")
    console.wait_text("sqs-queues", "console-east")


# ---- SQS ---------------------------------------------------------------------------------------

def sqs_client(mallard):
    return ddb_e2e._client("sqs", mallard.endpoint)


def sqs_json(mallard, operation: str, body: dict) -> dict:
    """An SQS awsJson call over raw HTTP (Debian's botocore predates the message move task API)."""
    response = http_request(mallard.port, "POST", "/", body=json.dumps(body).encode(), headers={
        "Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": f"AmazonSQS.{operation}"})
    assert response.status == 200, response.body[:300]
    return json.loads(response.body)


def test_sqs_page_send_peek_purge_delete(console, mallard):
    sqs = sqs_client(mallard)
    url = sqs.create_queue(QueueName="console-orders")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="created by boto3")

    console.goto("sqs")
    console.wait_text("sqs-queues", "console-orders")
    console.wait_text("sqs-visible-console-orders", "1")
    console.click("css:[data-queue='console-orders']")
    console.wait_text("sqs-attributes", "arn:aws:sqs:us-east-1:000000000000:console-orders")

    # Send, with a message attribute.
    console.fill("sqs-send-body", "sent from the console")
    console.click("sqs-attr-add")
    console.fill("sqs-attr-name-0", "color")
    console.fill("sqs-attr-value-0", "blue")
    console.click("sqs-send-submit")
    console.wait_text("sqs-send", "Sent message")
    wait_until(lambda: sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
               ["Attributes"]["ApproximateNumberOfMessages"] == "2", what="the sent message")
    console.wait_text("sqs-visible-console-orders", "2")  # the live count refreshes by itself

    # Peek: both messages, the attribute shown, and nothing received.
    console.click("sqs-peek-run")
    console.wait_text("sqs-peek-messages", "sent from the console")
    peeked = console.text("sqs-peek-messages")
    assert "created by boto3" in peeked and "color=blue" in peeked
    console.screenshot("sqs")
    received = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"],
                                   MessageAttributeNames=["All"], VisibilityTimeout=0)["Messages"]
    assert sorted(m["Body"] for m in received) == ["created by boto3", "sent from the console"]
    assert all(m["Attributes"]["ApproximateReceiveCount"] == "1" for m in received)  # the peek received none
    sent = next(m for m in received if m["Body"] == "sent from the console")
    assert sent["MessageAttributes"] == {"color": {"StringValue": "blue", "DataType": "String"}}

    # Purge.
    console.click("sqs-purge")
    wait_until(lambda: sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
               ["ApproximateNumberOfMessages"] == "0", what="the purge")
    console.wait_text("sqs-visible-console-orders", "0")

    # Delete.
    console.click("sqs-delete")
    wait_until(lambda: "console-orders" not in " ".join(sqs.list_queues().get("QueueUrls", [])), what="the delete")
    console.wait_gone("css:[data-queue='console-orders']")


def test_sqs_many_queues_are_capped_and_filtered_and_fifo_send(console, mallard):
    sqs = sqs_client(mallard)
    for i in range(105):
        sqs.create_queue(QueueName=f"bulk-{i:03d}")
    fifo = sqs.create_queue(QueueName="console-orders.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
    console.goto("sqs")
    console.wait_text("sqs-capped", "Showing the first 100 of 106 queues")
    console.fill("sqs-prefix", "console-")
    console.wait_text("sqs-queues", "console-orders.fifo")
    console.wait_gone("sqs-capped")
    assert "bulk-" not in console.text("sqs-queues")
    console.click("css:[data-queue='console-orders.fifo']")
    console.fill("sqs-send-body", "fifo from the console")
    console.fill("sqs-send-group", "group-7")
    console.click("sqs-attr-add")
    console.fill("sqs-attr-name-0", "amount")
    console.select("sqs-attr-type-0", "Number")
    console.fill("sqs-attr-value-0", "42.5")
    console.click("sqs-send-submit")
    # No deduplication ID and no content-based deduplication: SQS's own error as its JSON protocol
    # gives it (the console speaks awsJson, whose codes end in "Exception").
    refused = http_request(mallard.port, "POST", "/", body=json.dumps({
        "QueueUrl": fifo, "MessageBody": "x", "MessageGroupId": "g"}).encode(), headers={
        "Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "AmazonSQS.SendMessage"})
    assert refused.status == 400
    error = json.loads(refused.body)
    console.wait_text(f"css:[data-testid='sqs-send'] [data-error-code='{error['__type'].split('#')[-1]}']", error["message"])
    sqs.set_queue_attributes(QueueUrl=fifo, Attributes={"ContentBasedDeduplication": "true"})
    console.click("sqs-attr-add")
    console.fill("sqs-attr-name-1", "blob")
    console.select("sqs-attr-type-1", "Binary")
    console.fill("sqs-attr-value-1", "bytes ü")
    console.click("sqs-send-submit")
    console.wait_text("sqs-send", "Sent message")
    got = sqs.receive_message(QueueUrl=fifo, AttributeNames=["All"], MessageAttributeNames=["All"])["Messages"][0]
    assert got["Body"] == "fifo from the console" and got["Attributes"]["MessageGroupId"] == "group-7"
    assert got["MessageAttributes"] == {"amount": {"StringValue": "42.5", "DataType": "Number"},
                                        "blob": {"BinaryValue": "bytes ü".encode(), "DataType": "Binary"}}


def test_sqs_redrive_start_and_cancel(console, mallard):
    sqs = sqs_client(mallard)
    dlq = sqs.create_queue(QueueName="console-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    source = sqs.create_queue(QueueName="console-source", Attributes={
        "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "1"})})["QueueUrl"]
    source_arn = sqs.get_queue_attributes(QueueUrl=source, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    for i in range(3):
        sqs.send_message(QueueUrl=dlq, MessageBody=f"dead {i}")

    console.goto("sqs/console-dlq")
    console.wait_text("sqs-redrive", "Dead-letter queue of: console-source")
    console.select("sqs-redrive-destination", source_arn)
    console.click("sqs-redrive-start")
    console.wait_text("sqs-redrive-tasks", "COMPLETED", timeout=30000)
    counts = sqs.get_queue_attributes(QueueUrl=source, AttributeNames=["ApproximateNumberOfMessages"])["Attributes"]
    assert counts["ApproximateNumberOfMessages"] == "3"
    assert sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["ApproximateNumberOfMessages"])[
        "Attributes"]["ApproximateNumberOfMessages"] == "0"

    # A slow task (1 message/s) is cancelled from the console.
    for start in range(0, 60, 10):
        sqs.send_message_batch(QueueUrl=dlq, Entries=[{"Id": str(i), "MessageBody": f"slow {start + i}"} for i in range(10)])
    console.select("sqs-redrive-destination", source_arn)
    console.fill("css:[data-testid='sqs-redrive'] input[type=number]", "1")
    console.click("sqs-redrive-start")
    console.click("sqs-redrive-cancel", timeout=20000)
    wait_until(lambda: sqs_json(mallard, "ListMessageMoveTasks", {"SourceArn": dlq_arn})["Results"][0]["Status"] in ("CANCELLING", "CANCELLED"),
               what="the cancelled move task")
    console.wait_text("sqs-redrive-tasks", "CANCEL")
    console.screenshot("sqs-redrive")


# ---- DynamoDB ----------------------------------------------------------------------------------

def make_items_table(dynamodb, name: str, items: int):
    dynamodb.create_table(
        TableName=name, BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "N"},
                              {"AttributeName": "color", "AttributeType": "S"}],
        GlobalSecondaryIndexes=[{"IndexName": "by-color", "KeySchema": [{"AttributeName": "color", "KeyType": "HASH"}],
                                 "Projection": {"ProjectionType": "ALL"}}],
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"})
    dynamodb.get_waiter("table_exists").wait(TableName=name, WaiterConfig={"Delay": 0.2, "MaxAttempts": 100})
    for start in range(0, items, 25):
        dynamodb.batch_write_item(RequestItems={name: [{"PutRequest": {"Item": {
            "pk": {"S": f"p{i % 10}"}, "sk": {"N": str(i)}, "color": {"S": ["red", "green", "blue"][i % 3]},
            "label": {"S": f"item {i}"}}}} for i in range(start, min(items, start + 25))]})


def test_dynamodb_tables_details_paging_and_query(console, dynamodb):
    make_items_table(dynamodb, "console-items", 250)
    dynamodb.update_time_to_live(TableName="console-items", TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires"})

    console.goto("dynamodb")
    console.wait_text("ddb-tables", "console-items")
    console.click("css:[data-testid='ddb-tables'] tr", text="console-items")
    # The first page of a scan (200 items), then the next from LastEvaluatedKey.
    console.wait_text("ddb-count", "200 items loaded in 1 page(s)")
    console.click("ddb-more")
    console.wait_text("ddb-count", "250 items loaded in 2 page(s) (250 scanned) · all loaded")
    console.screenshot("dynamodb-items")

    console.click("tab-details")
    console.wait_text("ddb-keys", "pk (partition), sk (sort)")
    console.wait_text("ddb-indexes", "by-color")
    console.wait_text("ddb-stream", "NEW_AND_OLD_IMAGES")
    console.wait_text("ddb-ttl", "ENABLED on expires")
    console.screenshot("dynamodb-details")

    console.click("tab-items")
    console.select("ddb-mode", "Query")
    console.fill("ddb-key-condition", "pk = :pk AND sk < :top")
    console.fill("ddb-values", '{":pk": {"S": "p3"}, ":top": {"N": "100"}}')
    console.click("ddb-run")
    expected = dynamodb.query(TableName="console-items", KeyConditionExpression="pk = :pk AND sk < :top",
                              ExpressionAttributeValues={":pk": {"S": "p3"}, ":top": {"N": "100"}})["Count"]
    console.wait_text("ddb-count", f"{expected} items loaded in 1 page(s)")
    # A query on the index with a filter.
    console.select("ddb-index", "by-color")
    console.fill("ddb-key-condition", "color = :c")
    console.fill("ddb-filter", "sk >= :low")
    console.fill("ddb-values", '{":c": {"S": "blue"}, ":low": {"N": "200"}}')
    console.click("ddb-run")
    expected = dynamodb.query(TableName="console-items", IndexName="by-color", KeyConditionExpression="color = :c",
                              FilterExpression="sk >= :low",
                              ExpressionAttributeValues={":c": {"S": "blue"}, ":low": {"N": "200"}})["Count"]
    console.wait_text("ddb-count", f"{expected} items loaded in 1 page(s)")
    # DynamoDB's own error for a bad expression, as it words it.
    console.fill("ddb-key-condition", "colour = :c")
    console.click("ddb-run")
    console.wait_text("css:[data-error-code='ValidationException']", "ValidationException")

    console.click("tab-stream")
    console.wait_text("ddb-stream-records", "INSERT")
    console.screenshot("dynamodb-stream")


def test_dynamodb_item_edit_create_delete_and_validation_errors(console, dynamodb_nv):
    dynamodb = dynamodb_nv
    make_items_table(dynamodb, "console-edit", 3)
    console.goto("dynamodb/console-edit")
    console.wait_text("ddb-count", "3 items loaded")

    # Edit the first row's item: add an attribute and save (PutItem of the whole item).
    console.click("css:[data-testid='ddb-item-list'] .vrow[data-index='0']")
    original = json.loads(console.evaluate("document.querySelector('[data-testid=ddb-item-json]').value"))
    key = {"pk": original["pk"], "sk": original["sk"]}
    edited = dict(original, note={"S": "edited in the console"}, tags={"SS": ["a", "b"]})
    console.fill("ddb-item-json", json.dumps(edited))
    console.click("ddb-item-save")
    console.wait_gone("ddb-item-editor")
    stored = dynamodb.get_item(TableName="console-edit", Key=key)["Item"]
    assert stored["note"] == {"S": "edited in the console"} and sorted(stored["tags"]["SS"]) == ["a", "b"]
    console.screenshot("dynamodb-edit")

    # Invalid items: the page shows DynamoDB's validation error exactly as boto3 gets it.
    bad_items = [
        {"pk": {"S": "only-partition"}},                            # missing sort key
        {"pk": {"S": "x"}, "sk": {"S": "not a number type"}},       # key type mismatch
        {"pk": {"S": "x"}, "sk": {"N": "1"}, "set": {"SS": []}},    # empty set
    ]
    for bad in bad_items:
        with pytest.raises(Exception) as raised:
            dynamodb.put_item(TableName="console-edit", Item=bad)
        boto_error = raised.value.response["Error"]
        console.click("ddb-new-item")
        console.fill("ddb-item-json", json.dumps(bad))
        console.click("ddb-item-save")
        console.wait_text(f"css:[data-error-code='{boto_error['Code']}']", boto_error["Message"])
        console.click("css:[data-testid='ddb-item-editor'] button[aria-label=Close]")
    # Not JSON at all: said before anything is sent.
    console.click("ddb-new-item")
    console.fill("ddb-item-json", "{not json")
    console.click("ddb-item-save")
    console.wait_text("css:[data-error-code='InvalidJSON']", "Item:")
    console.screenshot("dynamodb-validation-error")

    # Create.
    console.fill("ddb-item-json", json.dumps({"pk": {"S": "created"}, "sk": {"N": "42"}, "color": {"S": "teal"},
                                              "nested": {"M": {"deep": {"L": [{"N": "1"}, {"BOOL": True}]}}}}))
    console.click("ddb-item-save")
    console.wait_gone("ddb-item-editor")
    created = dynamodb.get_item(TableName="console-edit", Key={"pk": {"S": "created"}, "sk": {"N": "42"}})["Item"]
    assert created["nested"] == {"M": {"deep": {"L": [{"N": "1"}, {"BOOL": True}]}}}
    console.wait_text("ddb-count", "4 items loaded")

    # Delete the edited item.
    console.click("css:[data-testid='ddb-item-list'] .vrow", text="edited in the console")
    console.click("ddb-item-delete")
    console.wait_gone("ddb-item-editor")
    assert "Item" not in dynamodb.get_item(TableName="console-edit", Key=key)
    console.wait_text("ddb-count", "3 items loaded")

    # Saving under a changed key asks first (it writes a second item), then both items exist.
    console.call("dialogs")
    console.click("css:[data-testid='ddb-item-list'] .vrow", text="teal")
    moved = json.loads(console.evaluate("document.querySelector('[data-testid=ddb-item-json]').value"))
    moved["sk"] = {"N": "43"}
    console.fill("ddb-item-json", json.dumps(moved))
    console.click("ddb-item-save")
    console.wait_gone("ddb-item-editor")
    assert any("The key changed" in d for d in console.call("dialogs"))
    for sort_key in ("42", "43"):
        assert "Item" in dynamodb.get_item(TableName="console-edit", Key={"pk": {"S": "created"}, "sk": {"N": sort_key}})


def test_dynamodb_virtualised_list_stays_fast_at_100k_items(console, dynamodb):
    """100,000 items loaded page by page (1,000 per Scan) into the list: the page keeps only the
    rows in view in the DOM, and a jump to the end renders within a frame budget."""
    import concurrent.futures
    total = 100_000
    dynamodb.create_table(TableName="console-big", BillingMode="PAY_PER_REQUEST",
                          KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                          AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}])
    dynamodb.get_waiter("table_exists").wait(TableName="console-big", WaiterConfig={"Delay": 0.2, "MaxAttempts": 100})

    def write(start: int):
        for chunk in range(start, min(total, start + 5000), 25):
            dynamodb.batch_write_item(RequestItems={"console-big": [{"PutRequest": {"Item": {
                "pk": {"S": f"k{i:06d}"}, "n": {"N": str(i)}}}} for i in range(chunk, chunk + 25)]})

    written = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        list(pool.map(write, range(0, total, 5000)))
    print(f"100k items written in {time.monotonic() - written:.1f}s")

    console.goto("dynamodb/console-big")
    console.wait_text("ddb-count", "items loaded")
    console.select("ddb-page-size", "1000")
    console.click("ddb-run")
    console.wait_text("ddb-count", "1000 items loaded in 1 page(s)")
    started = time.monotonic()
    # Scrolling to the end of the list asks for the next page (onEndReached), until all are in.
    loaded_all = console.evaluate("""(async () => {
      const viewport = document.querySelector('[data-testid=ddb-item-list] .vviewport');
      const count = () => document.querySelector('[data-testid=ddb-count]').innerText;
      const deadline = performance.now() + 240000;
      while (performance.now() < deadline) {
        if (count().includes('all loaded')) return true;
        if (!count().includes('loading')) {
          viewport.scrollTop = viewport.scrollHeight;
          viewport.dispatchEvent(new Event('scroll'));
        }
        await new Promise((r) => setTimeout(r, 20));
      }
      return false;
    })()""", answer_within=260)
    assert loaded_all
    # 100 full pages, and DynamoDB may answer a 101st, empty one after a page that ended exactly at the end.
    console.wait_text("ddb-count", f"{total} items loaded in 10")
    load_seconds = time.monotonic() - started
    rows_in_dom = console.evaluate("document.querySelectorAll('[data-testid=ddb-item-list] .vrow').length")
    assert rows_in_dom < 120, rows_in_dom
    # Jump to the middle and to the top: each re-render of the window takes well under a frame or two.
    took = console.evaluate("""(async () => {
      const viewport = document.querySelector('[data-testid=ddb-item-list] .vviewport');
      const times = [];
      for (const top of [viewport.scrollHeight / 2, 0, viewport.scrollHeight / 3]) {
        const t0 = performance.now();
        viewport.scrollTop = top;
        viewport.dispatchEvent(new Event('scroll'));
        await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
        times.push(performance.now() - t0);
      }
      return Math.max(...times);
    })()""")
    assert took < 250, f"a scroll re-render took {took:.0f} ms"
    console.wait_text("css:[data-testid='ddb-item-list'] .vrow", "k0")
    console.screenshot("dynamodb-100k")
    print(f"100k items: loaded in {load_seconds:.1f}s, worst scroll re-render {took:.0f} ms, {rows_in_dom} rows in the DOM")


# ---- SQL -----------------------------------------------------------------------------------------

# 10^12 rows (Athena's sequence() stops at 10,000 entries): runs until cancelled.
LONG_ATHENA_QUERY = ("SELECT sum(x * y * z) FROM UNNEST(sequence(1, 10000)) AS a(x) "
                     "CROSS JOIN UNNEST(sequence(1, 10000)) AS b(y) CROSS JOIN UNNEST(sequence(1, 10000)) AS c(z)")


def test_sql_athena_runs_pages_history_and_cancel(console, mallard):
    import boto3
    s3 = ddb_e2e._client("s3", mallard.endpoint)
    s3.create_bucket(Bucket="console-athena-results")
    athena = ddb_e2e._client("athena", mallard.endpoint)

    console.goto("sql")
    console.select("sql-engine", "athena")
    console.fill("sql-output", "s3://console-athena-results/console/")
    console.fill("sql-editor", "SELECT n, n * 2 AS doubled, 'row ' || CAST(n AS varchar) AS label FROM UNNEST(sequence(1, 250)) AS t(n) ORDER BY n")
    console.click("sql-run")
    console.wait_text("sql-state", "SUCCEEDED")
    # Athena counts the header row of a SELECT's first page in MaxResults (100): 99 rows, then 100, 51.
    console.wait_text("sql-page", "page 1 · 99 rows")
    grid = console.text("sql-grid")
    assert grid.splitlines()[0].split("\t") == ["n", "doubled", "label"]
    assert grid.splitlines()[1].split("\t") == ["1", "2", "row 1"]
    console.click("sql-next")
    console.wait_text("sql-page", "page 2 · 100 rows")
    console.wait_text("sql-grid", "row 100")
    console.click("sql-next")
    console.wait_text("sql-page", "page 3 · 51 rows")
    console.wait_text("sql-grid", "row 250")
    console.click("sql-prev")
    console.wait_text("sql-page", "page 2")
    console.screenshot("sql-athena")

    executions = athena.list_query_executions(WorkGroup="primary")["QueryExecutionIds"]
    assert len(executions) == 1
    execution = athena.get_query_execution(QueryExecutionId=executions[0])["QueryExecution"]
    assert execution["Status"]["State"] == "SUCCEEDED"
    assert execution["ResultConfiguration"]["OutputLocation"].startswith("s3://console-athena-results/console/")
    console.wait_text("sql-history", "UNNEST(sequence(1, 250))")

    # An error as Athena reports it.
    console.fill("sql-editor", "SELECT * FROM no_such_table_here")
    console.click("sql-run")
    console.wait_text("sql-state", "FAILED")
    failed = athena.batch_get_query_execution(QueryExecutionIds=athena.list_query_executions(WorkGroup="primary")["QueryExecutionIds"])
    reason = next(q for q in failed["QueryExecutions"] if q["Status"]["State"] == "FAILED")["Status"]["StateChangeReason"]
    console.wait_text("sql-error", reason)

    # The database picker: a database made through Athena is offered, and a query runs in it.
    def athena_run(sql: str) -> None:
        qid = athena.start_query_execution(QueryString=sql, ResultConfiguration={
            "OutputLocation": "s3://console-athena-results/boto/"})["QueryExecutionId"]
        wait_until(lambda: athena.get_query_execution(QueryExecutionId=qid)["QueryExecution"]["Status"]["State"]
                   == "SUCCEEDED", what=sql)
    athena_run("CREATE DATABASE console_db")
    athena_run("CREATE TABLE console_db.picked AS SELECT 'from console_db' AS origin")
    console.goto("sql")
    console.select("sql-database", "console_db")
    console.fill("sql-editor", "SELECT origin FROM picked")
    console.click("sql-run")
    console.wait_text("sql-grid", "from console_db")
    picked = [q for q in athena.batch_get_query_execution(QueryExecutionIds=athena.list_query_executions(
        WorkGroup="primary")["QueryExecutionIds"])["QueryExecutions"] if q["Query"] == "SELECT origin FROM picked"]
    assert picked[0]["QueryExecutionContext"]["Database"] == "console_db"

    # Cancel a long query.
    console.fill("sql-editor", LONG_ATHENA_QUERY)
    console.click("sql-run")
    console.wait_text("sql-state", "RUNNING")
    console.click("sql-cancel")
    console.wait_text("sql-state", "CANCELLED", timeout=20000)
    states = {q["Query"]: q["Status"]["State"] for q in athena.batch_get_query_execution(
        QueryExecutionIds=athena.list_query_executions(WorkGroup="primary")["QueryExecutionIds"])["QueryExecutions"]}
    assert states[LONG_ATHENA_QUERY] == "CANCELLED"
    console.wait_text("sql-history", "CANCELLED")


def test_sql_redshift_data_runs_and_pages(console, mallard):
    redshift = ddb_e2e._client("redshift-data", mallard.endpoint)
    console.goto("sql")
    console.select("sql-engine", "redshift")
    console.fill("sql-rs-workgroup", "console-wg")
    console.fill("sql-rs-database", "dev")
    console.fill("sql-editor", "CREATE TABLE console_t (id int, name varchar(20))")
    console.click("sql-run")
    console.wait_text("sql-state", "FINISHED")
    console.fill("sql-editor", "INSERT INTO console_t VALUES (1, 'one'), (2, 'two'), (3, NULL)")
    console.click("sql-run")
    console.wait_text("sql-page", "3 rows affected")
    console.fill("sql-editor", "SELECT id, name FROM console_t ORDER BY id")
    console.click("sql-run")
    console.wait_text("sql-state", "FINISHED")
    console.wait_text("sql-grid", "two")
    lines = console.text("sql-grid").splitlines()
    assert lines[0].split("\t") == ["id", "name"] and lines[3].split("\t") == ["3", "NULL"]
    console.screenshot("sql-redshift")
    statements = redshift.list_statements()["Statements"]
    assert {s["QueryString"] for s in statements} >= {"SELECT id, name FROM console_t ORDER BY id"}
    assert all(s["Status"] == "FINISHED" for s in statements)
    console.wait_text("sql-history", "INSERT INTO console_t")


# ---- S3 ------------------------------------------------------------------------------------------

def test_s3_buckets_prefixes_metadata_download_upload_delete(console, mallard, tmp_path):
    s3 = ddb_e2e._client("s3", mallard.endpoint)
    s3.create_bucket(Bucket="console-files")
    s3.put_object(Bucket="console-files", Key="docs/readme.txt", Body=b"read me\n", ContentType="text/plain",
                  Metadata={"owner": "boto"}, Tagging="team=data")
    s3.put_object(Bucket="console-files", Key="top.bin", Body=bytes(range(256)) * 4)

    console.goto("s3")
    console.wait_text("s3-buckets", "console-files")
    console.click("css:[data-bucket='console-files']")
    console.wait_text("s3-objects", "docs/")
    console.wait_text("s3-objects", "top.bin")
    console.screenshot("s3-bucket")
    console.click("css:[data-testid='s3-objects'] tr", text="docs/")
    console.wait_text("s3-breadcrumbs", "docs")
    console.click("css:[data-key='docs/readme.txt']")
    console.wait_text("s3-object-metadata", "x-amz-meta-owner")
    metadata = console.text("s3-object-metadata")
    assert "boto" in metadata and "text/plain" in metadata
    console.wait_text("s3-object-tags", "team")
    console.screenshot("s3-object")

    # Download: the file the browser saves has the object's bytes.
    console.click("s3-download")
    saved = console.downloads / "readme.txt"
    wait_until(lambda: saved.is_file() and saved.read_bytes() == b"read me\n", what="the downloaded file")

    # Delete.
    console.click("s3-delete-object")
    wait_until(lambda: s3.list_objects_v2(Bucket="console-files", Prefix="docs/")["KeyCount"] == 0, what="the delete")

    # Upload into the bucket's root, with user metadata.
    payload = bytes((i * 7 + 3) % 256 for i in range(300_000))
    local = tmp_path / "upload.bin"
    local.write_bytes(payload)
    console.goto("s3/console-files")
    console.upload("s3-upload-input", local)
    console.fill("s3-upload-metadata", "purpose=console-test")
    console.click("s3-upload-submit")
    console.wait_text("s3-upload", "Uploaded 1 file(s)")
    stored = s3.get_object(Bucket="console-files", Key="upload.bin")
    assert stored["Body"].read() == payload
    assert stored["Metadata"] == {"purpose": "console-test"}
    console.wait_text("s3-objects", "upload.bin")

    # Create a bucket.
    console.fill("s3-new-bucket", "console-made-bucket")
    console.click("s3-create-bucket")
    console.wait_text("s3-buckets", "console-made-bucket")
    s3.head_bucket(Bucket="console-made-bucket")


# ---- --auth sigv4 and the admin token -----------------------------------------------------------

def test_sigv4_server_asks_for_keys_signs_in_the_browser_and_asks_for_the_admin_token(tmp_path):
    import boto3
    key, secret, account, token = "AKIACONSOLETEST00001", "console-secret-key", "123456789012", "console-admin-token"
    server = start_server(tmp_path / "mallard.log", ["--auth", "sigv4", "--credential", f"{key}:{secret}:{account}",
                                                     "--admin-token", token])
    browser = None
    try:
        sqs = boto3.client("sqs", endpoint_url=f"http://127.0.0.1:{server.port}", region_name="us-east-1",
                           aws_access_key_id=key, aws_secret_access_key=secret)
        url = sqs.create_queue(QueueName="signed-queue")["QueueUrl"]
        browser = ConsoleBrowser(server.port, tmp_path / "downloads", tmp_path / "driver.log")
        browser.goto("sqs")
        # The placeholder signature is refused, so the console asks for keys.
        browser.wait_text("signin", "verifies signatures")
        browser.fill("signin-key", key)
        browser.fill("signin-secret", "not-the-secret")
        browser.click("signin-submit")
        browser.wait_text("css:[data-testid='signin'] .error", "Signature")
        browser.fill("signin-secret", secret)
        browser.click("signin-submit")
        browser.wait_gone("signin")
        browser.wait_text("sqs-queues", "signed-queue")
        browser.wait_text("identity", account)
        stored = json.loads(browser.evaluate(
            "JSON.stringify({session: sessionStorage.getItem('mallard.console.credentials'), local: JSON.stringify(localStorage)})"))
        assert secret in stored["session"] and secret not in stored["local"]  # the keys stay in the tab's session

        # A signed action, confirmed by boto3.
        browser.click("css:[data-queue='signed-queue']")
        browser.fill("sqs-send-body", "signed in the browser")
        browser.click("sqs-send-submit")
        browser.wait_text("sqs-send", "Sent message")
        browser.click("sqs-peek-run")  # the developer endpoint, signed like the rest
        browser.wait_text("sqs-peek-messages", "signed in the browser")
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1)["Messages"]
        assert got[0]["Body"] == "signed in the browser"
        browser.screenshot("sqs-signed-in")

        # S3 under signature checks: a key with spaces, reserved and non-ASCII characters is signed
        # with its path encoded once, as S3 verifies it (listing, HeadObject, tags, download).
        s3 = boto3.client("s3", endpoint_url=f"http://127.0.0.1:{server.port}", region_name="us-east-1",
                          aws_access_key_id=key, aws_secret_access_key=secret)
        s3.create_bucket(Bucket="signed-bucket")
        odd_key = "dir one/it's (über) +&=;,!*~.txt"
        s3.put_object(Bucket="signed-bucket", Key=odd_key, Body=b"odd", Metadata={"who": "boto"})
        browser.goto("s3/signed-bucket/" + "dir one/".replace("/", "%2F"))
        browser.wait_text("s3-objects", "über")
        browser.click("css:[data-testid='s3-objects'] tr", text="über")
        browser.wait_text("s3-object-metadata", "x-amz-meta-who")
        browser.click("s3-download")
        # (Chromium writes the file under a sanitised name: '*' becomes '_'.)
        wait_until(lambda: any(f.name.startswith("it's (über)") and f.read_bytes() == b"odd"
                               for f in browser.downloads.iterdir()), what="the signed download")

        # The admin token: a reset without it is refused and the console asks for it.
        browser.goto("overview")
        browser.click("reset-all")
        browser.wait_text("admin-token", "--admin-token")
        browser.fill("admin-token-input", token)
        browser.click("css:[data-testid='admin-token'] button[type=submit]")
        browser.wait_gone("admin-token")
        assert sqs.list_queues().get("QueueUrls") == [url]  # nothing was reset yet
        assert s3.list_objects_v2(Bucket="signed-bucket")["KeyCount"] == 1
        browser.click("reset-all")
        wait_until(lambda: not sqs.list_queues().get("QueueUrls"), what="the reset")
        errors = [e for e in browser.page_errors() if "Failed to load resource" not in e]
        assert errors == [], errors
    finally:
        if browser is not None:
            browser.close()
        stop_server(server)


# ---- SNS -----------------------------------------------------------------------------------------

def test_sns_topics_subscriptions_filter_policies_and_publish(console, mallard):
    sns = ddb_e2e._client("sns", mallard.endpoint)
    sqs = sqs_client(mallard)
    topic = sns.create_topic(Name="console-news")["TopicArn"]
    inbox = sqs.create_queue(QueueName="console-inbox")["QueueUrl"]
    inbox_arn = sqs.get_queue_attributes(QueueUrl=inbox, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=inbox_arn,
                  Attributes={"FilterPolicy": json.dumps({"color": ["blue"]}), "RawMessageDelivery": "true"})
    sns.publish(PhoneNumber="+15555550123", Message="an sms from boto3")

    console.goto("sns")
    console.wait_text("sns-topics", "console-news")
    console.wait_text("sns-recorded", "an sms from boto3")
    console.click("css:[data-topic='console-news']")
    console.wait_text("sns-subscriptions", inbox_arn)
    subscriptions = console.text("sns-subscriptions")
    assert '"color"' in subscriptions and "confirmed" in subscriptions

    # Publish with a matching attribute: the filter lets it through to the queue.
    console.fill("sns-publish-message", "published from the console")
    console.click("sns-attr-add")
    console.fill("sns-attr-name-0", "color")
    console.fill("sns-attr-value-0", "blue")
    console.click("sns-publish-submit")
    console.wait_text("sns-publish", "Published message")
    got = wait_until(lambda: sqs.receive_message(QueueUrl=inbox, MaxNumberOfMessages=1, WaitTimeSeconds=1).get("Messages"),
                     what="the published message in the subscribed queue")
    assert got[0]["Body"] == "published from the console"
    console.screenshot("sns")

    # Subscribe a second queue from the console, then unsubscribe it.
    other = sqs.create_queue(QueueName="console-other")["QueueUrl"]
    other_arn = sqs.get_queue_attributes(QueueUrl=other, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    console.fill("sns-sub-endpoint", other_arn)
    console.fill("sns-sub-filter", '{"kind": ["alert"]}')
    console.click("sns-sub-submit")
    console.wait_text("sns-subscriptions", other_arn)
    subs = sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
    made = next(s for s in subs if s["Endpoint"] == other_arn)
    assert json.loads(sns.get_subscription_attributes(SubscriptionArn=made["SubscriptionArn"])["Attributes"]["FilterPolicy"]) == {"kind": ["alert"]}


# ---- Lake and pipe -------------------------------------------------------------------------------

def test_lake_tables_and_time_travel_to_a_snapshot(tmp_path):
    import subprocess
    from conftest import mallard_bin
    catalog, data = tmp_path / "lake.duckdb", tmp_path / "lake-data"
    (tmp_path / "first.csv").write_text("id,name\n1,a\n2,b\n")
    (tmp_path / "second.csv").write_text("id,name\n3,c\n")
    for csv in ("first.csv", "second.csv"):
        subprocess.run([str(mallard_bin()), "lake", "--catalog", str(catalog), "--data-path", str(data), "load", "orders",
                        str(tmp_path / csv)], check=True, capture_output=True, timeout=60)
    snapshots = subprocess.run([str(mallard_bin()), "lake", "--catalog", str(catalog), "--data-path", str(data), "snapshots"],
                               check=True, capture_output=True, text=True, timeout=60).stdout
    first_load = next(line.split("\t")[0] for line in snapshots.splitlines() if "created_table" in line)

    server = start_server(tmp_path / "mallard.log", ["--lake-catalog", str(catalog), "--lake-data-path", str(data)])
    browser = None
    try:
        import boto3
        boto3.client("s3", endpoint_url=f"http://127.0.0.1:{server.port}", region_name="us-east-1",
                     aws_access_key_id="test", aws_secret_access_key="test").create_bucket(Bucket="console-lake-results")
        browser = ConsoleBrowser(server.port, tmp_path / "downloads", tmp_path / "driver.log")
        browser.goto("lake")
        browser.wait_text("lake-tables", "lake.orders")
        assert "id bigint, name string" in browser.text("lake-tables")  # the columns as Athena's catalog types them
        browser.wait_text("pipe-absent", "No hosted pipe")
        browser.click("css:[data-lake-table='orders']")
        browser.fill("lake-output", "s3://console-lake-results/lake/")
        browser.click("lake-show")
        browser.wait_text("lake-row-count", "3 rows")
        browser.select("lake-at-mode", "version")
        browser.fill("lake-at-value", first_load)
        browser.click("lake-show")
        browser.wait_text("lake-row-count", "2 rows")
        rows = browser.text("lake-rows")
        assert "a" in rows and "c" not in rows.split("\n", 1)[1]
        browser.screenshot("lake")
        errors = [e for e in browser.page_errors() if "Failed to load resource" not in e]
        assert errors == [], errors
    finally:
        if browser is not None:
            browser.close()
        stop_server(server)


def test_pipe_status_of_a_hosted_pipe(postgres, database, lake_catalog, tmp_path):
    postgres.psql("CREATE TABLE items (id bigint PRIMARY KEY, name text)", database)
    postgres.psql("INSERT INTO items SELECT g, 'item ' || g FROM generate_series(1, 100) g", database)
    postgres.psql("CREATE TABLE orders (id bigint PRIMARY KEY, total numeric)", database)
    postgres.psql("INSERT INTO orders SELECT g, g * 2 FROM generate_series(1, 20) g", database)
    token = "console-pipe-token"
    server = start_server(tmp_path / "mallard.log", [
        "--lake-catalog", lake_catalog, "--lake-data-path", str(tmp_path / "data"), "--admin-token", token,
        "--pipe-source", postgres.conninfo(database), "--pipe-tables", "items", "--pipe-group", database])
    browser = None
    try:
        browser = ConsoleBrowser(server.port, tmp_path / "downloads", tmp_path / "driver.log")
        browser.goto("lake")
        browser.wait_text("pipe-tables", "STREAMING", timeout=60000)
        postgres.psql("INSERT INTO items SELECT g, 'late ' || g FROM generate_series(101, 150) g", database)
        status = wait_until(lambda: (lambda s: s if s["tables"][0]["rows_synced"] >= 150 else None)(
            json.loads(http_request(server.port, "GET", "/_mallard/pipe/status").body)), timeout=60, what="the pipe's rows")
        table = status["tables"][0]
        browser.wait_text("pipe-tables", str(table["rows_synced"]))  # the page polls every 3 s
        browser.wait_text("pipe-tables", table["target"])
        browser.wait_text("css:[data-testid='pipe-lag-chart'] ~ p", table["target"])
        browser.goto("lake")
        browser.wait_text("lake-tables", "lake_public.items")
        browser.wait_text("pipe-tables", "STREAMING")
        browser.screenshot("lake-pipe")

        def pipe_tables() -> dict[str, dict]:
            return {t["source"]: t for t in json.loads(http_request(server.port, "GET", "/_mallard/pipe/status").body)["tables"]}

        def streaming(source: str, rows: int, unlike_lsn: str | None = None):
            t = pipe_tables().get(source)
            return t if t and t["state"] == "STREAMING" and t["rows_synced"] == rows and t["snapshot_lsn"] != unlike_lsn else None

        # Resync: refused without the admin token, which the console then asks for; the click after
        # it takes a new snapshot (at a later source position: rows were inserted since).
        before = pipe_tables()["public.items"]
        resync = "css:[data-pipe-table='public.items'] [data-testid='pipe-resync']"
        browser.click(resync)
        browser.wait_text("admin-token", "--admin-token")
        browser.fill("admin-token-input", token)
        browser.click("css:[data-testid='admin-token'] button[type=submit]")
        browser.wait_gone("admin-token")
        assert pipe_tables()["public.items"]["snapshot_lsn"] == before["snapshot_lsn"]  # the refused click did nothing
        browser.click(resync)
        browser.wait_text("css:.notice", "public.items resyncing")
        wait_until(lambda: streaming("public.items", 150, before["snapshot_lsn"]), timeout=60, what="the resync")

        # Add: an error from the pipe is shown; a source table is added and listed.
        browser.fill("pipe-add-table", "public.nope")
        browser.click("pipe-add-submit")
        browser.wait_text("pipe-add", "HTTP400")
        browser.fill("pipe-add-table", "public.orders")
        browser.click("pipe-add-submit")
        browser.wait_text("css:.notice", "public.orders added")
        wait_until(lambda: streaming("public.orders", 20), timeout=60, what="orders synced")
        browser.goto("lake")
        browser.wait_text("lake-tables", "lake_public.orders")
        browser.wait_text("pipe-tables", "public.orders")
        browser.click(remove := "css:[data-pipe-table='public.orders'] [data-testid='pipe-remove-open']")
        browser.wait_text("pipe-remove", "Also drop the lake table")
        browser.screenshot("lake-pipe-remove")

        # Remove: the dialog asks first (cancel changes nothing), then removes and drops the lake table.
        browser.click("pipe-remove-cancel")
        browser.wait_gone("pipe-remove")
        assert "public.orders" in pipe_tables()
        browser.click(remove)
        browser.click("pipe-remove-drop")
        browser.click("pipe-remove-confirm")
        browser.wait_gone("pipe-remove")
        browser.wait_text("css:.notice", "public.orders removed and its lake table dropped")
        assert set(pipe_tables()) == {"public.items"}
        wait_until(lambda: "public.orders" not in browser.text("pipe-tables"), what="the table gone from the page")
        browser.goto("lake")
        wait_until(lambda: "lake_public.items" in browser.text("lake-tables") and
                   "lake_public.orders" not in browser.text("lake-tables"), what="the dropped lake table")
        errors = [e for e in browser.page_errors() if "Failed to load resource" not in e]
        assert errors == [], errors
    finally:
        if browser is not None:
            browser.close()
        stop_server(server)
