"""The channels, each a real protocol: email over SMTP, SMS through an HTTP gateway, Web Push
with VAPID. A channel without its settings is off, and says why (the admin page shows it).

A send either returns or raises ``Failed``: ``permanent`` when trying again cannot help (the
message is dead at once), ``gone`` when the address no longer exists (an expired push
subscription: it is removed).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from email.header import Header
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import make_msgid, parseaddr
from html import escape
from pathlib import Path
from typing import AsyncIterator

import aiosmtplib
from py_vapid import Vapid02, b64urlencode
from cryptography.hazmat.primitives import serialization

from backend import clock
from backend.i18n_markers import N_
from backend.settings import Settings

EMAIL, SMS, PUSH = "email", "sms", "push"
CHANNELS = (EMAIL, SMS, PUSH)
CHANNEL_LABELS = {EMAIL: N_("Email"), SMS: N_("SMS"), PUSH: N_("Push on a device")}
TIMEOUT_SECONDS = 20


class Failed(Exception):
    def __init__(self, reason: str, permanent: bool = False, gone: bool = False):
        super().__init__(reason)
        self.reason = reason[:200]
        self.permanent = permanent or gone
        self.gone = gone


@dataclass(frozen=True)
class Outgoing:
    """One message, worded for its channel."""

    address: str
    subject: str
    line: str
    body: str
    link: str
    push_keys: str = ""
    unsubscribe_link: str = ""


def why_off(channel: str, settings: Settings) -> str | None:
    """None if the channel is on; else what setting it lacks (for the admin page)."""
    if channel == EMAIL and not (settings.smtp_host and settings.mail_from):
        return N_("Off: set MINSHENG_SMTP_HOST and MINSHENG_MAIL_FROM.")
    if channel == SMS and not (settings.sms_url and settings.sms_template and settings.sms_signature):
        return N_("Off: set MINSHENG_SMS_URL, MINSHENG_SMS_TEMPLATE and MINSHENG_SMS_SIGNATURE.")
    return None


# --- Email ----------------------------------------------------------------------------------


def email_message(settings: Settings, outgoing: Outgoing) -> MIMEMultipart:
    """The message: a plain-text part and the same in HTML. (The email package's older MIME
    classes: they build a message four times faster than ``EmailMessage``, which counts when an
    answer goes to thousands.)"""
    message = MIMEMultipart("alternative")
    message["From"] = settings.mail_from
    message["To"] = outgoing.address
    message["Subject"] = Header(outgoing.subject, "utf-8")
    message["Message-ID"] = make_msgid(domain=parseaddr(settings.mail_from)[1].rpartition("@")[2] or settings.rp_id)
    if outgoing.unsubscribe_link:
        # RFC 8058: mail clients offer "unsubscribe", which POSTs this body to the link.
        message["List-Unsubscribe"] = f"<{outgoing.unsubscribe_link}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.attach(MIMEText(outgoing.body, "plain", "utf-8"))
    paragraphs = "".join(f"<p>{escape(part)}</p>" for part in outgoing.body.strip().split("\n\n"))
    message.attach(MIMEText(f"<!doctype html><html><body>{paragraphs}</body></html>", "html", "utf-8"))
    return message


@asynccontextmanager
async def email_sender(settings: Settings) -> AsyncIterator:
    """One SMTP connection for a batch of messages."""
    client = aiosmtplib.SMTP(
        hostname=settings.smtp_host,
        port=settings.smtp_port,
        use_tls=settings.smtp_security == "tls",
        start_tls=True if settings.smtp_security == "starttls" else False,
        username=settings.smtp_username or None,
        password=settings.smtp_password or None,
        timeout=TIMEOUT_SECONDS,
    )
    try:
        await client.connect()
    except (aiosmtplib.SMTPException, OSError) as error:
        raise Failed(f"SMTP connection: {type(error).__name__}") from None
    # The envelope, given: read back from each message's headers, it cost a tenth of its sending.
    sender = parseaddr(settings.mail_from)[1]

    async def send(outgoing: Outgoing) -> None:
        try:
            await client.send_message(email_message(settings, outgoing), sender=sender, recipients=[outgoing.address])
        except aiosmtplib.SMTPRecipientsRefused:
            raise Failed("SMTP: recipient refused", permanent=True) from None
        except aiosmtplib.SMTPResponseException as error:
            raise Failed(f"SMTP {error.code}", permanent=500 <= error.code < 600) from None
        except (aiosmtplib.SMTPException, OSError) as error:
            raise Failed(f"SMTP: {type(error).__name__}") from None

    try:
        yield send
    finally:
        if client.is_connected:
            try:
                await client.quit()
            except (aiosmtplib.SMTPException, OSError):
                client.close()


# --- SMS ------------------------------------------------------------------------------------


def sms_request(settings: Settings, outgoing: Outgoing, timestamp: str) -> tuple[bytes, dict[str, str]]:
    """The gateway's request, shaped like the big Chinese cloud SMS APIs (Aliyun SendSms,
    Tencent SendSms): the phone number, the registered signature (签名) and template id, the
    template's variables as JSON; signed with HMAC-SHA256 over the body and the time."""
    body = json.dumps(
        {
            "PhoneNumbers": outgoing.address,
            "SignName": settings.sms_signature,
            "TemplateCode": settings.sms_template,
            "TemplateParam": json.dumps({"text": outgoing.line}, ensure_ascii=False),
        },
        ensure_ascii=False,
    ).encode()
    signature = hmac.new(settings.sms_key_secret.encode(), timestamp.encode() + b"\n" + body, hashlib.sha256).digest()
    headers = {
        "content-type": "application/json; charset=utf-8",
        "x-sms-key-id": settings.sms_key_id,
        "x-sms-timestamp": timestamp,
        "authorization": "HMAC-SHA256 " + base64.b64encode(signature).decode(),
    }
    return body, headers


