#!/usr/bin/env python3
"""A loopback fake of the AWS pieces a node on EC2 talks to, for the tests.

IMDSv2 under /latest/ (a token from PUT /latest/api/token, then every GET with it),
the Auto Scaling Query API at POST /autoscaling/ and EC2's at POST /ec2/. Every API call
must carry a well-formed SigV4 Authorization header (AWS4-HMAC-SHA256
Credential=KEY/DATE/REGION/SERVICE/aws4_request, SignedHeaders=..., Signature=64 hex)
for the role credentials this fake hands out, X-Amz-Date and X-Amz-Security-Token, and
its signature must verify (the fake recomputes it with the role's secret key); a call
that does not is answered 403 and recorded with its fault.

The test drives it over HTTP:
  GET  /_fake/calls   every API call received, in order (JSON list)
  GET  /_fake/imds    every IMDS request received (method, path, status)
  POST /_fake/set     a JSON object of state to change:
       lifecycle_state ("InService", "Terminated", ...), spot (null or the notice JSON),
       imds ("ok", "reject_tokens": every GET 401), autoscaling_error (null or an HTTP
       status answered to every Auto Scaling call, with a ValidationError), peers.
Stdlib only; listens on 127.0.0.1 (or --host) on a free port written to --port-file.
"""
import argparse
import datetime
import hashlib
import hmac
import json
import os
import re
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

AUTH_RE = re.compile(
    r"^AWS4-HMAC-SHA256 Credential=(?P<key>[^/]+)/(?P<date>\d{8})/(?P<region>[a-z0-9-]+)/"
    r"(?P<service>[a-z0-9]+)/aws4_request, ?SignedHeaders=(?P<signed>[a-z0-9;-]+), ?"
    r"Signature=(?P<sig>[0-9a-f]{64})$")

ACCESS_KEY = "ASIAFAKEROLEKEY00001"
SECRET_KEY = "fake/secret/key"
ROLE = "switchboard-node-role"


class State:
    def __init__(self, args):
        self.lock = threading.Lock()
        self.instance_id = args.instance_id
        self.region = args.region
        self.imds_region = args.imds_region or args.region
        self.asg = args.asg
        self.local_ipv4 = args.local_ipv4
        self.peers = [p for p in args.peers.split(",") if p]
        self.lifecycle_state = "InService"
        self.spot = None
        self.imds = "ok"
        self.autoscaling_error = None
        self.tokens = set()
        self.session_token = "FQoGZXIvYXdzEFAKE-session-token"
        self.calls = []
        self.imds_log = []


def now_iso(delta=0):
    t = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=delta)
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def hmac_sha256(key, msg):
    return hmac.new(key, msg.encode(), hashlib.sha256).digest()


def sigv4_signature(method, path, query, headers, signed, body, date, region, service):
    """The SigV4 signature of a request (canonical request, string to sign, signing key)."""
    canonical_headers = "".join(
        "%s:%s\n" % (h, " ".join((headers.get(h) or "").split())) for h in signed)
    canonical = "\n".join([method, path, query, canonical_headers, ";".join(signed),
                           hashlib.sha256(body).hexdigest()])
    scope = "%s/%s/%s/aws4_request" % (date[:8], region, service)
    to_sign = "\n".join(["AWS4-HMAC-SHA256", date, scope,
                         hashlib.sha256(canonical.encode()).hexdigest()])
    key = hmac_sha256(("AWS4" + SECRET_KEY).encode(), date[:8])
    for part in (region, service, "aws4_request"):
        key = hmac_sha256(key, part)
    return hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()


