"""S3 listings end to end with boto3: ListObjectsV2 and ListObjects (v1) with prefix, delimiter, StartAfter
and pagination (boto3's paginators, small MaxKeys) against an independent Python model of the expected
answer, over seeded random key sets with unicode, `+`, spaces and runs of `/`."""

from __future__ import annotations

import random
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from s3_e2e import bucket, bucket_name, expect_error, memory_s3, s3  # noqa: F401

ALPHABET = ["a", "b", "z", "0", "9", "/", "//", "-", ".", "+", " ", "ü", "é", "日本", "🦆", "~", "_", "A"]


def random_keys(rng: random.Random, count: int) -> list[str]:
    keys: set[str] = set()
    while len(keys) < count:
        parts = [rng.choice(ALPHABET) for _ in range(rng.randint(1, 8))]
        if rng.random() < 0.3:
            parts.insert(0, rng.choice(["logs/", "logs//", "data/2024/", "/", "ü/"]))
        keys.add("".join(parts))
    return list(keys)


def utf8_order(keys) -> list[str]:
    """S3 lists in the binary order of the keys' UTF-8 bytes (not Python's code-point order for astral
    characters vs. U+E000..U+FFFF, which differs)."""
    return sorted(keys, key=lambda k: k.encode("utf-8"))


def model_listing(keys: list[str], prefix: str = "", delimiter: str = "", start_after: str = "") \
        -> tuple[list[str], list[str]]:
    """(keys, common prefixes) as S3 documents them, in UTF-8 byte order, each prefix once."""
    contents: list[str] = []
    prefixes: list[str] = []
    start = start_after.encode("utf-8")
    for key in utf8_order(keys):
        if not key.startswith(prefix) or key.encode("utf-8") <= start:
            continue
        rest = key[len(prefix):]
        if delimiter and delimiter in rest:
            common = prefix + rest[:rest.index(delimiter) + len(delimiter)]
            if not prefixes or prefixes[-1] != common:
                prefixes.append(common)
            continue
        contents.append(key)
    return contents, prefixes


def put_keys(s3, bucket: str, keys: list[str]) -> None:
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda k: s3.put_object(Bucket=bucket, Key=k, Body=k.encode("utf-8")), keys))


def collect(pages) -> tuple[list[str], list[str], int]:
    contents: list[str] = []
    prefixes: list[str] = []
    count = 0
    for page in pages:
        count += 1
        contents += [c["Key"] for c in page.get("Contents", [])]
        prefixes += [p["Prefix"] for p in page.get("CommonPrefixes", [])]
    return contents, prefixes, count


@pytest.mark.parametrize("seed", [1, 2])
def test_list_objects_v2_against_model(s3, bucket, seed):
    rng = random.Random(seed)
    keys = random_keys(rng, 150)
    put_keys(s3, bucket, keys)
    paginator = s3.get_paginator("list_objects_v2")
    queries = [("", ""), ("", "/"), ("logs/", "/"), ("logs//", "/"), ("a", ""), ("ü", "/"), ("", "a"),
               ("", "//"), ("data/", "/"), ("/", "/")]
    for _ in range(6):
        queries.append((rng.choice(keys)[:rng.randint(0, 3)], rng.choice(["", "/", "a", "ü", "+"])))
    for prefix, delimiter in queries:
        for page_size in (1000, rng.choice([1, 2, 3, 7, 13])):
            params = {"Bucket": bucket, "Prefix": prefix, "PaginationConfig": {"PageSize": page_size}}
            if delimiter:
                params["Delimiter"] = delimiter
            contents, prefixes, pages = collect(paginator.paginate(**params))
            want_contents, want_prefixes = model_listing(keys, prefix, delimiter)
            label = f"prefix={prefix!r} delimiter={delimiter!r} page={page_size}"
            assert contents == want_contents, label
            # A common prefix may repeat across pages only if S3 split it; it never does: each once.
            assert prefixes == want_prefixes, label
            if page_size < 1000:
                assert pages >= (len(want_contents) + len(want_prefixes) + page_size - 1) // page_size, label
    start_after = rng.choice(keys)
    contents, _, _ = collect(paginator.paginate(Bucket=bucket, StartAfter=start_after,
                                                PaginationConfig={"PageSize": 5}))
    assert contents == model_listing(keys, start_after=start_after)[0]


