"""A mutating proxy for tests: a real HTTP server on loopback, in a thread, that forwards every request to the
simulator and rewrites the JSON answers of chosen accounts, each with its own function.

The client under test talks to the proxy exactly as it would to TikTok (real sockets, real headers); the proxy
asks the simulator, and when the request's `business_id` is a chosen account and the path is a data endpoint,
hands the decoded answer to that account's `mutate`, which returns the answer to send instead: a dict
(serialised with Python's json, so float('nan') becomes the bare token NaN) or the exact body text. Every other
account, the token calls and the simulator's admin endpoints pass through untouched.
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx

from tiktok_api import contract

HOP_HEADERS = {"connection", "keep-alive", "transfer-encoding", "content-length", "content-encoding", "host"}


@dataclass
class Answer:
    """One answer of the chosen account, as the simulator sent it, for `mutate` to rewrite."""

    endpoint: str  # the data endpoint, e.g. /business/video/list/
    params: dict[str, str]  # the query parameters as the client sent them
    envelope: dict[str, Any]  # the simulator's decoded answer (mutate may change it in place and return it)
    number: int  # 1 for the account's first answer on this endpoint, 2 for the second, ...
    state: dict[str, Any] = field(default_factory=dict)  # shared by every call of the proxy, for stateful mutations

    @property
    def data(self) -> dict[str, Any]:
        return self.envelope["data"]


Mutation = Callable[[Answer], "dict[str, Any] | str"]


class MutatingProxy:
    def __init__(self, upstream: str, mutations: Mapping[str, Mutation]) -> None:
        self.upstream = upstream.rstrip("/")
        self.mutations = dict(mutations)  # business_id -> how its answers are rewritten
        self.calls: Counter[tuple[str, str]] = Counter()  # (endpoint, business_id) -> requests forwarded
        # (endpoint, business_id) -> (the simulator's body, the body sent on) of every data answer, in order
        self.bodies: dict[tuple[str, str], list[tuple[bytes, bytes]]] = {}
        self.state: dict[str, Any] = {}
        self._lock = threading.Lock()
        self._http = httpx.Client(timeout=10)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="mutating-proxy", daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def base_url(self) -> str:
        """What the client takes as its base URL."""
        return self.url + contract.API_PREFIX

    def start(self) -> MutatingProxy:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._http.close()

    def __enter__(self) -> MutatingProxy:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # --- forwarding
    def _forward(self, method: str, path: str, headers: dict[str, str], body: bytes) -> tuple[int, dict, bytes]:
        upstream = self._http.request(method, self.upstream + path, headers=headers, content=body or None)
        out_headers = {k: v for k, v in upstream.headers.items() if k.lower() not in HOP_HEADERS}
        content = upstream.content
        split = urlsplit(path)
        endpoint = split.path.removeprefix(contract.API_PREFIX)
        params = dict(parse_qsl(split.query, keep_blank_values=True))
        account = params.get("business_id", "")
        if endpoint in contract.DATA_ENDPOINTS:
            with self._lock:
                self.calls[(endpoint, account)] += 1
                number = self.calls[(endpoint, account)]
            mutate = self.mutations.get(account)
            if mutate is not None:
                envelope = json.loads(content)
                if envelope.get("code") == contract.OK:  # errors (rate limits, ...) pass as they are
                    answer = Answer(endpoint, params, envelope, number, self.state)
                    with self._lock:
                        mutated = mutate(answer)
                    text = mutated if isinstance(mutated, str) else json.dumps(mutated)
                    content = text.encode("utf-8")
                    out_headers["content-type"] = "application/json"
            with self._lock:
                self.bodies.setdefault((endpoint, account), []).append((upstream.content, content))
        return upstream.status_code, out_headers, content

    def sent(self, endpoint: str, business_id: str) -> list[bytes]:
        """The bodies sent to the client for an account's data endpoint, in order."""
        return [sent for _upstream, sent in self.bodies.get((endpoint, business_id), [])]

    def untouched(self, endpoint: str, business_id: str) -> bool:
        """Whether every answer of the account on the endpoint went out exactly as the simulator sent it."""
        pairs = self.bodies.get((endpoint, business_id), [])
        return bool(pairs) and all(upstream == sent for upstream, sent in pairs)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else b""
                headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_HEADERS}
                try:
                    status, out_headers, content = proxy._forward(self.command, self.path, headers, body)
                except Exception as exc:  # a broken mutation must show in the test, not hang the client
                    status, out_headers, content = 502, {"content-type": "text/plain"}, repr(exc).encode()
                self.send_response(status)
                for key, value in out_headers.items():
                    self.send_header(key, value)
                self.send_header("content-length", str(len(content)))
                self.end_headers()
                self.wfile.write(content)

            do_GET = do_POST = _serve

            def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
                pass

        return Handler
