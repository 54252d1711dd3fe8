"""An HTTP proxy in front of moto_server that answers chosen EC2 calls with an AWS error or a canned answer.

Lets tests that run ansible as a subprocess inject what moto cannot produce (an access
denial for one group, throttling, an API moto lacks) at the HTTP layer, where botocore
sees real responses.
"""

import re
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

_ERROR_BODY = ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response><Errors><Error><Code>%s</Code>"
               "<Message>%s</Message></Error></Errors><RequestID>fault-proxy</RequestID></Response>")


class Fault:
    """Answer requests whose form parameters include all of ``match`` with ``code`` (HTTP ``status``).

    ``times`` limits how many requests get the fault (None: all of them). ``before``, if given, is
    called before each faulty answer: another actor changing the endpoint meanwhile, say.
    """

    def __init__(self, match, code, message="injected by the test", status=400, times=None, before=None):
        self.match = match
        self.code = code
        self.message = message
        self.status = status
        self.times = times
        self.before = before
        self.hits = 0

    def payload(self):
        return (_ERROR_BODY % (self.code, self.message)).encode()

    def applies(self, parameters):
        if any(parameters.get(key) != value for key, value in self.match.items()):
            return False
        if self.times is not None and self.hits >= self.times:
            return False
        self.hits += 1
        return True


class Canned(Fault):
    """Answer requests whose form parameters include all of ``match`` with ``body()`` (HTTP 200).

    For calls the endpoint lacks (moto has no DescribeStaleSecurityGroups): ``body`` is called at
    answer time, so that it can name IDs seeded after the proxy started.
    """

    def __init__(self, match, body, times=None):
        super().__init__(match, None, status=200, times=times)
        self.body = body

    def payload(self):
        return self.body().encode()


# What EC2 answers when a bucket is empty.
THROTTLED = Fault({}, "RequestLimitExceeded", "Request limit exceeded.", status=503)
_REGION = re.compile(r"Credential=[^/]+/[^/]+/([^/]+)/")


class QuietHandler(BaseHTTPRequestHandler):
    """A request handler that answers with ``reply`` and logs nothing (the tests' output stays theirs)."""

    def reply(self, status, content_type, payload):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *_args):
        pass


class LoopbackServer:
    """A threaded HTTP server of ``handler`` on a free loopback port (``url``), serving for the life of a ``with``
    block."""

    def __init__(self, handler):
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = "http://127.0.0.1:%d" % self._server.server_address[1]

    def __enter__(self):
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *_exc_info):
        self._server.shutdown()
        self._server.server_close()


class FaultProxy(LoopbackServer):
    """``with FaultProxy(upstream_url, faults) as proxy``: use ``proxy.url`` as the EC2 endpoint.

    ``throttling``: a ``ThrottlingModel`` whose empty buckets answer ``RequestLimitExceeded``. ``timeline`` lists
    ``(when, action, region, answered with an error)`` for every request, in the order they arrived.
    """

    def __init__(self, upstream_url, faults=(), throttling=None):
        self.upstream_url = upstream_url
        self.faults = list(faults)
        self.throttling = throttling
        self.requests = []
        self.timeline = []
        self._lock = threading.Lock()
        proxy = self

        class Handler(QuietHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                parameters = dict(urllib.parse.parse_qsl(body.decode()))
                with proxy._lock:
                    proxy.requests.append(parameters)
                    fault = next((fault for fault in proxy.faults if fault.applies(parameters)), None)
                if fault is None and proxy.throttling is not None and not proxy.throttling.admit(parameters, self.headers):
                    fault = THROTTLED
                region = _REGION.search(self.headers.get("Authorization", ""))
                with proxy._lock:
                    proxy.timeline.append((time.monotonic(), parameters.get("Action"), region and region.group(1),
                                           fault is not None))
                if fault is not None:
                    if fault.before is not None:
                        fault.before()
                    self._answer(fault.status, fault.payload())
                    return
                upstream = urllib.request.Request(proxy.upstream_url + self.path, data=body, method="POST",
                                                  headers=dict((key, value) for key, value in self.headers.items()
                                                               if key.lower() not in ("host", "content-length")))
                try:
                    with urllib.request.urlopen(upstream, timeout=60) as response:
                        self._answer(response.status, response.read())
                except urllib.error.HTTPError as error:
                    self._answer(error.code, error.read())

            def _answer(self, status, payload):
                self.reply(status, "text/xml", payload)

        super().__init__(Handler)

    def calls(self, action):
        """The form parameters of every request for ``action`` that reached the proxy."""
        return [parameters for parameters in self.requests if parameters.get("Action") == action]
