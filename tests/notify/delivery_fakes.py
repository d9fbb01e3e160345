"""Fake providers on 127.0.0.1 for the delivery tests: 阿里云 SendSms (checks the signature), a 企业微信 group robot
webhook and an SMTP server. Each can be told to fail its first `fail` requests, and records what it received.

Ports 8120–8129 (this helper's range), three per pytest-xdist worker so that two workers never collide."""

import base64
import hashlib
import hmac
import json
import os
import socketserver
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SECRET = "fake-aliyun-secret"
KEY_ID = "LTAI-fake-key"


def port(offset: int) -> int:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or "0"
    return 8120 + (3 * int(worker)) % 9 + offset


def aliyun_signature(params: dict, secret: str) -> str:
    """Recomputed independently of notify.delivery.sms, from 阿里云's description of the RPC signature."""
    enc = lambda v: urllib.parse.quote(str(v), safe="-_.~")  # noqa: E731
    canonical = "&".join(f"{enc(k)}={enc(v)}" for k, v in sorted(params.items()) if k != "Signature")
    to_sign = "GET&%2F&" + enc(canonical)
    return base64.b64encode(hmac.new(f"{secret}&".encode(), to_sign.encode(), hashlib.sha1).digest()).decode()


class _Fake:
    def __init__(self, offset, fail=0, delay=0.0):
        self.fail, self.delay, self.requests, self.lock = fail, delay, [], threading.Lock()
        self.server = self.make_server(("127.0.0.1", port(offset)))
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self):
        host, p = self.server.server_address[:2]
        return f"http://{host}:{p}"

    def take_turn(self) -> bool:
        """Record one request; True if this one must fail."""
        with self.lock:
            self.calls = getattr(self, "calls", 0) + 1
            return self.calls <= self.fail

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


class _Server(ThreadingHTTPServer):
    allow_reuse_address = True
    daemon_threads = True


class FakeAliyunSms(_Fake):
    def make_server(self, address):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(self.path).query, keep_blank_values=True))
                fake.requests.append(query)
                if query.get("Signature") != aliyun_signature(query, SECRET):
                    return self.answer(400, {"Code": "SignatureDoesNotMatch", "Message": "Specified signature is "
                                             "not matched with our calculation."})
                time.sleep(fake.delay)  # a slow provider: the sender holds its row lock meanwhile
                if fake.take_turn():
                    return self.answer(500, {"Code": "isp.SYSTEM_ERROR", "Message": "系统错误"})
                self.answer(200, {"Code": "OK", "Message": "OK", "BizId": f"biz{len(fake.requests)}",
                                  "RequestId": "F655A8D5-B967-440B-8683-DAD6FF8DE990"})

            def answer(self, status, body):
                data = json.dumps(body, ensure_ascii=False).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json;charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        return _Server(address, Handler)

    @property
    def delivered(self):
        return [q for q in self.requests if q.get("Signature") == aliyun_signature(q, SECRET)][self.fail:]


class FakeWeCom(_Fake):
    def make_server(self, address):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                body = json.loads(self.rfile.read(length))
                key = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(self.path).query)).get("key")
                fake.requests.append({"key": key, "body": body})
                answer = ({"errcode": 45009, "errmsg": "api freq out of limit"} if fake.take_turn()
                          else {"errcode": 0, "errmsg": "ok"})
                data = json.dumps(answer).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        return _Server(address, Handler)


class FakeSmtp(_Fake):
    """Just enough SMTP (RFC 5321) for Django's SMTP backend: EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT.
    A failing turn answers MAIL FROM with 451 (try again later)."""

    def make_server(self, address):
        fake = self

        class Handler(socketserver.StreamRequestHandler):
            def reply(self, line):
                self.wfile.write(f"{line}\r\n".encode())

            def handle(self):
                self.reply("220 fake.smtp ESMTP")
                sender, rcpts = None, []
                while line := self.rfile.readline():
                    verb = line.decode("utf-8", "replace").strip().split(" ", 1)[0].upper()
                    if verb == "EHLO":
                        self.reply("250-fake.smtp")
                        self.reply("250 8BITMIME")
                    elif verb == "HELO" or verb in ("RSET", "NOOP"):
                        self.reply("250 OK")
                    elif verb == "MAIL":
                        if fake.take_turn():
                            self.reply("451 4.3.0 Try again later")
                            continue
                        sender, rcpts = line.decode().strip(), []
                        self.reply("250 OK")
                    elif verb == "RCPT":
                        rcpts.append(line.decode().strip().split(":", 1)[1].strip(" <>"))
                        self.reply("250 OK")
                    elif verb == "DATA":
                        self.reply("354 End data with <CR><LF>.<CR><LF>")
                        data = []
                        while (chunk := self.rfile.readline()) not in (b".\r\n", b""):
                            data.append(chunk)
                        fake.requests.append({"from": sender, "to": rcpts, "data": b"".join(data)})
                        self.reply("250 OK queued")
                    elif verb == "QUIT":
                        self.reply("221 Bye")
                        return
                    else:
                        self.reply("502 Command not implemented")

        class Server(socketserver.ThreadingTCPServer):
            allow_reuse_address = True
            daemon_threads = True

        return Server(address, Handler)