def xml_error(code, message):
    return ("<ErrorResponse><Error><Type>Sender</Type><Code>%s</Code><Message>%s</Message>"
            "</Error><RequestId>fake</RequestId></ErrorResponse>" % (code, message))


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    state = None

    def log_message(self, fmt, *args):
        pass

    def reply(self, status, body="", ctype="text/plain"):
        data = body.encode() if isinstance(body, str) else body
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n).decode() if n else ""

    # IMDSv2 -----------------------------------------------------------------
    def imds_get(self, path):
        st = self.state
        token = self.headers.get("X-aws-ec2-metadata-token")
        with st.lock:
            if st.imds == "reject_tokens" or token not in st.tokens:
                return 401, ""
            values = {
                "meta-data/instance-id": st.instance_id,
                "meta-data/placement/region": st.imds_region,
                "meta-data/local-ipv4": st.local_ipv4,
                "meta-data/iam/security-credentials/": ROLE,
                "meta-data/autoscaling/target-lifecycle-state": st.lifecycle_state,
            }
            if st.asg:
                values["meta-data/tags/instance/aws:autoscaling:groupName"] = st.asg
            if path == "meta-data/iam/security-credentials/" + ROLE:
                return 200, json.dumps({
                    "Code": "Success", "LastUpdated": now_iso(), "Type": "AWS-HMAC",
                    "AccessKeyId": ACCESS_KEY, "SecretAccessKey": SECRET_KEY,
                    "Token": st.session_token, "Expiration": now_iso(6 * 3600)})
            if path == "meta-data/spot/instance-action":
                return (404, "") if st.spot is None else (200, json.dumps(st.spot))
            if path in values:
                return 200, values[path]
        return 404, ""

    # The Query APIs ----------------------------------------------------------
    def check_signature(self, service, raw):
        st = self.state
        auth = self.headers.get("Authorization", "")
        m = AUTH_RE.match(auth)
        if not m:
            return "Authorization is not AWS4-HMAC-SHA256 Credential=.../aws4_request, " \
                   "SignedHeaders=..., Signature=...: %r" % auth[:120]
        if m["key"] != ACCESS_KEY:
            return "unknown access key %s" % m["key"]
        if m["region"] != st.region:
            return "signed for region %s, not %s" % (m["region"], st.region)
        if m["service"] != service:
            return "signed for service %s, not %s" % (m["service"], service)
        signed = m["signed"].split(";")
        for h in ("host", "x-amz-date"):
            if h not in signed:
                return "SignedHeaders lacks %s" % h
        date = self.headers.get("X-Amz-Date", "")
        if not re.match(r"^\d{8}T\d{6}Z$", date) or date[:8] != m["date"]:
            return "X-Amz-Date %r does not match the credential's date" % date
        if self.headers.get("X-Amz-Security-Token") != st.session_token:
            return "X-Amz-Security-Token missing or not the role's session token"
        if "x-amz-security-token" not in signed:
            return "SignedHeaders lacks x-amz-security-token"
        path, _, query = self.path.partition("?")
        headers = {k.lower(): v for k, v in self.headers.items()}
        want = sigv4_signature(self.command, path, query, headers, signed, raw, date,
                               m["region"], service)
        if want != m["sig"]:
            return "signature does not match (expected %s)" % want
        return None

    def api(self, service):
        st = self.state
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n) if n else b""
        params = dict(urllib.parse.parse_qsl(raw.decode(), keep_blank_values=True))
        fault = self.check_signature(service, raw)
        call = {"service": service, "action": params.get("Action"), "params": params,
                "at": now_iso()}
        if fault:
            call["fault"] = fault
        with st.lock:
            st.calls.append(call)
            error = st.autoscaling_error if service == "autoscaling" else None
            peers = list(st.peers)
        if fault:
            return self.reply(403, xml_error("IncompleteSignature", fault), "text/xml")
        action = params.get("Action")
        if service == "autoscaling":
            if params.get("Version") != "2011-01-01":
                return self.reply(400, xml_error("InvalidAction", "bad Version"), "text/xml")
            need = ["AutoScalingGroupName", "LifecycleHookName", "InstanceId"]
            if action == "CompleteLifecycleAction":
                need.append("LifecycleActionResult")
            elif action != "RecordLifecycleActionHeartbeat":
                return self.reply(400, xml_error("InvalidAction", str(action)), "text/xml")
            missing = [k for k in need if not params.get(k)]
            if missing:
                return self.reply(400, xml_error("ValidationError", "missing " + ",".join(missing)),
                                  "text/xml")
            if error:
                return self.reply(int(error), xml_error(
                    "ValidationError", "No active Lifecycle Action found with instance ID "
                    + params["InstanceId"]), "text/xml")
            return self.reply(200, "<%sResponse><ResponseMetadata><RequestId>fake</RequestId>"
                              "</ResponseMetadata></%sResponse>" % (action, action), "text/xml")
        # EC2
        if action != "DescribeInstances" or params.get("Version") != "2016-11-15":
            return self.reply(400, xml_error("InvalidAction", str(action)), "text/xml")
        items = "".join(
            "<item><reservationId>r-%d</reservationId><instancesSet><item>"
            "<instanceId>i-peer%d</instanceId><instanceState><code>16</code><name>running"
            "</name></instanceState><privateIpAddress>%s</privateIpAddress>"
            "<networkInterfaceSet><item><privateIpAddress>%s</privateIpAddress></item>"
            "</networkInterfaceSet></item></instancesSet></item>" % (i, i, ip, ip)
            for i, ip in enumerate(peers))
        xml = ('<?xml version="1.0" encoding="UTF-8"?>\n<DescribeInstancesResponse '
               'xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>fake</requestId>'
               "<reservationSet>%s</reservationSet></DescribeInstancesResponse>" % items)
        return self.reply(200, xml, "text/xml")

    # Dispatch ------------------------------------------------------------------
    def do_PUT(self):
        st = self.state
        self.body()
        if self.path != "/latest/api/token":
            return self.reply(404)
        ttl = self.headers.get("X-aws-ec2-metadata-token-ttl-seconds", "")
        ok = ttl.isdigit() and 1 <= int(ttl) <= 21600
        with st.lock:
            st.imds_log.append({"method": "PUT", "path": self.path, "status": 200 if ok else 400})
            if not ok:
                return self.reply(400, "missing or invalid X-aws-ec2-metadata-token-ttl-seconds")
            token = "token-%d" % (len(st.tokens) + 1)
            st.tokens.add(token)
        self.reply(200, token)

    def do_GET(self):
        st = self.state
        if self.path == "/_fake/calls":
            with st.lock:
                return self.reply(200, json.dumps(st.calls), "application/json")
        if self.path == "/_fake/imds":
            with st.lock:
                return self.reply(200, json.dumps(st.imds_log), "application/json")
        if self.path.startswith("/latest/"):
            status, body = self.imds_get(self.path[len("/latest/"):])
            with st.lock:
                st.imds_log.append({"method": "GET", "path": self.path, "status": status})
            return self.reply(status, body)
        self.reply(404)

    def do_POST(self):
        st = self.state
        if self.path == "/_fake/set":
            change = json.loads(self.body() or "{}")
            with st.lock:
                for k, v in change.items():
                    if not hasattr(st, k):
                        return self.reply(400, "unknown state " + k)
                    setattr(st, k, v)
            return self.reply(200, "{}", "application/json")
        if self.path.rstrip("/") == "/autoscaling":
            return self.api("autoscaling")
        if self.path.rstrip("/") == "/ec2":
            return self.api("ec2")
        self.body()
        self.reply(404)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--instance-id", default="i-0123456789abcdef0")
    ap.add_argument("--region", default="eu-west-1")
    ap.add_argument("--imds-region", default="",
                    help="the region IMDS names (default --region, what signatures must be for)")
    ap.add_argument("--asg", default="switchboard-nodes")
    ap.add_argument("--local-ipv4", default="127.0.0.1")
    ap.add_argument("--peers", default="")
    args = ap.parse_args()
    Handler.state = State(args)
    server = ThreadingHTTPServer((args.host, 0), Handler)
    server.daemon_threads = True
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % server.server_address[1])
    os.rename(tmp, args.port_file)
    server.serve_forever()


if __name__ == "__main__":
    main()
