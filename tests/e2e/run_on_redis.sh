#!/usr/bin/env bash
# run_on_redis.sh [PYTEST ARGS...]: the SQS, DynamoDB and SNS end-to-end suites again, against a server
# whose SQS, DynamoDB and SNS backends live in a throw-away Redis (tests/support/with_redis.sh starts it),
# so both backends pass the same tests.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here/../.."
exec "$here/../support/with_redis.sh" bash -c '
  export MALLARD_E2E_SERVER_ARGS="--backend-sqs $MALLARD_TEST_REDIS --backend-dynamodb $MALLARD_TEST_REDIS --backend-sns $MALLARD_TEST_REDIS"
  exec /usr/bin/python3 -m pytest tests/e2e/test_queues.py tests/e2e/test_messages.py tests/e2e/test_fifo.py \
    tests/e2e/test_dead_letter.py tests/e2e/test_dynamodb_*.py tests/e2e/test_sns_*.py "$@"' run_on_redis "$@"
