"""LocalStack's SQS developer endpoint, /_aws/sqs/messages: a queue's messages in ReceiveMessage's
shape, without receiving them (receive counts, visibility and receipts stay as they were).

Written to the contract of LocalStack's own tests (tests/aws/services/sqs/test_sqs_developer_api.py):
XML by default, LocalStack's JSON rendering of that XML with `Accept: application/json`, the
ShowInvisible/ShowDelayed flags and their IsVisible/IsDelayed attributes, the path form
/_aws/sqs/messages/<region>/<account>/<queue>, use as a boto client's endpoint_url, and its errors."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import boto3
import pytest
import xmltodict
from botocore.config import Config
from botocore.exceptions import ClientError

from sqs_e2e import ACCESS_KEY, ACCOUNT, OTHER_REGION, REGION, SECRET_KEY, http_request, md5_hex, unique

NS = "{http://queue.amazonaws.com/doc/2012-11-05/}"
BACKDOOR_RECEIPT = "SQS/BACKDOOR/ACCESS"


def peek_xml(mallard, params: dict | None = None, path: str = "/_aws/sqs/messages", headers: dict | None = None):
    """The endpoint's XML answer as a list of messages: {Body, MessageId, ..., Attributes: {...}}."""
    response = http_request(mallard.port, "GET", path + _query(params), headers=headers)
    assert response.status == 200, response.body[:500]
    assert response.headers["content-type"].startswith("text/xml")
    root = ET.fromstring(response.body)
    assert root.tag == NS + "ReceiveMessageResponse"
    messages = []
    for element in root.iter(NS + "Message"):
        message = {child.tag[len(NS):]: child.text for child in element if child.tag not in (NS + "Attribute", NS + "MessageAttribute")}
        message["Attributes"] = {a.find(NS + "Name").text: a.find(NS + "Value").text for a in element.iter(NS + "Attribute")}
        messages.append(message)
    return messages


def peek_json(mallard, params: dict | None = None, path: str = "/_aws/sqs/messages"):
    response = http_request(mallard.port, "GET", path + _query(params), headers={"Accept": "application/json"})
    assert response.headers["content-type"].startswith("application/json"), response.headers
    return response.status, response.json()


def json_messages(document) -> list[dict]:
    result = document["ReceiveMessageResponse"]["ReceiveMessageResult"]
    if result is None:
        return []
    messages = result["Message"]
    return messages if isinstance(messages, list) else [messages]


def attribute_map(json_message: dict) -> dict[str, str]:
    attributes = json_message["Attribute"]
    attributes = attributes if isinstance(attributes, list) else [attributes]
    return {a["Name"]: a["Value"] for a in attributes}


def _query(params: dict | None) -> str:
    if not params:
        return ""
    from urllib.parse import urlencode
    return "?" + urlencode(params)


def bodies(messages) -> list[str]:
    return [m["Body"] for m in messages]


# --- no side effects ---------------------------------------------------------------------------


def test_listing_has_no_side_effects(mallard, query_client):
    url = query_client.create_queue()
    query_client.send(url, "message-1")
    query_client.send(url, "message-2")
    for _ in range(3):
        listed = peek_xml(mallard, {"QueueUrl": url})
        assert bodies(listed) == ["message-1", "message-2"]
        assert [m["Attributes"]["ApproximateReceiveCount"] for m in listed] == ["0", "0"]

    received = query_client.receive(url, VisibilityTimeout=0, MaxNumberOfMessages=1, AttributeNames=["All"])
    assert received[0]["Body"] == "message-1"
    assert received[0]["Attributes"]["ApproximateReceiveCount"] == "1"
    listed = peek_xml(mallard, {"QueueUrl": url})
    assert [m["Attributes"]["ApproximateReceiveCount"] for m in listed] == ["1", "0"]
    assert listed[0]["Attributes"]["ApproximateFirstReceiveTimestamp"] == received[0]["Attributes"]["ApproximateFirstReceiveTimestamp"]
    # The real receipt still deletes the message; the listing's receipt is LocalStack's placeholder.
    assert all(m["ReceiptHandle"] == BACKDOOR_RECEIPT for m in listed)
    query_client.call("DeleteMessage", QueueUrl=url, ReceiptHandle=received[0]["ReceiptHandle"])
    assert bodies(peek_xml(mallard, {"QueueUrl": url})) == ["message-2"]


