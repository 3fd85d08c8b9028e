"""SNS's generated awsQuery shapes against botocore, the independent reference: seeded random inputs
of all 42 operations are serialised by botocore's query serializer into the exact form bodies an SDK
sends, and must decode (FormToJson) to the same values; seeded random outputs are rendered by
RenderQueryResult and must parse back with botocore's query parser to the same values. Plus the
documented responses of sns_shapes_test.cpp, parsed here rather than only compared as text, and
damaged bodies (bad indexes, missing keys, wrong scalars, broken escapes), which must get an answer.

The C++ side is mallard_sns_model_tests' SnsShapesAgainstBotocore.AnswersCasesFile (path in
MALLARD_SNS_MODEL_TESTS, which ctest sets). MALLARD_SNS_SHAPES_SEED=n replays a seed;
MALLARD_SNS_SHAPES_PER_OPERATION sets how many inputs and outputs each operation gets (default 25).
"""
from __future__ import annotations

import base64
import datetime
import json
import os
import random
import subprocess
import tempfile

import botocore.session
from botocore import parsers, serialize
from botocore.awsrequest import create_request_object, prepare_request_dict
from botocore.utils import parse_timestamp

SEED = int(os.environ.get("MALLARD_SNS_SHAPES_SEED", "17"))
PER_OPERATION = int(os.environ.get("MALLARD_SNS_SHAPES_PER_OPERATION", "25"))
REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), *[".."] * 5))
EXECUTABLE = os.environ.get("MALLARD_SNS_MODEL_TESTS",
                            os.path.join(REPO_ROOT, "build", "tests", "mallard_sns_model_tests"))

MODEL = botocore.session.get_session().get_service_model("sns")
SERIALIZER = serialize.create_serializer("query", include_validation=False)
PARSER = parsers.create_parser("query")

# Text a message or an attribute may hold: XML's specials, form encoding's specials, whitespace XML
# parsers normalise (\r), multi-byte and astral UTF-8. Not XML-illegal control characters: AWS
# refuses those in SNS input, and XML 1.0 cannot carry them.
ALPHABET = list("abcXYZ019 .-_:/") + ["&", "<", ">", '"', "'", "=", "+", "%", "\t", "\n", "\r", "é", "中", "😀"]


def random_text(rng: random.Random, shortest: int = 0) -> str:
    return "".join(rng.choice(ALPHABET) for _ in range(rng.randint(shortest, 12)))


def random_timestamp(rng: random.Random) -> datetime.datetime:
    seconds = rng.randint(0, 4_000_000_000)
    return (datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
            + datetime.timedelta(seconds=seconds, milliseconds=rng.randint(0, 999)))


def random_value(rng: random.Random, shape, nested: bool):
    kind = shape.type_name
    if kind == "structure":
        while True:
            value = {name: random_value(rng, member, True)
                     for name, member in shape.members.items() if rng.random() < 0.6}
            # An element or map value with nothing in it is not sent at all; make nested ones real.
            if not nested or expected_sent(shape, value, True) is not None:
                return value
    if kind == "list":
        return [random_value(rng, shape.member, True) for _ in range(rng.choice([0, 1, 1, 2, 3]))]
    if kind == "map":
        return {random_text(rng, 1): random_value(rng, shape.value, True) for _ in range(rng.choice([0, 1, 2, 3]))}
    if kind == "string":
        return random_text(rng)
    if kind == "integer":
        return rng.choice([0, 1, -1, 2**31 - 1, -2**31, rng.randint(-1000, 1000)])
    if kind == "long":
        return rng.choice([0, 2**63 - 1, -2**63, rng.randint(-2**40, 2**40)])
    if kind == "boolean":
        return rng.random() < 0.5
    if kind == "blob":
        return bytes(rng.randint(0, 255) for _ in range(rng.randint(0, 9)))
    if kind == "timestamp":
        return random_timestamp(rng)
    raise AssertionError(f"no generator for {kind}")


def expected_sent(shape, value, nested: bool):
    """What decoding botocore's form body must give: absent parts (None) are what botocore omits."""
    kind = shape.type_name
    if kind == "structure":
        result = {}
        for name, item in value.items():
            sent = expected_sent(shape.members[name], item, True)
            if sent is not None:
                result[name] = sent
        return None if nested and not result else result
    if kind == "list":
        if not value:
            return []  # botocore sends "Member=" for an empty list
        items = [sent for sent in (expected_sent(shape.member, item, True) for item in value) if sent is not None]
        return items or None
    if kind == "map":
        if not value:
            return None  # and nothing for an empty map
        return {key: expected_sent(shape.value, item, True) for key, item in value.items()}
    if kind == "blob":
        return base64.b64encode(value).decode("ascii")
    if kind == "timestamp":
        return SERIALIZER._convert_timestamp_to_str(value, "iso8601")
    return value


