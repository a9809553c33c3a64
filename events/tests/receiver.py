"""A real webhook receiver for tests and benchmarks: a threaded http.server on 127.0.0.1.

It records every POST (headers, body, arrival time) and answers from a
script: a list of behaviours taken one per request, the last repeated
(``Answer(500)``, ``Answer(200, delay=3)``, ``Answer(close=True)`` to drop
the connection without answering).
"""

import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass(frozen=True)
class Answer:
    status: int = 200
    delay: float = 0.0
    close: bool = False
    body: bytes = b"ok"


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict
    body: bytes
    at: float  # time.time() when the body was read

    @property
    def message_id(self):
        return self.headers["webhook-id"]


class Receiver:
    """Use as a context manager; ``url`` is where it listens, ``received`` what it got."""

    def __init__(self, *answers):
        self.answers = list(answers) or [Answer()]
        self.received = []
        self.lock = threading.Lock()
        self.arrived = threading.Condition(self.lock)
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                answer = receiver._record(self, body)
                if answer.delay:
                    time.sleep(answer.delay)
                if answer.close:
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return
                self.send_response(answer.status)
                self.send_header("Content-Length", str(len(answer.body)))
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(answer.body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def _record(self, handler, body):
        with self.lock:
            answer = self.answers[min(len(self.received), len(self.answers) - 1)]
            headers = {key.lower(): value for key, value in handler.headers.items()}
            self.received.append(Received(handler.path, headers, body, time.time()))
            self.arrived.notify_all()
            return answer

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks/in"

    def wait_for(self, count, timeout=30):
        """Wait until ``count`` requests arrived; return them (raise on timeout)."""
        with self.lock:
            if not self.arrived.wait_for(lambda: len(self.received) >= count, timeout):
                raise TimeoutError(f"{len(self.received)} of {count} requests arrived in {timeout} s")
            return list(self.received)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc_info):
        self.server.shutdown()
        self.server.server_close()
