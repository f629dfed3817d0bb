"""A small app instrumented with the OpenTelemetry Python SDK, for tests/daemon_otlp.rs.

Without arguments it makes one trace of three spans (a server span with HTTP attributes, a
client span under it, and a failed span with a recorded exception) and exports it with the SDK's
OTLP exporter over HTTP (protobuf) to $OTLP_HTTP_ENDPOINT, then another such trace over gRPC to
$OTLP_GRPC_ENDPOINT. It prints what it sent as JSON: {"http": {"trace": hex, "spans": [hex]},
"grpc": {...}}. Exits non-zero if an export failed. With `http` or `grpc`, only that protocol's
trace (the exporter retries a throttled export as it would against a busy collector).

`shop` is a checkout service as an app would have it, once per protocol (service
`checkout-http` exporting over HTTP, `checkout-grpc` over gRPC): boto3 instrumented by
`opentelemetry-instrumentation-botocore`, against moto's in-process AWS (no network, no
credentials), so the DynamoDB spans carry what that instrumentation really sets. Two traces
each: `ok` (a server span calling DynamoDB PutItem and GetItem on table `orders`, a payments
API over HTTP and PostgreSQL) and `fault` (a conditional PutItem that DynamoDB refuses with a
400, a step that raises, and the server answering 500 with an ERROR status). Every span is also
written, as the SDK encodes it, to $OTLP_JSON_OUT as OTLP/JSON (one request per line, as the
Collector's file exporter writes). Prints {"http": {"service": name, "ok": hex, "fault": hex,
"spans": {trace hex: [span hex]}}, "grpc": {...}}.

Trace IDs start with the current time in seconds, as X-Ray's do (what ADOT's X-Ray ID generator
makes), so they read the same in either form.
"""

import base64
import json
import os
import random
import sys
import time

from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter as GrpcExporter
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter as HttpExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult
from opentelemetry.sdk.trace.id_generator import RandomIdGenerator
from opentelemetry.trace import SpanKind, Status, StatusCode


class XRayIds(RandomIdGenerator):
    """Trace IDs whose first 32 bits are the time, as X-Ray's."""

    def generate_trace_id(self) -> int:
        return (int(time.time()) << 96) | random.getrandbits(96)


class Checked(SpanExporter):
    """The real exporter, with what each of its exports returned kept."""

    def __init__(self, inner):
        self.inner = inner
        self.results = []

    def export(self, spans):
        result = self.inner.export(spans)
        self.results.append(result)
        return result

    def shutdown(self):
        self.inner.shutdown()

    def force_flush(self, timeout_millis=30_000):
        return self.inner.force_flush(timeout_millis)


def one_trace(exporter, service):
    """Three spans of one trace, exported together (one request) by the SDK's batching processor."""
    provider = TracerProvider(
        resource=Resource.create({"service.name": service}), id_generator=XRayIds()
    )
    exporter = Checked(exporter)
    batch = BatchSpanProcessor(exporter, max_export_batch_size=512, schedule_delay_millis=60_000)
    provider.add_span_processor(batch)
    tracer = provider.get_tracer("otel_app")
    spans = []
    with tracer.start_as_current_span(
        "GET /orders/{id}",
        kind=SpanKind.SERVER,
        attributes={
            "http.request.method": "GET",
            "url.full": "http://orders.local/orders/42",
            "http.route": "/orders/{id}",
            "http.response.status_code": 200,
        },
    ) as server:
        spans.append(server)
        with tracer.start_as_current_span(
            "GET inventory",
            kind=SpanKind.CLIENT,
            attributes={
                "http.request.method": "GET",
                "url.full": "http://inventory.local/stock/42",
                "server.address": "inventory.local",
                "http.response.status_code": 200,
            },
        ) as client:
            spans.append(client)
        with tracer.start_as_current_span("charge card", kind=SpanKind.INTERNAL) as failed:
            spans.append(failed)
            failed.record_exception(RuntimeError("card processor unavailable"))
            failed.set_status(Status(StatusCode.ERROR, "card processor unavailable"))
    flushed = provider.force_flush(timeout_millis=10_000)
    provider.shutdown()
    ok = flushed and exporter.results == [SpanExportResult.SUCCESS]
    ctx = spans[0].get_span_context()
    return ok, {
        "trace": f"{ctx.trace_id:032x}",
        "spans": [f"{s.get_span_context().span_id:016x}" for s in spans],
    }