def output_document(shape, value):
    """The JSON a service hands the codec: timestamps as ISO 8601 text, blobs as base64."""
    kind = shape.type_name
    if kind == "structure":
        return {name: output_document(shape.members[name], item) for name, item in value.items()}
    if kind == "list":
        return [output_document(shape.member, item) for item in value]
    if kind == "map":
        return {key: output_document(shape.value, item) for key, item in value.items()}
    if kind == "timestamp":
        return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"
    if kind == "blob":
        return base64.b64encode(value).decode("ascii")
    return value


def expected_parsed(shape, value):
    """What botocore's parser must give for an output document."""
    kind = shape.type_name
    if kind == "structure":
        return {name: expected_parsed(shape.members[name], item) for name, item in value.items()}
    if kind == "list":
        return [expected_parsed(shape.member, item) for item in value]
    if kind == "map":
        return {key: expected_parsed(shape.value, item) for key, item in value.items()}
    if kind == "timestamp":
        return parse_timestamp(value if isinstance(value, str) else output_document(shape, value))
    return value


def canonical(value) -> str:
    """Strict comparison text: Python's == takes True for 1; JSON text does not (datetimes as ISO)."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, default=lambda item: item.isoformat())


def form_body(operation: str, params: dict) -> str:
    request = SERIALIZER.serialize_to_request(params, MODEL.operation_model(operation))
    prepare_request_dict(request, "https://sns.us-east-1.amazonaws.com")
    return create_request_object(request).prepare().body


def run_cases(cases: list[dict]) -> list[dict]:
    assert os.path.exists(EXECUTABLE), f"{EXECUTABLE} is not built (set MALLARD_SNS_MODEL_TESTS)"
    with tempfile.TemporaryDirectory() as scratch:
        cases_path = os.path.join(scratch, "cases.jsonl")
        results_path = os.path.join(scratch, "results.jsonl")
        with open(cases_path, "w", encoding="utf-8") as out:
            for case in cases:
                out.write(json.dumps(case, ensure_ascii=False) + "\n")
        environment = dict(os.environ, MALLARD_SNS_SHAPES_CASES=cases_path, MALLARD_SNS_SHAPES_RESULTS=results_path)
        finished = subprocess.run([EXECUTABLE, "--gtest_filter=*SnsShapesAgainstBotocore.AnswersCasesFile*"],
                                  env=environment, capture_output=True, text=True, timeout=120)
        assert finished.returncode == 0, finished.stdout + finished.stderr
        with open(results_path, encoding="utf-8") as results:
            answers = [json.loads(line) for line in results]
    assert len(answers) == len(cases)
    return answers


def parse_xml(operation: str, xml: str) -> dict:
    response = {"body": xml.encode("utf-8"), "headers": {}, "status_code": 200}
    parsed = PARSER.parse(response, MODEL.operation_model(operation).output_shape)
    metadata = parsed.pop("ResponseMetadata")
    assert metadata["RequestId"] == "rid-1"
    return parsed


def test_every_operation_is_in_the_model_botocore_uses():
    assert len(MODEL.operation_names) == 42


def test_random_inputs_decode_as_botocore_serialises_them():
    rng = random.Random(SEED)
    cases, expectations = [], []
    for operation in sorted(MODEL.operation_names):
        shape = MODEL.operation_model(operation).input_shape
        for _ in range(PER_OPERATION):
            params = random_value(rng, shape, False) if shape is not None else {}
            cases.append({"kind": "decode", "operation": operation, "body": form_body(operation, params)})
            expectations.append(expected_sent(shape, params, False) if shape is not None else {})
    for case, expected, answer in zip(cases, expectations, run_cases(cases)):
        assert answer["ok"], (SEED, case, answer)
        assert canonical(answer["input"]) == canonical(expected), (SEED, case["operation"], case["body"])


def test_random_outputs_parse_back_with_botocore():
    rng = random.Random(SEED + 1)
    cases, expectations = [], []
    for operation in sorted(MODEL.operation_names):
        shape = MODEL.operation_model(operation).output_shape
        if shape is None:
            continue
        for _ in range(PER_OPERATION):
            value = random_value(rng, shape, False)
            cases.append({"kind": "encode", "operation": operation, "output": output_document(shape, value)})
            expectations.append(expected_parsed(shape, value))
    for case, expected, answer in zip(cases, expectations, run_cases(cases)):
        assert answer["ok"], (SEED, case, answer)
        parsed = parse_xml(case["operation"], answer["xml"])
        assert canonical(parsed) == canonical(expected), (SEED, case, answer["xml"])


# The documented responses sns_shapes_test.cpp compares as text, parsed as an SDK parses them.
DOCUMENTED_OUTPUTS = [
    ("ListTopics", {"Topics": [{"TopicArn": "arn:aws:sns:us-east-2:123456789012:My-Topic"},
                               {"TopicArn": "arn:aws:sns:us-east-2:123456789012:Other"}], "NextToken": "t&2"}),
    ("GetTopicAttributes", {"Attributes": {"Owner": "123456789012", "Policy": '{"Version":"2008-10-17"}',
                                           "DisplayName": "a<b"}}),
    ("PublishBatch", {"Successful": [{"Id": "e1", "MessageId": "m-1", "SequenceNumber": "10000000000000000001"}],
                      "Failed": [{"Id": "e2", "Code": "InvalidParameter", "Message": "Invalid parameter: Message",
                                  "SenderFault": True}]}),
    ("ListTagsForResource", {"Tags": [{"Key": "team", "Value": "payments"}, {"Key": "env", "Value": ""}]}),
    ("TagResource", {}),
    ("CheckIfPhoneNumberIsOptedOut", {"isOptedOut": False}),
    ("ListOriginationNumbers", {"PhoneNumbers": [{"CreatedAt": "2024-02-29T23:59:59.500Z", "PhoneNumber": "+15550100",
                                                  "NumberCapabilities": ["SMS", "VOICE"]}]}),
]


def test_documented_outputs_parse_with_botocore():
    cases = [{"kind": "encode", "operation": operation, "output": output} for operation, output in DOCUMENTED_OUTPUTS]
    for (operation, output), answer in zip(DOCUMENTED_OUTPUTS, run_cases(cases)):
        expected = expected_parsed(MODEL.operation_model(operation).output_shape, output)
        assert canonical(parse_xml(operation, answer["xml"])) == canonical(expected), answer["xml"]


def mangle(rng: random.Random, body: str) -> str:
    """A botocore body with its keys and values damaged the ways a hand-written client damages them."""
    pairs = [(pair.split("=", 1) + [""])[:2] for pair in body.split("&")]
    for _ in range(rng.randint(1, 4)):
        if not pairs:
            break
        target = rng.randrange(len(pairs))
        key, value = pairs[target]
        parts = key.split(".")
        choice = rng.randrange(9)
        if choice == 0:  # an index AWS never sends
            numbered = [i for i, part in enumerate(parts) if part.isdigit()]
            if numbered:
                parts[rng.choice(numbered)] = rng.choice(["0", "-1", "01", "1e3", "99999999999999999999", "", "+1"])
        elif choice == 1:  # a segment dropped or doubled
            position = rng.randrange(len(parts))
            parts = parts[:position] + parts[position + 1:] if rng.random() < 0.5 else \
                parts[:position] + [parts[position]] + parts[position:]
        elif choice == 2:  # the key or the value of a map entry missing
            pairs.pop(target)
            continue
        elif choice == 3:  # a scalar with a value its type cannot hold
            value = rng.choice(["", "yes", "1.5", "-", "9" * 30, "%zz", "true"])
        elif choice == 4:  # a duplicate entry under the same index
            pairs.append([key, value + "2"])
        elif choice == 5:  # a stray suffix
            parts.append(rng.choice(["member", "entry", "1", "key", "Value", ""]))
        elif choice == 6:  # a prefix on its own ("Tags" without ".member.1")
            parts = parts[:1]
        elif choice == 7:  # a broken escape
            value = value + "%"
        else:  # dots doubled or trailing
            parts = [part + ("." if rng.random() < 0.5 else "") for part in parts]
        pairs[target] = [".".join(parts), value]
    return "&".join(f"{key}={value}" for key, value in pairs)


def test_damaged_bodies_get_an_answer_never_a_crash():
    rng = random.Random(SEED + 2)
    cases = []
    for operation in sorted(MODEL.operation_names):
        shape = MODEL.operation_model(operation).input_shape
        for _ in range(PER_OPERATION):
            params = random_value(rng, shape, False) if shape is not None else {}
            cases.append({"kind": "decode", "operation": operation, "body": mangle(rng, form_body(operation, params))})
    answers = run_cases(cases)
    for case, answer in zip(cases, answers):
        if answer["ok"]:
            assert isinstance(answer["input"], dict), case
        else:
            assert answer["code"] in ("InvalidParameterValue", "MalformedQueryString"), (case, answer)
    # Enough of them still decode that the damage is exercised past the parameter parser.
    assert sum(answer["ok"] for answer in answers) > len(answers) // 4