def test_in_flight_and_delayed_messages_per_flags(mallard, query_client):
    url = query_client.create_queue()
    sent = [query_client.send(url, "in-flight"), query_client.send(url, "visible"),
            query_client.send(url, "delayed", DelaySeconds=60)]
    taken = query_client.receive(url, MaxNumberOfMessages=1, VisibilityTimeout=120, AttributeNames=["All"])
    assert [m["Body"] for m in taken] == ["in-flight"]

    plain = peek_xml(mallard, {"QueueUrl": url})
    assert bodies(plain) == ["visible"]
    assert "IsVisible" not in plain[0]["Attributes"] and "IsDelayed" not in plain[0]["Attributes"]
    assert bodies(peek_xml(mallard, {"QueueUrl": url, "ShowInvisible": "false", "ShowDelayed": "0"})) == ["visible"]

    invisible = peek_xml(mallard, {"QueueUrl": url, "ShowInvisible": "True"})
    assert bodies(invisible) == ["in-flight", "visible"]
    assert [m["Attributes"]["IsVisible"] for m in invisible] == ["false", "true"]
    assert all("IsDelayed" not in m["Attributes"] for m in invisible)
    assert invisible[0]["Attributes"]["ApproximateReceiveCount"] == "1"

    delayed = peek_xml(mallard, {"QueueUrl": url, "ShowDelayed": "1"})
    assert bodies(delayed) == ["visible", "delayed"]
    assert [m["Attributes"]["IsDelayed"] for m in delayed] == ["false", "true"]

    everything = peek_xml(mallard, {"QueueUrl": url, "ShowInvisible": "true", "ShowDelayed": "true"})
    assert bodies(everything) == ["in-flight", "visible", "delayed"]
    assert [m["MessageId"] for m in everything] == [s["MessageId"] for s in sent]
    for message in everything:
        assert message["MD5OfBody"] == md5_hex(message["Body"])
        attributes = message["Attributes"]
        assert attributes["SenderId"]
        assert int(attributes["SentTimestamp"]) > 0
    assert [m["Attributes"]["ApproximateReceiveCount"] for m in everything] == ["1", "0", "0"]
    assert everything[0]["Attributes"]["SentTimestamp"] == taken[0]["Attributes"]["SentTimestamp"]

    # The peeks changed nothing: the visible message is received for the first time, the in-flight
    # one stays hidden until its timeout is cut, then comes back on its second receive.
    again = query_client.receive(url, MaxNumberOfMessages=10, AttributeNames=["All"])
    assert [(m["Body"], m["Attributes"]["ApproximateReceiveCount"]) for m in again] == [("visible", "1")]
    query_client.call("ChangeMessageVisibility", QueueUrl=url, ReceiptHandle=taken[0]["ReceiptHandle"], VisibilityTimeout=0)
    back = query_client.receive(url, MaxNumberOfMessages=10, AttributeNames=["All"])
    assert [(m["Body"], m["Attributes"]["ApproximateReceiveCount"]) for m in back] == [("in-flight", "2")]


def test_fifo_queue_lists_in_group_order_with_fifo_attributes(mallard, query_client):
    url = query_client.create_queue(unique("q") + ".fifo", {"FifoQueue": "true", "ContentBasedDeduplication": "true"})
    for body, group in [("message-1", "1"), ("message-2", "1"), ("message-3", "2")]:
        query_client.send(url, body, MessageGroupId=group)
    listed = peek_xml(mallard, {"QueueUrl": url})
    assert bodies(listed) == ["message-1", "message-2", "message-3"]
    assert [m["Attributes"]["MessageGroupId"] for m in listed] == ["1", "1", "2"]
    assert all(len(m["Attributes"]["SequenceNumber"]) == 20 for m in listed)
    assert all(len(m["Attributes"]["MessageDeduplicationId"]) == 64 for m in listed)  # content-based: SHA-256
    # Group 1's head in flight: the rest of group 1 waits, the listing still shows it as visible.
    assert [m["Body"] for m in query_client.receive(url, MaxNumberOfMessages=1)] == ["message-1"]
    assert bodies(peek_xml(mallard, {"QueueUrl": url})) == ["message-2", "message-3"]
    shown = peek_xml(mallard, {"QueueUrl": url, "ShowInvisible": "true"})
    assert [(m["Body"], m["Attributes"]["IsVisible"]) for m in shown] == [
        ("message-1", "false"), ("message-2", "true"), ("message-3", "true")]
    assert [m["Body"] for m in query_client.receive(url, MaxNumberOfMessages=10)] == ["message-3"]


