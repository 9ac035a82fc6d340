"""A loopback stand-in for Lambda's Runtime API, enough for AWS's runtime interface client: it hands out
the events given on the command line one by one (GET /invocation/next), records each answer
(POST /invocation/ID/response or /error) as ANSWERS/ID.json with its kind, and then keeps the client
waiting, as Lambda does between invocations.
Usage: runtime_api.py PORT ANSWERS_DIR EVENT_FILE...
"""
import json, os, sys, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

port, answers, events = int(sys.argv[1]), sys.argv[2], [open(f, 'rb').read() for f in sys.argv[3:]]
lock = threading.Lock()
served = 0
PREFIX = '/2018-06-01/runtime/'

class Api(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        if self.path != PREFIX + 'invocation/next':
            return self.reply(404, b'{}')
        global served
        with lock:
            event = events.pop(0) if events else None
            served += event is not None
            n = served
        if event is None:
            time.sleep(3600)  # no more work; the test stops the container
            return
        self.send_response(200)
        self.send_header('Lambda-Runtime-Aws-Request-Id', 'req-%d' % n)
        self.send_header('Lambda-Runtime-Deadline-Ms', str(int(time.time() * 1000) + 900_000))
        self.send_header('Lambda-Runtime-Invoked-Function-Arn', 'arn:aws:lambda:us-east-1:123456789012:function:step')
        self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Length', str(len(event)))
        self.end_headers()
        self.wfile.write(event)

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get('Content-Length') or 0))
        parts = self.path[len(PREFIX):].split('/')
        if parts[0] == 'invocation' and len(parts) == 3 and parts[2] in ('response', 'error'):
            kind = parts[2]
        elif parts[:2] == ['init', 'error']:
            parts, kind = ['init', 'init'], 'init-error'
        else:
            return self.reply(404, b'{}')
        with open(os.path.join(answers, parts[1] + '.json'), 'w') as out:
            json.dump({'kind': kind, 'errorType': self.headers.get('Lambda-Runtime-Function-Error-Type'),
                       'body': body.decode('utf-8', 'replace')}, out)
        self.reply(202, b'{"status":"OK"}')

    def reply(self, status, body):
        self.send_response(status)
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)

ThreadingHTTPServer(('127.0.0.1', port), Api).serve_forever()
