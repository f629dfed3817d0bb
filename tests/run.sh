#!/usr/bin/env bash
# The whole test suite, from a fresh machine with only Rust and Python: sets up the pinned Python
# test dependencies once (a venv in .venv: moto for tests/aws_moto.rs, the AWS X-Ray SDK for
# tests/daemon_python.rs, the OpenTelemetry SDK and its OTLP exporters for tests/daemon_otlp.rs),
# then runs `cargo test --locked` (extra arguments are passed on).
# Plain `cargo test` works too; without the venv those Python-backed tests skip with a message
# (and fail under CI=true).
set -euo pipefail
cd "$(dirname "$0")/.."

if ! .venv/bin/python -c 'import moto.xray, flask, flask_cors, aws_xray_sdk, opentelemetry.sdk.trace, opentelemetry.exporter.otlp.proto.http.trace_exporter, opentelemetry.exporter.otlp.proto.grpc.trace_exporter, opentelemetry.instrumentation.botocore' >/dev/null 2>&1; then
  echo "== setting up .venv (pinned: tests/moto/requirements.txt, tests/daemon/requirements.txt)"
  PY="$(command -v python3 || command -v python)"
  "$PY" -m venv .venv
  .venv/bin/python -m pip install --quiet --disable-pip-version-check \
    -r tests/moto/requirements.txt -r tests/daemon/requirements.txt
fi
export XRAY_TUI_PYTHON="$PWD/.venv/bin/python"
"$XRAY_TUI_PYTHON" -c 'import moto, aws_xray_sdk.version as v; print("python test deps: moto", moto.__version__, "aws-xray-sdk", v.VERSION)'

cargo test --locked "$@"