# --- JSON ----------------------------------------------------------------------------------------


def _strip_request_ids(document):
    document = json.loads(json.dumps(document))
    for key in list(document):
        body = document[key]
        body.pop("ResponseMetadata", None)
        body.pop("RequestId", None)
        body.pop("@xmlns", None)
    return document


def test_json_is_localstacks_rendering_of_the_xml(mallard, query_client):
    url = query_client.create_queue()
    query_client.send(url, "message-1 <&> \u00e9\u4e2d", MessageAttributes={
        "color": {"DataType": "String", "StringValue": "blue"},
        "count": {"DataType": "Number", "StringValue": "42"},
        "blob": {"DataType": "Binary", "BinaryValue": bytes([0, 1, 254, 255])},
    })
    query_client.send(url, "message-2", MessageAttributes={"only": {"DataType": "String.custom", "StringValue": "one"}})
    query_client.send(url, "message-3", DelaySeconds=30)
    query_client.receive(url, MaxNumberOfMessages=1, VisibilityTimeout=60)
    for params in [{"QueueUrl": url}, {"QueueUrl": url, "ShowInvisible": "true", "ShowDelayed": "true"}]:
        xml = http_request(mallard.port, "GET", "/_aws/sqs/messages" + _query(params))
        status, document = peek_json(mallard, params)
        assert status == 200
        # xmltodict is what LocalStack renders its JSON with: the same document, request id aside.
        assert _strip_request_ids(document) == _strip_request_ids(xmltodict.parse(xml.body))
        assert isinstance(document["ReceiveMessageResponse"]["ResponseMetadata"]["RequestId"], str)

    status, document = peek_json(mallard, {"QueueUrl": url, "ShowInvisible": "true"})
    messages = json_messages(document)
    assert [m["Body"] for m in messages] == ["message-1 <&> \u00e9\u4e2d", "message-2"]
    assert messages[0]["MD5OfBody"] == md5_hex(messages[0]["Body"])
    first = attribute_map(messages[0])
    assert first["SenderId"] and first["SentTimestamp"] and first["IsVisible"] == "false"
    assert first["ApproximateReceiveCount"] == "1" and "ApproximateFirstReceiveTimestamp" in first
    typed = {a["Name"]: a["Value"] for a in messages[0]["MessageAttribute"]}
    assert typed["color"] == {"StringValue": "blue", "DataType": "String"}
    assert typed["blob"] == {"BinaryValue": "AAH+/w==", "DataType": "Binary"}
    # A single element is an object, not a list (xmltodict).
    assert messages[1]["MessageAttribute"] == {"Name": "only", "Value": {"StringValue": "one", "DataType": "String.custom"}}

    # One message: "Message" is that object; none: an empty result.
    status, document = peek_json(mallard, {"QueueUrl": url, "ShowDelayed": "true"})
    result = document["ReceiveMessageResponse"]["ReceiveMessageResult"]["Message"]
    assert isinstance(result, list) and len(result) == 2
    status, document = peek_json(mallard, {"QueueUrl": url})
    assert document["ReceiveMessageResponse"]["ReceiveMessageResult"]["Message"]["Body"] == "message-2"
    empty = query_client.create_queue()
    status, document = peek_json(mallard, {"QueueUrl": empty})
    assert status == 200 and document["ReceiveMessageResponse"]["ReceiveMessageResult"] is None


# --- addressing ----------------------------------------------------------------------------------


