#!/usr/bin/env python3
"""A channel's receiving end for delivery tests: records every POST (path,
headers, body) as a JSON line and answers by a simple script.

  http_receiver.py PORT LOGFILE [--fail-first N] [--fail-status S] [--always STATUS] [--body JSON]
"""
import json
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer

port, log = int(sys.argv[1]), sys.argv[2]
args = sys.argv[3:]
opt = {args[i]: args[i + 1] for i in range(0, len(args) - 1, 2)}
fail_first = int(opt.get("--fail-first", "0"))
fail_status = int(opt.get("--fail-status", "503"))
always = int(opt.get("--always", "0"))
reply_body = opt.get("--body", '{"ok":true}')
seen = {"n": 0}


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        seen["n"] += 1
        status = always or (fail_status if seen["n"] <= fail_first else 200)
        with open(log, "a") as f:
            f.write(json.dumps({"path": self.path, "headers": dict(self.headers),
                                "body": body.decode("utf-8", "replace"), "answered": status}, ensure_ascii=False) + "\n")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(reply_body.encode())

    def log_message(self, *a):
        pass


HTTPServer(("127.0.0.1", port), Handler).serve_forever()
