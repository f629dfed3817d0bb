#!/usr/bin/env python3
"""moto_server with the X-Ray read path patched so strict clients (aws-sdk-rust) can parse it.

Proof of concept written while evaluating moto 5.2.x as a local X-Ray stand-in.
Same command line as moto_server:  python3 moto_xray_fixed.py -H 127.0.0.1 -p 0

What it changes (only in this process, moto itself is untouched):
  * GetTraceSummaries: model-shaped summaries (Users is a list, IsPartial, float Duration /
    ResponseTime, Http, Annotations, ServiceIds, EntryPoint, StartTime), NextToken pagination
    (page size from env XRAY_FAKE_PAGE_SIZE, default 100), and a small FilterExpression subset
    (atoms joined by AND); anything else gets 400 InvalidRequestException instead of moto's 500.
  * BatchGetTraces: Id never null (moto leaves it null for unfinished traces), float Duration,
    LimitExceeded=false, and more than 5 TraceIds is rejected like the real API.
  * GetServiceGraph / GetTraceGraph: if XRAY_FAKE_SERVICE_GRAPH names a JSON file, its
    contents are returned verbatim (moto itself always answers "Services": []).

Origin: written for xray-tui's research on moto as a local X-Ray (research/moto.md,
moto-samples/moto_xray_fixed.py, 2026-11-24), copied here and extended for the integration
tests (tests/aws_moto.rs). Pinned to the moto in tests/moto/requirements.txt: it replaces
handlers on moto.xray.responses.XRayResponse and reads moto's in-memory segment store.

Added for the tests (all off unless the environment variable is set):
  * XRAY_FAKE_FAIL="Op:kind:N[,...]": the first N requests to Op (TraceSummaries, Traces,
    ServiceGraph, GetGroup, Groups) fail with kind "throttle" (429 ThrottledException),
    "500" (500 InternalFailure), "denied" (403 AccessDeniedException) or "expired"
    (403 ExpiredTokenException), to exercise the client's retries and error messages.
  * XRAY_FAKE_UNPROCESSED_ONCE=1: BatchGetTraces reports each ID as unprocessed the first
    time it is asked for, as the real service does for traces still being indexed.
  * XRAY_FAKE_GROUPS='{"name": "filter expression", ...}': GetGroup and GetGroups (moto has
    neither route); an unknown group name gets 400 InvalidRequestException.
"""
import base64
import json
import os
import re

from moto.server import main
from moto.xray import responses as R

PAGE = int(os.environ.get("XRAY_FAKE_PAGE_SIZE", "100"))


def _err(code, msg, status=400):
    return json.dumps({"__type": code, "message": msg}), {
        "status": status, "Content-Type": "application/json", "X-Amzn-ErrorType": code}


def _ok(obj):
    return json.dumps(obj), {"status": 200, "Content-Type": "application/json"}


def _walk(node):
    """Yield a segment dict and all nested subsegments."""
    yield node
    for sub in node.get("subsegments") or []:
        yield from _walk(sub)


def _summary(tid, segs):
    docs = [json.loads(s.raw) for s in segs]
    roots = [d for d in docs if not d.get("parent_id")] or docs
    root = min(roots, key=lambda d: d["start_time"])
    start = min(d["start_time"] for d in docs)
    ends = [d["end_time"] for d in docs if "end_time" in d]
    nodes = [n for d in docs for n in _walk(d)]
    svc = lambda d: {"Name": d["name"], "Names": [d["name"]], "AccountId": "123456789012",
                     "Type": d.get("origin", "client")}
    services = {d["name"]: svc(d) for d in docs if d.get("type") != "subsegment"}
    ann = {}
    for d in docs:
        for n in _walk(d):
            for k, v in (n.get("annotations") or {}).items():
                key = ("BooleanValue" if isinstance(v, bool) else
                       "NumberValue" if isinstance(v, (int, float)) else "StringValue")
                ann.setdefault(k, []).append({"AnnotationValue": {key: v},
                                              "ServiceIds": [svc(d)]})
    http = {}
    rq, rs = (root.get("http") or {}).get("request", {}), (root.get("http") or {}).get("response", {})
    for src, k, out in ((rq, "url", "HttpURL"), (rq, "method", "HttpMethod"),
                        (rq, "user_agent", "UserAgent"), (rq, "client_ip", "ClientIp"),
                        (rs, "status", "HttpStatus")):
        if k in src:
            http[out] = src[k]
    return {
        "Id": tid,
        "StartTime": start,
        "Duration": (max(ends) - start) if ends else 0.0,
        "ResponseTime": (root["end_time"] - root["start_time"]) if "end_time" in root else 0.0,
        "HasFault": any(n.get("fault") is True for n in nodes),
        "HasError": any(n.get("error") is True for n in nodes),
        "HasThrottle": any(n.get("throttle") is True for n in nodes),
        "IsPartial": any(d.get("in_progress") is True for d in docs),
        "Http": http,
        "Annotations": ann,
        "Users": [{"UserName": d["user"], "ServiceIds": [svc(d)]} for d in docs if d.get("user")],
        "ServiceIds": list(services.values()),
        "EntryPoint": svc(root),
    }


