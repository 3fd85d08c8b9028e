#!/usr/bin/env python3
"""The boundary check must fail on the illegal includes the old grep let through (issue 16): on a
scratch copy of src/, each one added alone must be reported, naming the file and the module; the
untouched copy must pass. Usage: check_module_boundaries_test.py MODULE_MAP"""
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.normpath(os.path.join(HERE, "..", "src"))
CHECK = os.path.join(HERE, "check_module_boundaries.py")

# (file to edit, line to add, what the report must name)
ILLEGAL = [
    ("services/sqs/sqs_service.cpp", '#include "services/dynamodb/model/ddb_value.hpp"\n', "services_sqs"),
    ("services/athena/athena_service.cpp", '#include "services/sqs/model/sqs_model.hpp"\n', "services_athena"),
    ("services/sts/sts_service.cpp", '  #  include "infra/redis/redis_connection.hpp"\n', "services_sts"),
    ("services/sqs/memory/memory_sqs_store.cpp", '#include "services/sqs/sqs_service.hpp"\n', "services_sqs_memory"),
    ("protocol/aws_json.cpp", '#include "gateway/gateway.hpp"\n', "protocol"),
    ("lake/lake.cpp", '#include <boost/beast/http.hpp>\n', "Boost.Beast"),
]


def run_check(module_map, src):
    return subprocess.run([sys.executable, CHECK, module_map, src], capture_output=True, text=True)


def main():
    module_map = sys.argv[1]
    failures = []
    with tempfile.TemporaryDirectory() as scratch:
        copy = os.path.join(scratch, "src")
        shutil.copytree(SRC, copy)
        clean = run_check(module_map, copy)
        if clean.returncode != 0:
            failures.append("the untouched copy fails:\n" + clean.stdout)
        for relative, line, named in ILLEGAL:
            path = os.path.join(copy, relative)
            if not os.path.exists(path):
                # lake/ exists only in a DuckDB build's tree; every other file always does.
                if relative.startswith("lake/"):
                    continue
                failures.append(f"{relative} is gone: update this test")
                continue
            original = open(path).read()
            with open(path, "w") as f:
                f.write(line + original)
            result = run_check(module_map, copy)
            with open(path, "w") as f:
                f.write(original)
            if result.returncode == 0 or relative not in result.stdout or named not in result.stdout:
                failures.append(f"{line.strip()} in {relative} was not reported:\n{result.stdout}")
    if failures:
        print("\n".join(failures))
        return 1
    print(f"the boundary check reports all {len(ILLEGAL)} illegal includes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
