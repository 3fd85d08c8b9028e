"""The metrics page (GET /_mallard/metrics, GET /metrics), the hosted pipe's status endpoint and the
request log.

A server of its own (counters are cumulative, so the session server's earlier tests would blur the
counts) runs a known workload — SQS sends and receives, DynamoDB puts, an S3 put and get, an Athena
query, SNS to SQS, failing calls — and the scraped page must show exactly those counts. The whole page
goes through Prometheus' own parser, `promtool check metrics` (Debian package `prometheus`): the test
fails, never skips, when promtool is missing.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import time

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from conftest import free_port, http_request, mallard_bin, server_env, start_server, stop_server
from pipe_e2e import database, lake_catalog, postgres  # noqa: F401 (fixtures)
from s3_e2e import s3_client
from sqlengine_e2e import athena_run
from sqs_e2e import ACCESS_KEY, REGION, SECRET_KEY, ServerHandle

ACCOUNT = "000000000000"
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def parse_page(text: str) -> dict[tuple[str, frozenset], float]:
    """Samples by (name, labels); HELP/TYPE lines are checked by promtool."""
    samples: dict[tuple[str, frozenset], float] = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        head, _, value = line.rpartition(" ")
        if "{" in head:
            name, _, labels_text = head.partition("{")
            labels = frozenset((k, v.replace('\\"', '"').replace("\\n", "\n").replace("\\\\", "\\"))
                               for k, v in LABEL.findall(labels_text.rstrip("}")))
        else:
            name, labels = head, frozenset()
        key = (name, labels)
        assert key not in samples, f"sample repeated on the page: {line}"
        samples[key] = float(value)
    return samples


def sample(samples, name: str, **labels) -> float | None:
    return samples.get((name, frozenset(labels.items())))


def scrape(port: int, path: str = "/_mallard/metrics") -> str:
    response = http_request(port, "GET", path, timeout=10)
    assert response.status == 200, response.body[:500]
    assert response.headers.get("content-type", "").startswith("text/plain; version=0.0.4")
    return response.body.decode()


def promtool_check(page: str) -> None:
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.fail("promtool is not installed (Debian package `prometheus`; scripts/install-deps.sh installs it)",
                    pytrace=False)
    checked = subprocess.run([promtool, "check", "metrics"], input=page.encode(), capture_output=True, timeout=60)
    assert checked.returncode == 0, (
        f"promtool check metrics failed ({checked.returncode}):\n{checked.stdout.decode()}{checked.stderr.decode()}")


def boto(service: str, endpoint: str):
    session = boto3.session.Session(aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY, region_name=REGION)
    return session.client(service, endpoint_url=endpoint,
                          config=Config(retries={"max_attempts": 1, "mode": "standard"}, read_timeout=60))


def start_debug_server(log_path, *extra: str) -> ServerHandle:
    """conftest's start_server always passes --log-level info; these tests need debug."""
    port = free_port()
    with open(log_path, "ab") as log:
        proc = subprocess.Popen([str(mallard_bin()), "serve", "--host", "127.0.0.1", "--port", str(port),
                                 "--log-level", "debug", *extra], stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, env=server_env(), start_new_session=True)
    handle = ServerHandle(proc, port, log_path)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"mallard exited with {proc.returncode}:\n{handle.log_text()}"
        try:
            if http_request(port, "GET", "/_mallard/health", timeout=2).status == 200:
                return handle
        except OSError:
            pass
        time.sleep(0.05)
    stop_server(handle)
    pytest.fail(f"mallard did not answer /_mallard/health within 30 s:\n{handle.log_text()}")


@pytest.fixture
def own_server(tmp_path):
    handle = start_debug_server(tmp_path / "mallard.log")
    yield handle
    stop_server(handle)


