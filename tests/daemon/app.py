"""A small app instrumented with the official AWS X-Ray SDK for Python, pointed at xray-tui.

Used by tests/daemon_python.rs. Usage:

    AWS_XRAY_DAEMON_ADDRESS=127.0.0.1:PORT python3 app.py traces
    AWS_XRAY_DAEMON_ADDRESS=127.0.0.1:PORT python3 app.py sampling

`traces` sends three traces and prints their IDs as JSON on stdout:
  ok:    frontend -> HTTP call -> backend (a second service in a thread, instrumented by hand
         from the propagated X-Amzn-Trace-Id header), with annotations;
  fault: a subsegment that raises, recorded with add_exception, and a 500;
  large: 40 subsegments with streaming_threshold=5, so the SDK streams subsegments on their own.

`sampling` runs the SDK's centralized sampler against xray-tui (GetSamplingRules, then
SamplingTargets) and prints what it got.

`aws` patches boto3 as the SDK's guide says and makes DynamoDB, SQS, S3 and SNS calls inside
one segment, against moto's in-process AWS (no network, no credentials): the subsegments are
the ones the SDK writes for real AWS calls (named by the lower-case service id: `dynamodb`,
`sqs`, `s3`, `sns`). Prints the trace ID. All modes exit 1 if the SDK logged any warning or
error.
"""

import http.client
import http.server
import json
import logging
import os
import sys
import threading
import time
import traceback

from aws_xray_sdk.core import xray_recorder
from aws_xray_sdk.core.models.trace_header import TraceHeader


class Collect(logging.Handler):
    """Keeps every warning or error the SDK (or botocore under it) logs."""

    def __init__(self):
        super().__init__(logging.WARNING)
        self.records = []

    def emit(self, record):
        self.records.append(f"{record.name}: {record.getMessage()}")


problems = Collect()
for name in ("aws_xray_sdk", "botocore"):
    logging.getLogger(name).addHandler(problems)
    logging.getLogger(name).setLevel(logging.DEBUG)


class Backend(http.server.BaseHTTPRequestHandler):
    """The second service: continues the caller's trace from the X-Amzn-Trace-Id header."""

    def do_GET(self):
        header = TraceHeader.from_header_str(self.headers.get("X-Amzn-Trace-Id", ""))
        seg = xray_recorder.begin_segment(
            "backend", traceid=header.root, parent_id=header.parent, sampling=header.sampled
        )
        seg.put_http_meta("method", "GET")
        seg.put_http_meta("url", f"http://localhost{self.path}")
        with xray_recorder.in_subsegment("load-inventory") as sub:
            sub.put_annotation("items", 3)
            time.sleep(0.005)
        body = b'{"ok": true}'
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        seg.put_http_meta("status", 200)
        xray_recorder.end_segment()

    def log_message(self, *args):
        pass


def call_backend(port):
    sub = xray_recorder.begin_subsegment("backend", namespace="remote")
    url = f"http://127.0.0.1:{port}/inventory"
    sub.put_http_meta("method", "GET")
    sub.put_http_meta("url", url)
    header = TraceHeader(root=sub.trace_id, parent=sub.id, sampled=1)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    conn.request("GET", "/inventory", headers={"X-Amzn-Trace-Id": header.to_header_str()})
    resp = conn.getresponse()
    resp.read()
    sub.put_http_meta("status", resp.status)
    xray_recorder.end_subsegment()