_ATOMS = [
    (r'(fault|error|throttle|ok)\s*(=|!=)\s*(true|false)', "flag"),
    (r'service\(\s*"([^"]*)"\s*\)', "service"),
    (r'(responsetime|duration)\s*(>=|<=|>|<|=)\s*([0-9.]+)', "num"),
    (r'http\.status\s*(>=|<=|!=|>|<|=)\s*([0-9]+)', "status"),
    (r'annotation\.(\w+)\s*(=|!=)\s*("([^"]*)"|true|false|[0-9.]+)', "ann"),
    (r'user\s*=\s*"([^"]*)"', "user"),
]
_CMP = {">": float.__gt__, "<": float.__lt__, ">=": float.__ge__, "<=": float.__le__,
        "=": float.__eq__, "!=": float.__ne__}


def _compile(expr):
    preds = []
    for part in re.split(r"\s+and\s+", expr.strip(), flags=re.I):
        for pat, kind in _ATOMS:
            m = re.fullmatch(pat, part.strip(), flags=re.I)
            if m:
                preds.append((kind, m.groups()))
                break
        else:
            raise ValueError(f"unsupported filter atom for this fake: {part!r}")
    return preds


def _match(s, preds):
    for kind, g in preds:
        if kind == "flag":
            name, op, val = g[0].lower(), g[1], g[2].lower() == "true"
            have = (not (s["HasFault"] or s["HasError"] or s["HasThrottle"])) if name == "ok" \
                else s["Has" + name.capitalize()]
            if (have == val) != (op == "="):
                return False
        elif kind == "service":
            if g[0] not in {x["Name"] for x in s["ServiceIds"]}:
                return False
        elif kind == "num":
            field = "ResponseTime" if g[0].lower() == "responsetime" else "Duration"
            if not _CMP[g[1]](float(s[field]), float(g[2])):
                return False
        elif kind == "status":
            if "HttpStatus" not in s["Http"] or not _CMP[g[0]](float(s["Http"]["HttpStatus"]), float(g[1])):
                return False
        elif kind == "ann":
            want = g[3] if g[3] is not None else json.loads(g[2])
            vals = [next(iter(a["AnnotationValue"].values())) for a in s["Annotations"].get(g[0], [])]
            hit = any(v == want or (isinstance(v, (int, float)) and not isinstance(v, bool)
                                    and not isinstance(want, str) and float(v) == float(want)) for v in vals)
            if hit != (g[1] == "="):
                return False
        elif kind == "user":
            if g[0] not in {u["UserName"] for u in s["Users"]}:
                return False
    return True


def trace_summaries(self):
    p = self.request_params
    if "StartTime" not in p or "EndTime" not in p:
        return _err("InvalidRequestException", "StartTime and EndTime are required")
    lo, hi = float(p["StartTime"]), float(p["EndTime"])
    try:
        preds = _compile(p["FilterExpression"]) if p.get("FilterExpression") else []
    except ValueError as e:
        return _err("InvalidRequestException", str(e))
    out = []
    for tid, tr in list(self.xray_backend._segment_collection._traces.items()):
        if not tr["segments"]:
            continue
        s = _summary(tid, tr["segments"])
        if lo <= s["StartTime"] <= hi and _match(s, preds):
            out.append(s)
    out.sort(key=lambda s: s["StartTime"], reverse=True)
    off = int(base64.b64decode(p["NextToken"]).decode()) if p.get("NextToken") else 0
    page = out[off:off + PAGE]
    res = {"TraceSummaries": page, "ApproximateTime": hi, "TracesProcessedCount": len(out)}
    if off + PAGE < len(out):
        res["NextToken"] = base64.b64encode(str(off + PAGE).encode()).decode()
    return _ok(res)


