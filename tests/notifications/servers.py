"""Real servers on 127.0.0.1 that play the other side of each channel: an SMTP server
(aiosmtpd), an SMS gateway and a push service (HTTP), each in a thread of its own, recording
what they received. The push service checks the VAPID signature and decrypts the payload (RFC
8291) with the subscription's private key, as a browser's push service and browser would."""

from __future__ import annotations

import base64
import email
import email.policy
import hashlib
import hmac
import json
import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import http_ece
from aiosmtpd.controller import Controller
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from tests.support import free_port


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class SmtpServer:
    """An SMTP server that keeps every message it accepts (``messages``: parsed when asked)."""

    def __init__(self):
        self.port = free_port()
        self.raw: list[bytes] = []
        self.refuse: set[str] = set()  # recipients it answers 550 for
        server = self

        class Handler:
            async def handle_RCPT(self, smtp_server, session, envelope, address, rcpt_options):
                if address in server.refuse:
                    return "550 5.1.1 no such mailbox"
                envelope.rcpt_tos.append(address)
                return "250 OK"

            async def handle_DATA(self, smtp_server, session, envelope):
                server.raw.append(envelope.content)
                return "250 Message accepted for delivery"

        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)

    @property
    def messages(self) -> list[email.message.EmailMessage]:
        return [email.message_from_bytes(raw, policy=email.policy.default) for raw in self.raw]

    def start(self) -> SmtpServer:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()


class _Recording(ThreadingHTTPServer):
    daemon_threads = True


class HttpService:
    """An HTTP server in a thread; ``answer(path, headers, body) -> (status, body)``."""

    def __init__(self, answer):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        answer_of = answer

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # connections kept open, as real gateways do
            disable_nagle_algorithm = True

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                status, reply = answer_of(self.path, self.headers, body)
                data = json.dumps(reply).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = _Recording(("127.0.0.1", self.port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self):
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class SmsGateway(HttpService):
    """Plays a cloud SMS API: checks the request's HMAC signature, keeps the messages, and
    answers ``{"Code": "OK"}`` (or the code a test asks for)."""

    KEY_ID, KEY_SECRET = "test-key-id", "test-key-secret"

    def __init__(self):
        self.messages: list[dict] = []
        self.failures: list[int] = []  # statuses to answer, in turn, before accepting again
        super().__init__(self._answer)

    def _answer(self, path, headers, body):
        expected = hmac.new(self.KEY_SECRET.encode(), headers["x-sms-timestamp"].encode() + b"\n" + body, hashlib.sha256).digest()
        if headers.get("x-sms-key-id") != self.KEY_ID or headers.get("authorization") != "HMAC-SHA256 " + base64.b64encode(expected).decode():
            return 403, {"Code": "SignatureDoesNotMatch"}
        if self.failures:
            return self.failures.pop(0), {"Code": "ServiceUnavailable"}
        request = json.loads(body)
        self.messages.append({**request, "TemplateParam": json.loads(request["TemplateParam"])})
        return 200, {"Code": "OK", "Message": "OK", "BizId": str(len(self.messages))}


class PushService(HttpService):
    """Plays a browser's push service and the browser: each subscription made here has its own
    endpoint and keys; a push is accepted only with a valid VAPID JWT for this origin, and its
    payload is decrypted with the subscription's private key."""

    def __init__(self):
        self.subscriptions: dict[str, tuple[ec.EllipticCurvePrivateKey, bytes]] = {}
        self.received: list[dict] = []  # decrypted payloads, with the endpoint
        self.refused: list[str] = []  # why a push was refused
        self.expired: set[str] = set()  # endpoints answered 410 Gone
        super().__init__(self._answer)

    def subscribe(self) -> dict:
        """A new subscription, as a browser's ``PushSubscription.toJSON()``."""
        name = b64url(os.urandom(9))
        key = ec.generate_private_key(ec.SECP256R1())
        auth = os.urandom(16)
        endpoint = f"{self.url}/push/{name}"
        self.subscriptions[endpoint] = (key, auth)
        public = key.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
        return {"endpoint": endpoint, "expirationTime": None, "keys": {"p256dh": b64url(public), "auth": b64url(auth)}}

    def _vapid_refusal(self, authorization: str) -> str | None:
        scheme, _, params = authorization.partition(" ")
        fields = dict(part.strip().split("=", 1) for part in params.split(","))
        if scheme.lower() != "vapid" or "t" not in fields or "k" not in fields:
            return "no vapid authorization"
        header, claims, signature = fields["t"].split(".")
        public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64url(fields["k"]))
        raw = unb64url(signature)
        der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
        try:
            public.verify(der, f"{header}.{claims}".encode(), ec.ECDSA(hashes.SHA256()))
        except InvalidSignature:
            return "bad signature"
        claims = json.loads(unb64url(claims))
        if json.loads(unb64url(header)).get("alg") != "ES256":
            return "not ES256"
        if claims.get("aud") != self.url or claims.get("exp", 0) < time.time() or not claims.get("sub"):
            return f"bad claims {claims}"
        return None

    def _answer(self, path, headers, body):
        endpoint = self.url + path
        if endpoint in self.expired:
            return 410, {"error": "gone"}
        if endpoint not in self.subscriptions:
            return 404, {"error": "no such subscription"}
        refusal = self._vapid_refusal(headers.get("authorization", ""))
        if refusal or headers.get("content-encoding") != "aes128gcm" or not headers.get("ttl"):
            self.refused.append(refusal or "headers")
            return 401, {"error": refusal}
        key, auth = self.subscriptions[endpoint]
        payload = http_ece.decrypt(body, private_key=key, auth_secret=auth, version="aes128gcm")
        self.received.append({"endpoint": endpoint, **json.loads(payload)})
        return 201, {}


def public_host(url: str) -> str:
    return urlsplit(url).hostname or ""