def test_queue_in_path_and_regions(mallard, query_client, make_client):
    url = query_client.create_queue()
    name = url.rsplit("/", 1)[1]
    query_client.send(url, "message-1")
    query_client.send(url, "message-2")
    status, document = peek_json(mallard, path=f"/_aws/sqs/messages/{REGION}/{ACCOUNT}/{name}")
    assert status == 200 and [m["Body"] for m in json_messages(document)] == ["message-1", "message-2"]
    assert bodies(peek_xml(mallard, path=f"/_aws/sqs/messages/{REGION}/{ACCOUNT}/{name}")) == ["message-1", "message-2"]
    status, document = peek_json(mallard, path=f"/_aws/sqs/messages/{OTHER_REGION}/{ACCOUNT}/{name}")
    assert status == 400
    assert document["ErrorResponse"]["Error"]["Code"] == "AWS.SimpleQueueService.NonExistentQueue"

    # A queue of another region: its region comes from the path, from a LocalStack-style URL, or
    # from the request's SigV4 scope; a bare Mallard URL means the default region.
    other = make_client("query", OTHER_REGION)
    other_url = other.create_queue()
    other.send(other_url, "elsewhere")
    other_name = other_url.rsplit("/", 1)[1]
    for queue_url in [f"http://sqs.{OTHER_REGION}.localhost.localstack.cloud:4566/{ACCOUNT}/{other_name}",
                      f"http://{OTHER_REGION}.queue.localhost.localstack.cloud:4566/{ACCOUNT}/{other_name}",
                      f"http://localhost:4566/queue/{OTHER_REGION}/{ACCOUNT}/{other_name}"]:
        assert bodies(peek_xml(mallard, {"QueueUrl": queue_url})) == ["elsewhere"], queue_url
    assert bodies(peek_xml(mallard, path=f"/_aws/sqs/messages/{OTHER_REGION}/{ACCOUNT}/{other_name}")) == ["elsewhere"]
    status, document = peek_json(mallard, {"QueueUrl": other_url})
    assert status == 400 and document["ErrorResponse"]["Error"]["Code"] == "AWS.SimpleQueueService.NonExistentQueue"
    signed = http_request(mallard.port, "GET", "/_aws/sqs/messages" + _query({"QueueUrl": other_url}), sign=True,
                          region=OTHER_REGION)
    assert signed.status == 200 and b"elsewhere" in signed.body