def traces(self):
    ids = self.request_params.get("TraceIds")
    if not ids:
        return _err("InvalidRequestException", "TraceIds is required")
    if len(ids) > 5:
        return _err("InvalidRequestException", "TraceIds: at most 5 items")
    known = self.xray_backend._segment_collection._traces
    res = {"Traces": [], "UnprocessedTraceIds": []}
    for tid in ids:
        segs = known[tid]["segments"] if tid in known else []
        if not segs:
            res["UnprocessedTraceIds"].append(tid)
            continue
        s = _summary(tid, segs)
        res["Traces"].append({"Id": tid, "Duration": s["Duration"], "LimitExceeded": False,
                              "Segments": [{"Id": x.id, "Document": x.raw} for x in segs]})
    return _ok(res)


def _graph(orig):
    def handler(self):
        path = os.environ.get("XRAY_FAKE_SERVICE_GRAPH")
        if not path:
            return orig(self)
        with open(path) as f:
            return _ok(json.load(f))
    return handler


_FAIL = {}
for _spec in filter(None, os.environ.get("XRAY_FAKE_FAIL", "").split(",")):
    _op, _kind, _n = _spec.split(":")
    _FAIL[_op] = [_kind, int(_n)]


def _failing(op, handler):
    """Fails the first N requests to op as XRAY_FAKE_FAIL says, then calls handler."""
    def wrapped(self):
        rule = _FAIL.get(op)
        if rule and rule[1] > 0:
            rule[1] -= 1
            if rule[0] == "throttle":
                return _err("ThrottledException", "Rate exceeded (injected by the test)", 429)
            if rule[0] == "denied":
                return _err("AccessDeniedException", "User: arn:aws:iam::123456789012:user/t "
                            "is not authorized to perform: xray:" + op, 403)
            if rule[0] == "expired":
                return _err("ExpiredTokenException", "The security token included in the "
                            "request is expired", 403)
            return _err("InternalFailure", "injected server error", 500)
        return handler(self)
    return wrapped


_SEEN = set()
_plain_traces = traces


def traces_unprocessed_once(self):
    """XRAY_FAKE_UNPROCESSED_ONCE: each ID is 'still being processed' the first time."""
    ids = self.request_params.get("TraceIds") or []
    fresh = [t for t in ids if t not in _SEEN]
    _SEEN.update(ids)
    body, headers = _plain_traces(self)
    if headers.get("status") != 200 or not fresh:
        return body, headers
    res = json.loads(body)
    res["Traces"] = [t for t in res["Traces"] if t["Id"] not in fresh]
    res["UnprocessedTraceIds"] = sorted(set(res["UnprocessedTraceIds"]) | set(fresh))
    return _ok(res)


_GROUPS = json.loads(os.environ.get("XRAY_FAKE_GROUPS", "{}"))


def _group(name):
    return {"GroupName": name, "GroupARN": f"arn:aws:xray:us-east-1:123456789012:group/{name}/x",
            "FilterExpression": _GROUPS[name],
            "InsightsConfiguration": {"InsightsEnabled": False, "NotificationsEnabled": False}}


def get_group(self):
    name = self.request_params.get("GroupName")
    if name not in _GROUPS:
        return _err("InvalidRequestException", f"Group not found: {name}")
    return _ok({"Group": _group(name)})


def groups(self):
    return _ok({"Groups": [_group(n) for n in _GROUPS]})


R.XRayResponse.trace_summaries = _failing("TraceSummaries", trace_summaries)
R.XRayResponse.traces = _failing(
    "Traces", traces_unprocessed_once if os.environ.get("XRAY_FAKE_UNPROCESSED_ONCE") else traces)
R.XRayResponse.service_graph = _failing("ServiceGraph", _graph(R.XRayResponse.service_graph))
R.XRayResponse.trace_graph = _graph(R.XRayResponse.trace_graph)
R.XRayResponse.get_group = _failing("GetGroup", get_group)
R.XRayResponse.groups = _failing("Groups", groups)

from moto.xray import urls as _urls  # noqa: E402

_urls.url_paths["{0}/GetGroup$"] = R.XRayResponse.dispatch
_urls.url_paths["{0}/Groups$"] = R.XRayResponse.dispatch

if __name__ == "__main__":
    main()
