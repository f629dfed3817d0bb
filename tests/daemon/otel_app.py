"""A small app instrumented with the OpenTelemetry Python SDK, for tests/daemon_otlp.rs.

It makes one trace of three spans (a server span with HTTP attributes, a client span under it,
and a failed span with a recorded exception) and exports it with the SDK's OTLP exporter over
HTTP (protobuf) to $OTLP_HTTP_ENDPOINT, then another such trace over gRPC to
$OTLP_GRPC_ENDPOINT. It prints what it sent as JSON: {"http": {"trace": hex, "spans": [hex]},
"grpc": {...}}. Exits non-zero if an export failed.

Trace IDs start with the current time in seconds, as X-Ray's do (what ADOT's X-Ray ID generator
makes), so they read the same in either form.
"""

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


def main():
    out = {}
    ok_http, out["http"] = one_trace(
        HttpExporter(endpoint=os.environ["OTLP_HTTP_ENDPOINT"], timeout=10), "orders-http"
    )
    ok_grpc, out["grpc"] = one_trace(
        GrpcExporter(endpoint=os.environ["OTLP_GRPC_ENDPOINT"], insecure=True, timeout=10),
        "orders-grpc",
    )
    print(json.dumps(out))
    if not (ok_http and ok_grpc):
        print(f"export failed: http {ok_http} grpc {ok_grpc}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
