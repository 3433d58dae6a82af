"""A baseline of bench/models: the same model files loaded with ``mlflow.pyfunc.load_model`` in a
plain Python process behind a minimal HTTP server, the least an application's model server does:
``POST /invocations`` with ``{"rows": [{...}]}`` answers ``{"predictions": [...]}``. No key, no
payload checks, no sandbox. Prints ``ready PORT`` once it listens on 127.0.0.1.

    python bare-server.py MODEL_DIR
"""

import json
import socket
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import mlflow.pyfunc
import pandas as pd

model = mlflow.pyfunc.load_model(sys.argv[1])


class Handler(BaseHTTPRequestHandler):
    # Keep-alive, as any client library reuses its connection.
    protocol_version = "HTTP/1.1"

    def setup(self) -> None:
        super().setup()
        # Headers and body are two writes: without this, Nagle's algorithm meets the client's
        # delayed ACK and every answer waits ~40 ms (ARCHITECTURE.md, checked facts).
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format, *args):  # noqa: A002 - http.server's name
        pass

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        payload = json.loads(self.rfile.read(int(self.headers["content-length"])))
        result = model.predict(pd.DataFrame(payload["rows"], dtype="float64"))
        data = json.dumps({"predictions": result.tolist()}).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print("ready", server.server_address[1], flush=True)
server.serve_forever()