@asynccontextmanager
async def sms_sender(settings: Settings) -> AsyncIterator:
    import aiohttp  # here: a fifth of a second of every process's start, and most never send

    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=TIMEOUT_SECONDS)) as session:

        async def send(outgoing: Outgoing) -> None:
            body, headers = sms_request(settings, outgoing, clock.now().strftime("%Y-%m-%dT%H:%M:%SZ"))
            try:
                async with session.post(settings.sms_url, data=body, headers=headers) as response:
                    status = response.status
                    try:
                        answer = await response.json(content_type=None)
                    except ValueError:
                        answer = None
            except (aiohttp.ClientError, OSError, TimeoutError) as error:
                raise Failed(f"SMS gateway: {type(error).__name__}") from None
            if status >= 500 or status == 429:
                raise Failed(f"SMS gateway HTTP {status}")
            if not isinstance(answer, dict):
                raise Failed(f"SMS gateway HTTP {status}: not JSON")
            if status != 200 or answer.get("Code") != "OK":
                # The gateway refused this message (number, template, balance): its code says why.
                raise Failed(f"SMS gateway: {str(answer.get('Code', status))[:60]}", permanent=True)

        yield send


# --- Web Push -------------------------------------------------------------------------------


def vapid_key(settings: Settings) -> Vapid02:
    """The VAPID key: from the settings, else generated once into the data directory. Workers
    starting at once agree on one: each writes its own key to a file of its own, and the first
    to link it into place wins (a link is atomic, so nobody reads a key half written)."""
    if settings.vapid_private_key:
        return Vapid02.from_string(settings.vapid_private_key.replace("\\n", "\n"))
    path = Path(settings.data_dir) / "vapid_private_key.pem"
    if path.exists():
        return Vapid02.from_file(str(path))
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    key = Vapid02()
    key.generate_keys()
    draft = path.with_name(f"{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(key.private_pem())
            f.flush()
            os.fsync(f.fileno())
        os.link(draft, path)
    except FileExistsError:
        return Vapid02.from_file(str(path))  # another worker's came first
    finally:
        draft.unlink(missing_ok=True)
    return key


def vapid_public_key(settings: Settings) -> str:
    """The application server key a browser subscribes with (base64url, uncompressed point)."""
    raw = vapid_key(settings).public_key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    return b64urlencode(raw)


def vapid_subject(settings: Settings) -> str:
    """Whom push services contact about our pushes: the setting, else the https origin, else
    the platform's own address (push services refuse a plain http URL)."""
    if settings.vapid_subject:
        return settings.vapid_subject
    if settings.origin.startswith("https://"):
        return settings.origin
    return f"mailto:notifications@{settings.rp_id}"


@asynccontextmanager
async def push_sender(settings: Settings) -> AsyncIterator:
    import aiohttp  # here, as pywebpush: a fifth of a second of every process's start
    from pywebpush import WebPushException, webpush_async

    key = vapid_key(settings)
    subject = vapid_subject(settings)
    async with AsyncExitStack() as stack:
        session = await stack.enter_async_context(aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=TIMEOUT_SECONDS)))

        async def send(outgoing: Outgoing) -> None:
            info = {"endpoint": outgoing.address, "keys": json.loads(outgoing.push_keys)}
            data = json.dumps({"title": outgoing.subject, "body": outgoing.line, "url": outgoing.link}, ensure_ascii=False)
            try:
                await webpush_async(info, data, vapid_private_key=key, vapid_claims={"sub": subject}, ttl=86400,
                                    timeout=TIMEOUT_SECONDS, aiohttp_session=session)
            except WebPushException as error:
                status = error.status_code
                if status in (404, 410):
                    raise Failed("push: expired subscription", gone=True) from None
                raise Failed(f"push: HTTP {status}", permanent=status is not None and 400 <= status < 500 and status != 429) from None
            except (aiohttp.ClientError, OSError, TimeoutError) as error:
                raise Failed(f"push: {type(error).__name__}") from None

        yield send


SENDERS = {EMAIL: email_sender, SMS: sms_sender, PUSH: push_sender}