def test_list_objects_v2_page_fields(s3, bucket):
    keys = [f"k{i:03d}" for i in range(12)]
    put_keys(s3, bucket, keys)
    first = s3.list_objects_v2(Bucket=bucket, MaxKeys=5)
    assert (first["KeyCount"], first["MaxKeys"], first["IsTruncated"]) == (5, 5, True)
    assert first["NextContinuationToken"]
    assert [c["Key"] for c in first["Contents"]] == keys[:5]
    content = first["Contents"][0]
    assert content["Size"] == 4 and content["ETag"].startswith('"') and content["StorageClass"] == "STANDARD"
    assert "Owner" not in content, "ListObjectsV2 leaves Owner out unless FetchOwner=true"
    second = s3.list_objects_v2(Bucket=bucket, MaxKeys=5, ContinuationToken=first["NextContinuationToken"],
                                FetchOwner=True)
    assert second["ContinuationToken"] == first["NextContinuationToken"]
    assert [c["Key"] for c in second["Contents"]] == keys[5:10]
    assert second["Contents"][0]["Owner"].get("ID")
    third = s3.list_objects_v2(Bucket=bucket, MaxKeys=5, ContinuationToken=second["NextContinuationToken"])
    assert [c["Key"] for c in third["Contents"]] == keys[10:]
    assert third["IsTruncated"] is False and "NextContinuationToken" not in third
    empty = s3.list_objects_v2(Bucket=bucket, Prefix="nothing")
    assert empty["KeyCount"] == 0 and "Contents" not in empty and empty["IsTruncated"] is False
    zero = s3.list_objects_v2(Bucket=bucket, MaxKeys=0)
    assert zero["KeyCount"] == 0 and "Contents" not in zero


def test_list_objects_v2_more_than_a_thousand(memory_s3):
    s3 = memory_s3
    bucket = bucket_name()
    s3.create_bucket(Bucket=bucket)
    keys = [f"many/{i:05d}" for i in range(1105)]
    put_keys(s3, bucket, keys)
    first = s3.list_objects_v2(Bucket=bucket)
    assert (first["KeyCount"], first["IsTruncated"]) == (1000, True), "1,000 keys per page at most"
    second = s3.list_objects_v2(Bucket=bucket, ContinuationToken=first["NextContinuationToken"])
    assert [c["Key"] for c in first["Contents"] + second["Contents"]] == keys
    capped = s3.list_objects_v2(Bucket=bucket, MaxKeys=5000)
    assert capped["KeyCount"] == 1000


def test_list_objects_v1_against_model(s3, bucket):
    rng = random.Random(3)
    keys = random_keys(rng, 120)
    put_keys(s3, bucket, keys)
    paginator = s3.get_paginator("list_objects")
    for prefix, delimiter in [("", ""), ("", "/"), ("logs/", "/"), ("", "ü"), ("data/2024/", "/")]:
        for page_size in (1000, 4):
            params = {"Bucket": bucket, "Prefix": prefix, "PaginationConfig": {"PageSize": page_size}}
            if delimiter:
                params["Delimiter"] = delimiter
            contents, prefixes, _ = collect(paginator.paginate(**params))
            assert (contents, prefixes) == model_listing(keys, prefix, delimiter), (prefix, delimiter, page_size)
    marker = utf8_order(keys)[40]
    page = s3.list_objects(Bucket=bucket, Marker=marker, MaxKeys=10)
    assert page["Marker"] == marker
    assert [c["Key"] for c in page["Contents"]] == model_listing(keys, start_after=marker)[0][:10]
    assert page["IsTruncated"] is True
    assert page["Contents"][0]["Owner"].get("ID"), "ListObjects (v1) returns Owner"
    with_delimiter = s3.list_objects(Bucket=bucket, Delimiter="/", MaxKeys=3)
    if with_delimiter["IsTruncated"]:
        assert with_delimiter.get("NextMarker"), "v1 gives NextMarker when a delimiter is given and truncated"


def test_encoding_type_url_round_trips_awkward_keys(s3, bucket):
    keys = ["a b", "a+b", "a%2Fb", "ü/é", "tab\there", "q?x=1&y", "amp&lt;", "new\nline"]
    put_keys(s3, bucket, keys)
    # boto3 asks for EncodingType=url and decodes the answer itself.
    assert [c["Key"] for c in s3.list_objects_v2(Bucket=bucket)["Contents"]] == utf8_order(keys)
    assert [c["Key"] for c in s3.list_objects(Bucket=bucket)["Contents"]] == utf8_order(keys)


def test_listing_errors(s3, bucket):
    expect_error(lambda: s3.list_objects_v2(Bucket=bucket, ContinuationToken="not-a-token"), "InvalidArgument", 400,
                 check_message=False)
    expect_error(lambda: s3.list_objects_v2(Bucket=bucket, MaxKeys=-1), "InvalidArgument", 400, check_message=False)


def test_listing_escapes_xml_special_characters_as_s3_does(s3, bucket):
    # S3 writes the five predefined entities in element text (its ETags arrive as &quot;…&quot;, and its
    # object-key guide names &apos; and &quot; for ' and "); every XML parser reads them back.
    keys = ["it's", 'say "hi"', "a&b<c>d", "tab\there"]
    for key in keys:
        s3.put_object(Bucket=bucket, Key=key, Body=b"x")
    # boto3 asks for encoding-type=url; a plain request gets the keys as XML text.
    answer = requests.get(f"{s3.meta.endpoint_url}/{bucket}?list-type=2", timeout=30)
    assert answer.status_code == 200
    body = answer.content.decode()
    listed = [item["Key"] for item in s3.list_objects_v2(Bucket=bucket)["Contents"]]
    assert sorted(listed) == sorted(keys)
    assert "<Key>it&apos;s</Key>" in body and "<Key>say &quot;hi&quot;</Key>" in body
    assert "<Key>a&amp;b&lt;c&gt;d</Key>" in body and "<Key>tab\there</Key>" in body
    assert "<ETag>&quot;" in body