def shop_service(exporter, service, ddb, instrumentor, requests):
    """The checkout service's two traces, exported together by the SDK's batching processor."""
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    provider = TracerProvider(
        resource=Resource.create({"service.name": service, "deployment.environment": "test"}),
        id_generator=XRayIds(),
    )
    exporter = Checked(exporter)
    provider.add_span_processor(
        BatchSpanProcessor(exporter, max_export_batch_size=512, schedule_delay_millis=60_000)
    )
    copy = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(copy))
    instrumentor.instrument(tracer_provider=provider)
    tracer = provider.get_tracer("shop")
    server_attrs = {
        "http.request.method": "POST",
        "url.scheme": "http",
        "url.path": "/checkout",
        "server.address": "shop.local",
        "http.route": "/checkout",
        "client.address": "10.0.0.7",
        "user_agent.original": "curl/8.5.0",
    }
    traces = {}
    with tracer.start_as_current_span("POST /checkout", kind=SpanKind.SERVER) as server:
        server.set_attributes(server_attrs)
        ddb.put_item(TableName="orders", Item={"id": {"S": "42"}, "total": {"N": "99"}})
        ddb.get_item(TableName="orders", Key={"id": {"S": "42"}})
        with tracer.start_as_current_span(
            "POST",
            kind=SpanKind.CLIENT,
            attributes={
                "http.request.method": "POST",
                "url.full": "http://payments.local:8080/charge",
                "server.address": "payments.local",
                "server.port": 8080,
                "http.response.status_code": 200,
            },
        ):
            time.sleep(0.002)
        with tracer.start_as_current_span(
            "SELECT orders",
            kind=SpanKind.CLIENT,
            attributes={
                "db.system": "postgresql",
                "db.namespace": "orders",
                "db.user": "shop",
                "server.address": "orders-db.internal",
                "db.query.text": "SELECT id, total FROM orders WHERE customer = $1",
            },
        ):
            time.sleep(0.001)
        server.set_attribute("http.response.status_code", 200)
        traces["ok"] = server.get_span_context().trace_id
    with tracer.start_as_current_span("POST /checkout", kind=SpanKind.SERVER) as server:
        server.set_attributes(server_attrs)
        try:
            # The order exists: DynamoDB refuses with a 400 (ConditionalCheckFailedException).
            ddb.put_item(
                TableName="orders",
                Item={"id": {"S": "42"}, "total": {"N": "99"}},
                ConditionExpression="attribute_not_exists(id)",
            )
        except ddb.exceptions.ConditionalCheckFailedException:
            pass
        try:
            with tracer.start_as_current_span("render receipt"):
                raise ValueError("receipt template missing")
        except ValueError:
            server.set_attribute("http.response.status_code", 500)
            server.set_status(Status(StatusCode.ERROR, "checkout failed"))
        traces["fault"] = server.get_span_context().trace_id
    flushed = provider.force_flush(timeout_millis=10_000)
    instrumentor.uninstrument()
    provider.shutdown()
    ok = flushed and exporter.results == [SpanExportResult.SUCCESS]
    finished = copy.get_finished_spans()
    requests.append(finished)
    spans = {}
    for s in finished:
        spans.setdefault(f"{s.context.trace_id:032x}", []).append(f"{s.context.span_id:016x}")
    return ok, {
        "service": service,
        "ok": f"{traces['ok']:032x}",
        "fault": f"{traces['fault']:032x}",
        "spans": spans,
    }


def otlp_json(spans):
    """OTLP/JSON of an export request, as the SDK encodes it: protobuf's JSON mapping with
    trace and span IDs in hex and enums as integers, as the OTLP specification asks."""
    from google.protobuf.json_format import MessageToDict
    from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans

    request = MessageToDict(encode_spans(spans), use_integers_for_enums=True)

    def hex_ids(value):
        if isinstance(value, dict):
            for key, v in value.items():
                if key in ("traceId", "spanId", "parentSpanId") and isinstance(v, str):
                    value[key] = base64.b64decode(v).hex()
                else:
                    hex_ids(v)
        elif isinstance(value, list):
            for v in value:
                hex_ids(v)

    hex_ids(request)
    return json.dumps(request)


def shop():
    os.environ.update(
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_DEFAULT_REGION="eu-west-1",
    )
    import boto3
    from moto import mock_aws
    from opentelemetry.instrumentation.botocore import BotocoreInstrumentor

    out, requests, ok = {}, [], True
    with mock_aws():
        ddb = boto3.client("dynamodb")
        ddb.create_table(
            TableName="orders",
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        instrumentor = BotocoreInstrumentor()
        for protocol, exporter in [
            ("http", HttpExporter(endpoint=os.environ["OTLP_HTTP_ENDPOINT"], timeout=10)),
            (
                "grpc",
                GrpcExporter(
                    endpoint=os.environ["OTLP_GRPC_ENDPOINT"], insecure=True, timeout=10
                ),
            ),
        ]:
            sent, out[protocol] = shop_service(
                exporter, f"checkout-{protocol}", ddb, instrumentor, requests
            )
            ok = ok and sent
    with open(os.environ["OTLP_JSON_OUT"], "w") as f:
        for spans in requests:
            f.write(otlp_json(spans) + "\n")
    print(json.dumps(out))
    if not ok:
        print("export failed", file=sys.stderr)
        sys.exit(1)


def main(only=None):
    """One trace over each protocol (or over `only`, "http" or "grpc")."""
    out, ok = {}, {}
    if only in (None, "http"):
        ok["http"], out["http"] = one_trace(
            HttpExporter(endpoint=os.environ["OTLP_HTTP_ENDPOINT"], timeout=10), "orders-http"
        )
    if only in (None, "grpc"):
        ok["grpc"], out["grpc"] = one_trace(
            GrpcExporter(endpoint=os.environ["OTLP_GRPC_ENDPOINT"], insecure=True, timeout=10),
            "orders-grpc",
        )
    print(json.dumps(out))
    if not all(ok.values()):
        print(f"export failed: {ok}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    mode = sys.argv[1] if len(sys.argv) > 1 else ""
    if mode in ("http", "grpc"):
        main(mode)
    else:
        {"shop": shop}.get(mode, main)()