def test_known_workload_counted_exactly(own_server):
    endpoint, port = own_server.endpoint, own_server.port
    sqs, ddb, sns, athena = boto("sqs", endpoint), boto("dynamodb", endpoint), boto("sns", endpoint), boto("athena", endpoint)
    s3 = s3_client(endpoint)

    # SQS: 4 sends (one delayed), 1 receive, a failing GetQueueUrl.
    url = sqs.create_queue(QueueName="metrics-queue")["QueueUrl"]
    for i in range(3):
        sqs.send_message(QueueUrl=url, MessageBody=f"m{i}")
    sqs.send_message(QueueUrl=url, MessageBody="later", DelaySeconds=600)
    assert len(sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1, VisibilityTimeout=600)["Messages"]) == 1
    with pytest.raises(ClientError) as missing:
        sqs.get_queue_url(QueueName="no-such-queue")
    failing_request_id = missing.value.response["ResponseMetadata"]["RequestId"]

    # DynamoDB: 3 puts, a failing GetItem.
    ddb.create_table(TableName="metrics-table", KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST")
    for i in range(3):
        ddb.put_item(TableName="metrics-table", Item={"id": {"S": f"k{i}"}, "v": {"S": "x" * 100}})
    with pytest.raises(ClientError):
        ddb.get_item(TableName="no-such-table", Key={"id": {"S": "k"}})

    # S3: a bucket, a 1,000-byte put and its get; a bucket named "metrics" listed with a signed
    # GET /metrics, which must stay S3's.
    s3.create_bucket(Bucket="metrics-bucket")
    s3.put_object(Bucket="metrics-bucket", Key="object", Body=b"a" * 1000)
    assert s3.get_object(Bucket="metrics-bucket", Key="object")["Body"].read() == b"a" * 1000
    s3.create_bucket(Bucket="metrics")
    s3.put_object(Bucket="metrics", Key="inside", Body=b"b")
    assert [o["Key"] for o in s3.list_objects(Bucket="metrics")["Contents"]] == ["inside"]

    # Athena: one query (its client creates the results bucket: one more CreateBucket).
    s3.create_bucket(Bucket="mallard-athena-results")
    execution = athena_run(athena, "SELECT 1")
    assert execution["Status"]["State"] == "SUCCEEDED"

    # SNS to SQS: one delivery.
    topic = sns.create_topic(Name="metrics-topic")["TopicArn"]
    target = sqs.create_queue(QueueName="metrics-target")["QueueUrl"]
    target_arn = sqs.get_queue_attributes(QueueUrl=target, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=target_arn, Attributes={"RawMessageDelivery": "true"})
    sns.publish(TopicArn=topic, Message="hello")

    deadline = time.monotonic() + 10
    while True:
        samples = parse_page(scrape(port))
        delivered = sample(samples, "mallard_sns_deliveries_total", protocol="sqs", outcome="succeeded")
        if delivered == 1 or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert delivered == 1

    def requests(service, operation, status="200", error_code=""):
        return sample(samples, "mallard_requests_total", service=service, operation=operation, status=status,
                      error_code=error_code)

    assert requests("sqs", "CreateQueue") == 2
    assert requests("sqs", "SendMessage") == 4
    assert requests("sqs", "ReceiveMessage") == 1
    assert requests("sqs", "GetQueueUrl", "400", "QueueDoesNotExist") == 1
    assert requests("sqs", "GetQueueUrl") is None
    assert requests("dynamodb", "CreateTable") == 1
    assert requests("dynamodb", "PutItem") == 3
    assert requests("dynamodb", "GetItem", "400", "ResourceNotFoundException") == 1
    assert requests("s3", "CreateBucket") == 3
    assert requests("s3", "PutObject") == 2
    assert requests("s3", "GetObject") == 1
    assert requests("s3", "ListObjects") == 1
    assert requests("athena", "StartQueryExecution") == 1
    assert requests("sns", "Publish") == 1
    assert sample(samples, "mallard_request_duration_seconds_count", service="sqs", operation="SendMessage") == 4
    assert sample(samples, "mallard_request_duration_seconds_bucket", service="sqs", operation="SendMessage",
                  le="+Inf") == 4
    assert sample(samples, "mallard_request_duration_seconds_count", service="dynamodb", operation="PutItem") == 3
    assert sample(samples, "mallard_requests_in_flight") == 0
    assert sample(samples, "mallard_http_connections_open") >= 1

    # Gauges from the services.
    queue = {"queue": "metrics-queue", "account": ACCOUNT, "region": REGION}
    assert sample(samples, "mallard_sqs_messages_visible", **queue) == 2
    assert sample(samples, "mallard_sqs_messages_in_flight", **queue) == 1
    assert sample(samples, "mallard_sqs_messages_delayed", **queue) == 1
    assert sample(samples, "mallard_sqs_messages_visible", queue="metrics-target", account=ACCOUNT, region=REGION) == 1
    table = {"table": "metrics-table", "account": ACCOUNT, "region": REGION}
    assert sample(samples, "mallard_dynamodb_table_items", **table) == 3
    assert sample(samples, "mallard_dynamodb_table_size_bytes", **table) > 300
    assert sample(samples, "mallard_sql_queries_total", service="athena", state="SUCCEEDED") == 1
    assert sample(samples, "mallard_sql_queries_total", service="athena", state="FAILED") == 0
    assert sample(samples, "mallard_sql_query_duration_seconds_count", service="athena", state="SUCCEEDED") == 1
    assert sample(samples, "mallard_sql_queries_total", service="redshift-data", state="SUCCEEDED") == 0
    assert sample(samples, "mallard_store_up", service="sqs", backend="memory") == 1
    # S3 body bytes: at least the objects' bytes each way (XML bodies add to both).
    assert sample(samples, "mallard_request_body_bytes_total", service="s3") >= 1001
    assert sample(samples, "mallard_response_body_bytes_total", service="s3") >= 1000

    page = scrape(port)
    promtool_check(page)
    # An unsigned GET /metrics is the same page.
    assert "mallard_requests_total{" in scrape(port, "/metrics")

    # The failing call's debug line: service, operation, status, error code, account, region,
    # duration and request id.
    log = own_server.log_text(limit=10**7)
    lines = [line for line in log.splitlines() if failing_request_id in line]
    assert len(lines) == 1, lines
    assert re.search(r"\bsqs\.GetQueueUrl 400 QueueDoesNotExist account=000000000000 region=us-east-1 "
                     r"[0-9]+\.[0-9]{2}ms " + failing_request_id + "$", lines[0]), lines[0]


def test_metrics_routes_and_pipe_status(own_server):
    port = own_server.port
    # Read endpoints: GET and HEAD only, no CORS.
    response = http_request(port, "POST", "/_mallard/metrics", timeout=5)
    assert response.status == 405 and response.headers.get("allow") == "GET, HEAD"
    response = http_request(port, "GET", "/_mallard/metrics", headers={"Origin": "http://elsewhere.example"}, timeout=5)
    assert response.status == 200 and "access-control-allow-origin" not in response.headers
    # No hosted pipe: 404 with a JSON error, whether or not --pipe-api-port is set.
    response = http_request(port, "GET", "/_mallard/pipe/status", timeout=5)
    assert response.status == 404
    assert "pipe" in response.json()["error"]
    # /metrics with a query string, or signed, is S3's: a bucket that does not exist.
    response = http_request(port, "GET", "/metrics?list-type=2", timeout=5)
    assert response.status == 404 and b"NoSuchBucket" in response.body
    s3 = s3_client(own_server.endpoint)
    with pytest.raises(ClientError) as listed:
        s3.list_objects(Bucket="metrics")
    assert listed.value.response["Error"]["Code"] == "NoSuchBucket"
    # A presigned GET of /metrics (a bucket-level URL) also goes to S3.
    url = s3.generate_presigned_url("list_objects", Params={"Bucket": "metrics"})
    path = url.split(str(port), 1)[1]
    response = http_request(port, "GET", path, timeout=5)
    assert response.status == 404
    # On a virtual-hosted bucket's host, /metrics is that bucket's object "metrics".
    import http.client
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    conn.putrequest("GET", "/metrics", skip_host=True, skip_accept_encoding=True)
    conn.putheader("Host", f"vbucket.s3.localhost.localstack.cloud:{port}")
    conn.endheaders()
    virtual = conn.getresponse()
    body = virtual.read()
    conn.close()
    assert virtual.status == 404 and b"<Code>NoSuchBucket</Code>" in body and b"vbucket" in body, body[:300]
    # Label values from clients are escaped: a queue name cannot contain quotes, but an unknown
    # operation is counted under "unknown", never under the client's text.
    response = http_request(port, "POST", "/", headers={"X-Amz-Target": 'DynamoDB_20120810.Bad"Op\\x',
                                                         "Content-Type": "application/x-amz-json-1.0"}, body=b"{}",
                            timeout=5)
    assert response.status == 400
    # awsQuery requests refused before the service runs are still the service's.
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    assert http_request(port, "POST", "/", form, "Action=NoSuchAction&Version=2012-11-05", sign=True).status == 400
    bad_input = http_request(port, "POST", "/", form, "Action=SendMessage&QueueUrl=q&MessageBody=x&DelaySeconds=soon",
                             sign=True)
    assert bad_input.status == 400
    bad_code = re.search(rb"<Code>([^<]+)</Code>", bad_input.body).group(1).decode()
    samples = parse_page(scrape(port))
    assert sample(samples, "mallard_requests_total", service="dynamodb", operation="unknown", status="400",
                  error_code="UnknownOperationException") == 1
    assert sample(samples, "mallard_requests_total", service="sqs", operation="unknown", status="400",
                  error_code="InvalidAction") == 1
    sends = [(dict(labels), value) for (name, labels), value in samples.items()
             if name == "mallard_requests_total" and dict(labels)["operation"] == "SendMessage"]
    assert len(sends) == 1 and sends[0][1] == 1 and sends[0][0]["status"] == "400", sends
    assert sends[0][0]["error_code"] == bad_code == "InvalidParameterValue"
    promtool_check(scrape(port))


def test_hosted_pipe_status_and_series(postgres, database, lake_catalog, tmp_path):  # noqa: F811
    """A pipe hosted by serve, without --pipe-api-port: its /status document at /_mallard/pipe/status
    and its per-table series on the metrics page."""
    postgres.psql("CREATE TABLE items (id bigint PRIMARY KEY, name text)", database)
    postgres.psql("INSERT INTO items SELECT g, 'item ' || g FROM generate_series(1, 100) g", database)
    server = start_server(tmp_path / "mallard.log", [
        "--lake-catalog", lake_catalog, "--lake-data-path", str(tmp_path / "data"),
        "--pipe-source", postgres.conninfo(database), "--pipe-tables", "items", "--pipe-group", database])
    try:
        deadline = time.monotonic() + 60
        while True:
            # The server listens before the pipe starts: 404 until then.
            response = http_request(server.port, "GET", "/_mallard/pipe/status", timeout=10)
            assert response.status in (200, 404), response.body[:300]
            if response.status == 200:
                status = response.json()
                tables = status["tables"]
                # STREAMING is the state that lasts: a table still in CATCHUP may move on between
                # this document and the scrape below, which compares the two.
                if tables and tables[0]["rows_synced"] == 100 and tables[0]["state"] == "STREAMING":
                    break
            assert time.monotonic() < deadline, response.body[:500]
            time.sleep(0.2)
        assert status["group"] == database and status["slot"] == f"mallard_{database}"
        assert [t["source"] for t in tables] == ["public.items"] and tables[0]["rows_synced"] == 100
        assert {"lag_bytes", "lag_seconds", "flush_p50_ms", "flush_p99_ms", "state", "mode"} <= set(tables[0])
        page = scrape(server.port)
        samples = parse_page(page)
        labels = {"group": database, "table": "public.items"}
        assert sample(samples, "mallard_pipe_table_rows_synced_total", **labels) == 100
        # The same figures as the document (nothing is written meanwhile).
        assert sample(samples, "mallard_pipe_table_flushes_total", **labels) == tables[0]["flushes"]
        assert sample(samples, "mallard_pipe_table_flush_failures_total", **labels) == tables[0]["failed_flushes"]
        assert sample(samples, "mallard_pipe_table_lag_bytes", **labels) is not None
        assert sample(samples, "mallard_pipe_table_flush_p99_seconds", **labels) is not None
        assert sample(samples, "mallard_pipe_connected", group=database) == 1
        assert sample(samples, "mallard_pipe_table_state", state=tables[0]["state"], **labels) == 1
        promtool_check(page)
    finally:
        stop_server(server)


def test_redis_backends_depths_items_and_round_trip(tmp_path):
    """On Redis: queues found by SCAN of the directories (a prefix with glob characters must not match
    another deployment's keys), tables and items, and the store's probe round trip."""
    from redis_e2e import RedisServer
    redis = RedisServer().start()
    try:
        # Another deployment's queue under a prefix the glob "m*" would match.
        other = start_debug_server(tmp_path / "other.log", "--backend-sqs", redis.url(prefix="mx:"))
        try:
            boto("sqs", other.endpoint).create_queue(QueueName="not-ours")
        finally:
            stop_server(other)
        handle = start_debug_server(tmp_path / "mallard.log", "--backend-sqs", redis.url(prefix="m*:"),
                                    "--backend-dynamodb", redis.url(prefix="m*:"))
        try:
            sqs, ddb = boto("sqs", handle.endpoint), boto("dynamodb", handle.endpoint)
            url = sqs.create_queue(QueueName="redis-queue")["QueueUrl"]
            sqs.send_message(QueueUrl=url, MessageBody="one")
            sqs.send_message(QueueUrl=url, MessageBody="two")
            sqs.create_queue(QueueName="second")
            ddb.create_table(TableName="redis-table", KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                             AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                             BillingMode="PAY_PER_REQUEST")
            ddb.put_item(TableName="redis-table", Item={"id": {"S": "a"}})
            deadline = time.monotonic() + 10
            while True:
                page = scrape(handle.port)
                samples = parse_page(page)
                if sample(samples, "mallard_store_round_trip_seconds", service="sqs") is not None:
                    break
                assert time.monotonic() < deadline, page
                time.sleep(0.1)
            labels = {"account": ACCOUNT, "region": REGION}
            assert sample(samples, "mallard_sqs_messages_visible", queue="redis-queue", **labels) == 2
            assert sample(samples, "mallard_sqs_messages_visible", queue="second", **labels) == 0
            assert sample(samples, "mallard_sqs_messages_visible", queue="not-ours", **labels) is None
            assert sample(samples, "mallard_dynamodb_table_items", table="redis-table", **labels) == 1
            assert 0 < sample(samples, "mallard_store_round_trip_seconds", service="dynamodb") < 5
            store_up = [value for (name, labels), value in samples.items()
                        if name == "mallard_store_up" and dict(labels)["service"] == "sqs"]
            assert store_up == [1]
            promtool_check(page)
        finally:
            stop_server(handle)
    finally:
        redis.stop()


def test_queue_series_capped_at_1000_then_other(own_server):
    """1,005 queues with a message each: 1,000 queue series and the other 5 summed in queue="other"."""
    sqs = boto("sqs", own_server.endpoint)
    for i in range(1005):
        url = sqs.create_queue(QueueName=f"cap-{i:04d}")["QueueUrl"]
        sqs.send_message(QueueUrl=url, MessageBody="x")
    page = scrape(own_server.port)
    samples = parse_page(page)
    visible = {dict(labels)["queue"]: value for (name, labels), value in samples.items()
               if name == "mallard_sqs_messages_visible"}
    assert len(visible) == 1001
    assert visible["other"] == 5 and sample(samples, "mallard_sqs_messages_visible", queue="other", account="other",
                                                   region="other") == 5
    assert sum(visible.values()) == 1005
    # The request counters stay one series per operation and outcome.
    assert sample(samples, "mallard_requests_total", service="sqs", operation="SendMessage", status="200",
                  error_code="") == 1005
    promtool_check(page)


def test_sns_http_retries_and_dead_letters_counted(own_server, http_endpoint):
    from sns_e2e import subscribe_http
    sns, sqs = boto("sns", own_server.endpoint), boto("sqs", own_server.endpoint)
    one_retry = json.dumps({"healthyRetryPolicy": {"minDelayTarget": 1, "maxDelayTarget": 1, "numRetries": 1}})
    # Fails once, then takes it: one retried, one succeeded.
    flaky = http_endpoint(script=[200, 500], default_status=200)
    flaky_topic = sns.create_topic(Name="flaky")["TopicArn"]
    subscribe_http(sns, flaky_topic, flaky, {"DeliveryPolicy": one_retry})
    # Always fails: one retried, then given up into the dead-letter queue.
    down = http_endpoint(script=[200], default_status=500)
    dlq = sqs.create_queue(QueueName="metrics-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    down_topic = sns.create_topic(Name="down")["TopicArn"]
    subscribe_http(sns, down_topic, down, {"DeliveryPolicy": one_retry,
                                           "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn})})
    sns.publish(TopicArn=flaky_topic, Message="eventually")
    sns.publish(TopicArn=down_topic, Message="never")
    expected = {"succeeded": 1, "retried": 2, "dead_lettered": 1}
    deadline = time.monotonic() + 15
    while True:
        samples = parse_page(scrape(own_server.port))
        counted = {outcome: sample(samples, "mallard_sns_deliveries_total", protocol="http", outcome=outcome)
                   for outcome in expected}
        if counted == expected:
            break
        assert time.monotonic() < deadline, counted
        time.sleep(0.1)
    assert sample(samples, "mallard_sns_deliveries_total", protocol="http", outcome="failed") is None
    # Confirmations are not deliveries of messages.
    assert len(flaky.of_type("SubscriptionConfirmation")) == 1


def test_json_log_format(tmp_path):
    handle = start_debug_server(tmp_path / "mallard.log", "--log-format", "json")
    try:
        sqs = boto("sqs", handle.endpoint)
        with pytest.raises(ClientError) as missing:
            sqs.get_queue_url(QueueName="absent")
        request_id = missing.value.response["ResponseMetadata"]["RequestId"]
        log = handle.log_text(limit=10**7)
    finally:
        stop_server(handle)
    records = []
    for line in log.splitlines():
        records.append(json.loads(line))  # every line is one JSON object
    assert all({"time", "level", "message"} <= set(record) for record in records)
    [request] = [record for record in records if record.get("request_id") == request_id]
    assert request["level"] == "debug"
    assert request["service"] == "sqs" and request["operation"] == "GetQueueUrl"
    assert request["status"] == 400 and request["error_code"] == "QueueDoesNotExist"
    assert request["account"] == ACCOUNT and request["region"] == REGION
    assert isinstance(request["duration_ms"], float) and request["duration_ms"] >= 0


def test_log_format_rejected_when_unknown(tmp_path):
    done = subprocess.run([str(mallard_bin()), "serve", "--port", "0", "--log-format", "xml"], capture_output=True,
                          env=server_env(), timeout=30)
    assert done.returncode != 0
    env = {**server_env(), "MALLARD_LOG_FORMAT": "yaml"}
    done = subprocess.run([str(mallard_bin()), "serve", "--port", "0"], capture_output=True, env=env, timeout=30)
    assert done.returncode != 0
    config = tmp_path / "mallard.toml"
    config.write_text('[server]\nlog_format = "csv"\n')
    done = subprocess.run([str(mallard_bin()), "serve", "--port", "0", "--config", str(config)], capture_output=True,
                          env=server_env(), timeout=30)
    assert done.returncode == 2 and b"log format must be text or json" in done.stdout + done.stderr