def traces():
    xray_recorder.configure(
        service="frontend",
        sampling=False,
        context_missing="LOG_ERROR",
        streaming_threshold=5,
    )
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Backend)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    ids = {}

    seg = xray_recorder.begin_segment("frontend")
    ids["ok"] = seg.trace_id
    seg.put_http_meta("method", "GET")
    seg.put_http_meta("url", "http://localhost/orders/42")
    xray_recorder.put_annotation("customer_tier", "gold")
    xray_recorder.put_annotation("order_id", 42)
    call_backend(port)
    seg.put_http_meta("status", 200)
    xray_recorder.end_segment()

    seg = xray_recorder.begin_segment("frontend")
    ids["fault"] = seg.trace_id
    seg.put_http_meta("method", "POST")
    seg.put_http_meta("url", "http://localhost/checkout")
    sub = xray_recorder.begin_subsegment("charge-card")
    try:
        raise RuntimeError("card processor unavailable")
    except RuntimeError as e:
        sub.add_exception(e, traceback.extract_stack())
    xray_recorder.end_subsegment()
    seg.put_http_meta("status", 500)
    xray_recorder.end_segment()

    seg = xray_recorder.begin_segment("frontend")
    ids["large"] = seg.trace_id
    for i in range(40):
        xray_recorder.begin_subsegment(f"work-{i}")
        xray_recorder.end_subsegment()
    xray_recorder.end_segment()

    server.shutdown()
    print(json.dumps(ids))


def sampling():
    xray_recorder.configure(service="frontend", sampling=True, context_missing="LOG_ERROR")
    sampler = xray_recorder.sampler
    req = {"service": "frontend", "method": "GET", "path": "/orders"}
    decisions = [sampler.should_trace(req) for _ in range(3)]
    deadline = time.time() + 10
    while not sampler._cache.rules and time.time() < deadline:  # the rule poller's first fetch
        time.sleep(0.05)
    rules = [r.name for r in sampler._cache.rules]
    decisions += [sampler.should_trace(req) for _ in range(20)]
    # The target poller reports every 10 s; run one report now instead of waiting.
    sampler._target_poller._do_work()
    default = next((r for r in sampler._cache.rules if r.name == "Default"), None)
    print(
        json.dumps(
            {
                "rules": rules,
                "rate": default.rate if default else None,
                "quota": default.reservoir._quota if default else None,
                "sampled": sum(1 for d in decisions if d),
            }
        )
    )


def aws():
    os.environ.update(
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_DEFAULT_REGION="eu-west-1",
    )
    import boto3
    from aws_xray_sdk.core import patch
    from moto import mock_aws

    xray_recorder.configure(service="orders-api", sampling=False, context_missing="LOG_ERROR")
    patch(["boto3", "botocore"])
    with mock_aws():
        # Set-up outside any segment is not traced (context_missing logs nothing at LOG_ERROR
        # for botocore calls made before a segment begins: keep it inside one instead).
        seg = xray_recorder.begin_segment("orders-api")
        seg.put_http_meta("method", "POST")
        seg.put_http_meta("url", "http://localhost/orders")
        ddb = boto3.client("dynamodb")
        ddb.create_table(
            TableName="xray-tui-orders",
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        ddb.put_item(TableName="xray-tui-orders", Item={"id": {"S": "42"}})
        ddb.get_item(TableName="xray-tui-orders", Key={"id": {"S": "42"}})
        ddb.list_tables()
        sqs = boto3.client("sqs")
        url = sqs.create_queue(QueueName="xray-tui-shipments")["QueueUrl"]
        sqs.send_message(QueueUrl=url, MessageBody="order 42")
        s3 = boto3.client("s3")
        s3.create_bucket(
            Bucket="xray-tui-invoices",
            CreateBucketConfiguration={"LocationConstraint": "eu-west-1"},
        )
        s3.put_object(Bucket="xray-tui-invoices", Key="2026/11/42.pdf", Body=b"%PDF-1.7")
        sns = boto3.client("sns")
        topic = sns.create_topic(Name="xray-tui-orders-placed")["TopicArn"]
        sns.publish(TopicArn=topic, Message="order 42 placed")
        seg.put_http_meta("status", 201)
        trace_id = seg.trace_id
        xray_recorder.end_segment()
    print(json.dumps({"aws": trace_id}))


if __name__ == "__main__":
    {"traces": traces, "sampling": sampling, "aws": aws}[sys.argv[1]]()
    if problems.records:
        print("\n".join(problems.records), file=sys.stderr)
        sys.exit(1)
