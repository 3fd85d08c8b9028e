"""A lake whose data path is `s3://bucket/prefix` on Mallard's own S3: the lake writes its Parquet
files through the S3 file store's paths, so they are S3 objects (listed, downloadable, byte for byte
the files) and Athena reads the table from them."""

from __future__ import annotations

import subprocess

import boto3
from botocore.config import Config

from conftest import mallard_bin, server_env, start_server, stop_server
from sqlengine_e2e import athena_rows, client


def s3_client(endpoint: str):
    return boto3.client("s3", endpoint_url=endpoint, config=Config(s3={"addressing_style": "path"}))


def test_lake_data_path_on_s3_writes_objects_the_sql_engine_reads(tmp_path):
    root = tmp_path / "s3"
    catalog = tmp_path / "lake.ducklake"
    args = ["--backend-s3", f"file://{root}"]
    server = start_server(tmp_path / "mallard.log", args)
    try:
        s3_client(server.endpoint).create_bucket(Bucket="warehouse")
    finally:
        stop_server(server)

    # The lake is created by the server (its data path resolved through S3), then loaded by the CLI.
    lake_args = [*args, "--lake-catalog", str(catalog), "--lake-data-path", "s3://warehouse/tables"]
    server = start_server(tmp_path / "mallard.log", lake_args)
    stop_server(server)
    csv = tmp_path / "fruit.csv"
    csv.write_text("id,name\n1,apple\n2,pear\n3,fig\n")
    loaded = subprocess.run([str(mallard_bin()), "lake", "--catalog", str(catalog), "load", "fruit", str(csv)],
                            capture_output=True, text=True, timeout=120, env=server_env())
    assert loaded.returncode == 0, loaded.stderr

    server = start_server(tmp_path / "mallard.log", lake_args)
    try:
        s3 = s3_client(server.endpoint)
        listed = s3.list_objects_v2(Bucket="warehouse", Prefix="tables/")
        keys = [entry["Key"] for entry in listed.get("Contents", [])]
        parquet = [key for key in keys if key.endswith(".parquet")]
        assert len(parquet) == 1 and parquet[0].startswith("tables/main/fruit/"), keys
        # Nothing but the lake's files under the prefix (DuckDB's spill directory is elsewhere).
        assert all(key.startswith("tables/main/") for key in keys), keys
        body = s3.get_object(Bucket="warehouse", Key=parquet[0])["Body"].read()
        assert body == (root / "warehouse" / parquet[0]).read_bytes()
        assert body[:4] == b"PAR1"
        _, rows = athena_rows(client("athena", server.endpoint), "SELECT name FROM lake.fruit ORDER BY id")
        assert rows == [["name"], ["apple"], ["pear"], ["fig"]]
    finally:
        stop_server(server)


def test_lake_data_path_on_s3_needs_a_file_store_and_the_bucket(tmp_path):
    catalog = tmp_path / "lake.ducklake"
    for args, expected in [
        (["--backend-s3", "memory"], "needs --backend-s3 file://DIR"),
        (["--backend-s3", f"file://{tmp_path / 's3'}"], "no bucket 'missing'"),
    ]:
        result = subprocess.run([str(mallard_bin()), "serve", "--port", "0", *args, "--lake-catalog", str(catalog),
                                 "--lake-data-path", "s3://missing/x"],
                                capture_output=True, text=True, timeout=60, env=server_env())
        assert result.returncode != 0
        assert expected in result.stdout + result.stderr