def test_errors(mallard, query_client):
    status, document = peek_json(mallard)
    assert status == 400
    error = document["ErrorResponse"]["Error"]
    assert error["Code"] == "AWS.SimpleQueueService.NonExistentQueue"
    assert error["Type"] == "Sender"
    assert document["ErrorResponse"]["RequestId"]

    status, document = peek_json(mallard, {"QueueUrl": "http://localhost:4566/nonsense"})
    assert status == 404
    assert document["ErrorResponse"]["Error"] == {
        "Code": "InvalidAddress", "Message": "The address https://queue.amazonaws.com/ is not valid for this endpoint.",
        "Type": "Sender"}

    status, document = peek_json(mallard, path=f"/_aws/sqs/messages/{REGION}/{ACCOUNT}/hopefullydoesnotexist")
    assert status == 400 and document["ErrorResponse"]["Error"]["Code"] == "AWS.SimpleQueueService.NonExistentQueue"
    status, document = peek_json(mallard, {"QueueUrl": f"http://localhost:4566/{ACCOUNT}/hopefullydoesnotexist"})
    assert status == 400 and document["ErrorResponse"]["Error"]["Code"] == "AWS.SimpleQueueService.NonExistentQueue"

    xml = http_request(mallard.port, "GET", "/_aws/sqs/messages?QueueUrl=" + f"{ACCOUNT}/nothing-here")
    assert xml.status == 400 and xml.headers["content-type"].startswith("text/xml")
    error = ET.fromstring(xml.body).find(NS + "Error")
    assert error.find(NS + "Code").text == "AWS.SimpleQueueService.NonExistentQueue"
    assert error.find(NS + "Message").text == "The specified queue does not exist for this wsdl version."

    # Neither a queue path of three segments nor another method.
    assert http_request(mallard.port, "GET", f"/_aws/sqs/messages/{REGION}/{ACCOUNT}").status == 404
    assert http_request(mallard.port, "GET", f"/_aws/sqs/messages/{REGION}/{ACCOUNT}/q/extra").status == 404
    put = http_request(mallard.port, "PUT", "/_aws/sqs/messages", body=b"")
    assert put.status == 405
    # A broken escape is a clear error, not a crash.
    bad = http_request(mallard.port, "GET", "/_aws/sqs/messages?QueueUrl=%zz")
    assert bad.status == 400
    assert http_request(mallard.port, "GET", f"/_aws/sqs/messages/%zz/{ACCOUNT}/q%").status == 400
    form = http_request(mallard.port, "POST", "/_aws/sqs/messages",
                        headers={"Content-Type": "application/x-www-form-urlencoded"},
                        body="Action=ReceiveMessage&QueueUrl=%G0")
    assert form.status == 400 and form.headers["content-type"].startswith("text/xml")
    deep = http_request(mallard.port, "POST", "/_aws/sqs/messages",
                        headers={"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "AmazonSQS.ReceiveMessage"},
                        body="[" * 100000)
    assert deep.status == 400
    huge = http_request(mallard.port, "GET", "/_aws/sqs/messages?QueueUrl=http://h/" + "a/" * 2000 + "b")
    assert huge.status == 404
    assert http_request(mallard.port, "GET", "/_mallard/health").status == 200


# --- as a client's endpoint ----------------------------------------------------------------------


def _backdoor_client(mallard):
    return boto3.session.Session(aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY,
                                 region_name=REGION).client(
        "sqs", endpoint_url=mallard.endpoint + "/_aws/sqs/messages",
        config=Config(retries={"max_attempts": 1, "mode": "standard"}))


def test_as_boto_endpoint_url(mallard, query_client):
    url = query_client.create_queue()
    query_client.send(url, "message-1")
    query_client.send(url, "message-2")
    client = _backdoor_client(mallard)
    for _ in range(2):  # MaxNumberOfMessages is ignored, and nothing is received
        response = client.receive_message(QueueUrl=url, MaxNumberOfMessages=1)
        assert [m["Body"] for m in response["Messages"]] == ["message-1", "message-2"]
        assert [m["Attributes"]["ApproximateReceiveCount"] for m in response["Messages"]] == ["0", "0"]
    with pytest.raises(ClientError) as raised:
        client.send_message(QueueUrl=url, MessageBody="foobar")
    assert raised.value.response["Error"]["Code"] == "InvalidRequest"
    assert raised.value.response["Error"]["Message"] == "This endpoint only accepts ReceiveMessage calls"
    assert len(query_client.receive(url, MaxNumberOfMessages=10)) == 2


def test_as_endpoint_of_an_aws_json_client(mallard, query_client):
    url = query_client.create_queue()
    query_client.send(url, "message-1", MessageAttributes={"k": {"DataType": "String", "StringValue": "v"}})
    query_client.send(url, "message-2")
    headers = {"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "AmazonSQS.ReceiveMessage"}
    response = http_request(mallard.port, "POST", "/_aws/sqs/messages", headers=headers,
                            body=json.dumps({"QueueUrl": url, "MaxNumberOfMessages": 1}), sign=True)
    assert response.status == 200, response.body
    messages = response.json()["Messages"]
    assert [m["Body"] for m in messages] == ["message-1", "message-2"]
    assert messages[0]["Attributes"]["ApproximateReceiveCount"] == "0"
    assert messages[0]["MessageAttributes"] == {"k": {"StringValue": "v", "DataType": "String"}}
    assert messages[0]["ReceiptHandle"] == BACKDOOR_RECEIPT

    wrong = http_request(mallard.port, "POST", "/_aws/sqs/messages",
                         headers={**headers, "X-Amz-Target": "AmazonSQS.SendMessage"},
                         body=json.dumps({"QueueUrl": url, "MessageBody": "x"}), sign=True)
    assert wrong.status == 400
    assert wrong.json()["__type"].endswith("InvalidRequest")
    assert wrong.json()["message"] == "This endpoint only accepts ReceiveMessage calls"
    missing = http_request(mallard.port, "POST", "/_aws/sqs/messages", headers=headers,
                           body=json.dumps({"QueueUrl": url.rsplit("/", 1)[0] + "/absent"}), sign=True)
    assert missing.status == 400 and missing.json()["__type"] == "com.amazonaws.sqs#QueueDoesNotExist"
    not_json = http_request(mallard.port, "POST", "/_aws/sqs/messages", headers=headers, body=b"{", sign=True)
    assert not_json.status == 400
    assert len(query_client.receive(url, MaxNumberOfMessages=10)) == 2


# --- queue URLs: a seeded random comparison with LocalStack's parser -------------------------------


def localstack_parse_queue_url(queue_url: str):
    """LocalStack's parse_queue_url (localstack/services/sqs/utils.py), the reference: (account,
    region or None, name), or None where it raises ValueError."""
    from urllib.parse import urlparse
    url = urlparse(queue_url.rstrip("/"))
    path_parts = url.path.lstrip("/").split("/")
    domain_parts = url.netloc.split(".")
    if len(path_parts) not in (2, 4):
        return None
    account_id, queue_name = path_parts[-2:]
    if len(path_parts) == 4:
        if path_parts[0] != "queue":
            return None
        region = path_parts[1]
    elif url.netloc.startswith("sqs."):
        region = domain_parts[1]
    elif ".queue." in url.netloc:
        if domain_parts[1] != "queue":
            return None
        region = domain_parts[0]
    elif url.netloc.startswith("queue"):
        region = "us-east-1"
    else:
        region = None
    return account_id, region, queue_name


def test_queue_urls_resolve_as_localstack_parses_them(mallard, make_client):
    import os
    import random
    seed = int(os.environ.get("MALLARD_SQS_PEEK_URL_SEED") or random.randrange(1 << 30))
    print(f"MALLARD_SQS_PEEK_URL_SEED={seed} replays this run")
    rng = random.Random(seed)
    names = {REGION: unique("here"), OTHER_REGION: unique("there")}
    for region, name in names.items():
        client = make_client("query", region)
        client.send(client.create_queue(name), f"in {region}")
    regions = [REGION, OTHER_REGION, "ap-south-2"]
    hosts = ["localhost:4566", "127.0.0.1:4566", "sqs.{r}.localhost.localstack.cloud:4566", "{r}.queue.localhost.localstack.cloud",
             "queue.localhost.localstack.cloud:4566", "sqs.amazonaws.com", "x.queue.y", "{r}.queuey.z", "queue", "sqs.", ""]
    for attempt in range(200):
        region = rng.choice(regions)
        account = rng.choice([ACCOUNT, "111111111111", ""])
        name = rng.choice(list(names.values()) + ["absent", ""])
        parts = rng.choice([[account, name], ["queue", region, account, name], [name], ["x", region, account, name],
                            [account, name, "extra"], ["queue", region, account, name, ""]])
        path = "/".join(parts) + rng.choice(["", "/", "//"])
        host = rng.choice(hosts).format(r=region)
        url = rng.choice(["http://", "https://", "//", ""]) + host + ("/" if host else "") + path
        expected = localstack_parse_queue_url(url)
        status, document = peek_json(mallard, {"QueueUrl": url})
        context = f"{url!r} (seed {seed})"
        if not url:  # an empty QueueUrl is a missing one, before any parsing
            assert status == 400, context
            assert document["ErrorResponse"]["Error"]["Code"] == "AWS.SimpleQueueService.NonExistentQueue", context
            continue
        if expected is None:
            assert status == 404 and document["ErrorResponse"]["Error"]["Code"] == "InvalidAddress", context
            continue
        exp_account, exp_region, exp_name = expected
        exp_region = exp_region or REGION  # unsigned: the server's default region
        if exp_account == ACCOUNT and names.get(exp_region) == exp_name:
            assert status == 200, context
            assert [m["Body"] for m in json_messages(document)] == [f"in {exp_region}"], context
        else:
            assert status == 400, context
            assert document["ErrorResponse"]["Error"]["Code"] == "AWS.SimpleQueueService.NonExistentQueue", context
