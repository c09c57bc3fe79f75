"""Settings, read once from the environment (``MINSHENG_*``)."""

from __future__ import annotations

import ipaddress
import os
import re
import secrets
from dataclasses import dataclass
from datetime import time
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

WORKING_HOURS = "09:00-12:00,13:30-17:30"
_PERIOD = re.compile(r"([01][0-9]|2[0-3]):([0-5][0-9])-([01][0-9]|2[0-3]):([0-5][0-9])")


def parse_working_hours(value: str) -> tuple[tuple[time, time], ...]:
    """``"09:00-12:00,13:30-17:30"``: periods within one day, in order, not overlapping."""
    periods = []
    for part in value.replace(" ", "").split(","):
        match = _PERIOD.fullmatch(part)
        if not match:
            raise ValueError(f"MINSHENG_WORKING_HOURS: {part!r} is not a period like 09:00-12:00 (24-hour clock)")
        h1, m1, h2, m2 = map(int, match.groups())
        start, end = time(h1, m1), time(h2, m2)
        if start >= end:
            raise ValueError(f"MINSHENG_WORKING_HOURS: {part!r} ends before it starts (periods cannot pass midnight)")
        if periods and start < periods[-1][1]:
            raise ValueError(f"MINSHENG_WORKING_HOURS: {part!r} overlaps or comes before the period ahead of it")
        periods.append((start, end))
    return tuple(periods)


@dataclass(frozen=True)
class S3Settings:
    """An S3-compatible bucket for the media (``backend.photos.s3``)."""

    bucket: str
    endpoint: str = ""  # e.g. https://oss-cn-hangzhou.aliyuncs.com; empty: AWS's own
    region: str = "us-east-1"
    access_key: str = ""  # empty: boto3's own lookup (environment, instance role)
    secret_key: str = ""
    prefix: str = ""  # keys go under this path in the bucket
    addressing_style: str = "auto"  # path (MinIO, Ceph), virtual (OSS, COS) or auto


@dataclass(frozen=True)
class Settings:
    database_url: str
    media_dir: Path
    data_dir: Path
    origin: str
    secret_key: str
    time_zone: str = "Asia/Shanghai"
    # The working periods of a working day, in order, on the local clock (see backend.deadlines).
    working_hours: tuple[tuple[time, time], ...] = parse_working_hours(WORKING_HOURS)
    redis_url: str | None = None
    # Prefixes the keys and channels in Redis, so that installations sharing one Redis (or
    # test runs) never read each other's sessions or live news.
    redis_namespace: str = "minsheng"
    session_idle_minutes: int = 60
    session_max_hours: int = 12
    # How often each worker runs the clock jobs (backend.jobs); 0: not at all (tests, or a
    # deployment that runs them some other way).
    scheduler_seconds: int = 60
    rating_days: int = 7  # an answer not rated within these days closes as not rated
    # Callbacks (回访, ``cases.callbacks``): an answer not rated within these days is called back,
    # and this share of the answers rated online in that time (per case, stable).
    callback_days: int = 3
    callback_share: float = 0.1
    # Retention (``cases.retention``): a finished case's personal data, and the audit log.
    personal_data_days: int = 730
    audit_days: int = 1095
    delivery_log_days: int = 180  # each notification's delivery (sent or failed), for staff's case log
    # Live streams (backend.live): a comment line this often keeps proxies from closing them; a
    # stream ends after its time and the browser reconnects, so a signed-out person's stream
    # does not outlive their session for long.
    live_heartbeat_seconds: int = 15
    live_stream_seconds: int = 300
    # The JSON API and Open311: requests a minute per API key (or per address without one).
    api_requests_per_minute: int = 300
    # Photo uploads and "me too" without signing in: requests a minute per address, for each.
    address_writes_per_minute: int = 20
    # The public map's tiles (Leaflet's URL template; empty: no map, the list alone) and the
    # credit their provider asks for. The Content-Security-Policy lets images come from there.
    map_tile_url: str = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
    map_attribution: str = "© OpenStreetMap contributors"
    # Origins whose pages may send forms here besides ``origin`` (backend.web.csrf): other names
    # the site is served under. ``origin`` is always trusted, so a proxy that rewrites the Host
    # needs nothing here.
    extra_trusted_origins: tuple[str, ...] = ()

    @property
    def trusted_origins(self) -> frozenset[str]:
        return frozenset({self.origin, *self.extra_trusted_origins})
    # Notifications (backend.notifications). Email is off without an SMTP host, SMS without a
    # gateway URL; Web Push needs nothing (its VAPID key is generated once into the data
    # directory unless given).
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_username: str = ""
    smtp_password: str = ""
    smtp_security: str = "starttls"  # starttls, tls (implicit, port 465) or none (a local relay)
    mail_from: str = ""
    sms_url: str = ""
    sms_key_id: str = ""
    sms_key_secret: str = ""
    sms_signature: str = ""  # 短信签名, registered with the gateway
    sms_template: str = ""  # the gateway's template id, with one variable: the text
    vapid_private_key: str = ""  # base64url DER or PEM; empty: generated once and kept
    vapid_subject: str = ""  # mailto: or https: for the push services; empty: the origin
    # Delivery: attempts before a message is dead, and the wait before the second (doubling).
    notify_attempts: int = 8
    notify_retry_seconds: int = 60
    # Operations (``backend.monitoring``): who may read /metrics (client networks, or a bearer
    # token; neither: nobody, a 404), where the worker processes keep their metrics (those of
    # ended processes removed by ``minsheng serve`` at start; empty: ``<data dir>/metrics``), and the logs' format
    # ("text": uvicorn's access log; "json": one JSON line per request, with its request id).
    metrics_networks: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = ()
    metrics_token: str = ""
    metrics_dir: Path | None = None
    log_format: str = "text"

    @property
    def metrics_directory(self) -> Path:
        return self.metrics_dir or self.data_dir / "metrics"

    # Where photos and PDFs are kept (backend.photos.storage): "local" (``media_dir``) or "s3".
    media_store: str = "local"
    s3: S3Settings | None = None

    @property
    def rp_id(self) -> str:
        """The WebAuthn relying party: the origin's host name (never an IP address in real use)."""
        return urlsplit(self.origin).hostname or "localhost"

    @property
    def is_postgres(self) -> bool:
        return self.database_url.startswith(("postgresql://", "postgres://"))

    @property
    def sqlite_path(self) -> Path:
        return Path(self.database_url.removeprefix("sqlite:///"))

    @property
    def map_tile_source(self) -> str:
        """Where map tiles come from, as a CSP source: ``{s}`` subdomains become a wildcard."""
        if not self.map_tile_url:
            return ""
        parts = urlsplit(self.map_tile_url)
        return f"{parts.scheme}://{parts.netloc.replace('{s}', '*')}"

    @property
    def secure_cookies(self) -> bool:
        return urlsplit(self.origin).scheme == "https"


def _secret_key(data_dir: Path) -> str:
    """Generate the key once and keep it, so sessions and links survive restarts.

    O_EXCL makes concurrent first starts (several workers) agree on one key.
    """
    if key := os.environ.get("MINSHENG_SECRET_KEY"):
        return key
    path = data_dir / "secret_key"
    data_dir.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as f:
        f.write(secrets.token_urlsafe(48))
        f.flush()
        os.fsync(f.fileno())
    return path.read_text().strip()


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    data_dir = Path(os.environ.get("MINSHENG_DATA_DIR", "./data")).resolve()
    database_url = os.environ.get("MINSHENG_DATABASE_URL") or f"sqlite:///{data_dir / 'minsheng.sqlite3'}"
    if not database_url.startswith(("sqlite:///", "postgresql://", "postgres://")):
        raise ValueError("MINSHENG_DATABASE_URL must start with sqlite:/// or postgresql://")
    return Settings(
        database_url=database_url,
        media_dir=Path(os.environ.get("MINSHENG_MEDIA_DIR", "./media")).resolve(),
        data_dir=data_dir,
        origin=os.environ.get("MINSHENG_ORIGIN", "http://localhost:8000").rstrip("/"),
        secret_key=_secret_key(data_dir),
        time_zone=_time_zone(os.environ.get("MINSHENG_TIME_ZONE") or "Asia/Shanghai"),
        working_hours=parse_working_hours(os.environ.get("MINSHENG_WORKING_HOURS") or WORKING_HOURS),
        redis_url=os.environ.get("MINSHENG_REDIS_URL") or None,
        redis_namespace=os.environ.get("MINSHENG_REDIS_NAMESPACE") or "minsheng",
        session_idle_minutes=_positive_int("MINSHENG_SESSION_IDLE_MINUTES", 60),
        session_max_hours=_positive_int("MINSHENG_SESSION_MAX_HOURS", 12),
        scheduler_seconds=_whole_number("MINSHENG_SCHEDULER_SECONDS", 60),
        rating_days=_positive_int("MINSHENG_RATING_DAYS", 7),
        callback_days=_positive_int("MINSHENG_CALLBACK_DAYS", 3),
        callback_share=_percent("MINSHENG_CALLBACK_SAMPLE_PERCENT", 10) / 100,
        personal_data_days=_positive_int("MINSHENG_PERSONAL_DATA_DAYS", 730),
        audit_days=_positive_int("MINSHENG_AUDIT_DAYS", 1095),
        delivery_log_days=_positive_int("MINSHENG_DELIVERY_LOG_DAYS", 180),
        live_heartbeat_seconds=_positive_int("MINSHENG_LIVE_HEARTBEAT_SECONDS", 15),
        live_stream_seconds=_positive_int("MINSHENG_LIVE_STREAM_SECONDS", 300),
        api_requests_per_minute=_positive_int("MINSHENG_API_REQUESTS_PER_MINUTE", 300),
        address_writes_per_minute=_positive_int("MINSHENG_ADDRESS_WRITES_PER_MINUTE", 20),
        map_tile_url=_tile_url(os.environ.get("MINSHENG_MAP_TILE_URL", Settings.map_tile_url)),
        map_attribution=os.environ.get("MINSHENG_MAP_ATTRIBUTION", Settings.map_attribution),
        extra_trusted_origins=_origins("MINSHENG_TRUSTED_ORIGINS"),
        smtp_host=os.environ.get("MINSHENG_SMTP_HOST", ""),
        smtp_port=_positive_int("MINSHENG_SMTP_PORT", 587),
        smtp_username=os.environ.get("MINSHENG_SMTP_USERNAME", ""),
        smtp_password=os.environ.get("MINSHENG_SMTP_PASSWORD", ""),
        smtp_security=_one_of("MINSHENG_SMTP_SECURITY", ("starttls", "tls", "none")),
        mail_from=os.environ.get("MINSHENG_MAIL_FROM", ""),
        sms_url=os.environ.get("MINSHENG_SMS_URL", ""),
        sms_key_id=os.environ.get("MINSHENG_SMS_KEY_ID", ""),
        sms_key_secret=os.environ.get("MINSHENG_SMS_KEY_SECRET", ""),
        sms_signature=os.environ.get("MINSHENG_SMS_SIGNATURE", ""),
        sms_template=os.environ.get("MINSHENG_SMS_TEMPLATE", ""),
        vapid_private_key=os.environ.get("MINSHENG_VAPID_PRIVATE_KEY", ""),
        vapid_subject=os.environ.get("MINSHENG_VAPID_SUBJECT", ""),
        notify_attempts=_positive_int("MINSHENG_NOTIFY_ATTEMPTS", 8),
        notify_retry_seconds=_positive_int("MINSHENG_NOTIFY_RETRY_SECONDS", 60),
        metrics_networks=_networks("MINSHENG_METRICS_ALLOW"),
        metrics_token=os.environ.get("MINSHENG_METRICS_TOKEN", ""),
        metrics_dir=Path(os.environ["MINSHENG_METRICS_DIR"]).resolve() if os.environ.get("MINSHENG_METRICS_DIR") else None,
        log_format=_one_of("MINSHENG_LOG_FORMAT", ("text", "json")),
        media_store=_media_store(),
        s3=_s3(),
    )


def _media_store() -> str:
    store = _one_of("MINSHENG_MEDIA_STORE", ("local", "s3"))
    if store == "s3" and not os.environ.get("MINSHENG_S3_BUCKET"):
        raise ValueError("MINSHENG_MEDIA_STORE=s3 needs MINSHENG_S3_BUCKET")
    return store


def _s3() -> S3Settings | None:
    """The bucket, when one is named: the store of the media, or the target of ``minsheng media migrate``."""
    if not (bucket := os.environ.get("MINSHENG_S3_BUCKET", "")):
        return None
    return S3Settings(
        bucket=bucket,
        endpoint=os.environ.get("MINSHENG_S3_ENDPOINT", ""),
        region=os.environ.get("MINSHENG_S3_REGION") or "us-east-1",
        access_key=os.environ.get("MINSHENG_S3_ACCESS_KEY", ""),
        secret_key=os.environ.get("MINSHENG_S3_SECRET_KEY", ""),
        prefix=os.environ.get("MINSHENG_S3_PREFIX", ""),
        addressing_style=_one_of("MINSHENG_S3_ADDRESSING_STYLE", ("auto", "path", "virtual")),
    )


def _positive_int(name: str, default: int) -> int:
    value = _whole_number(name, default)
    if value < 1:
        raise ValueError(f"{name} must be a whole number of at least 1")
    return value


def _whole_number(name: str, default: int) -> int:
    value = os.environ.get(name)
    if not value:
        return default
    if not value.isascii() or not value.isdigit():
        raise ValueError(f"{name} must be a whole number")
    return int(value)


def _percent(name: str, default: int) -> int:
    value = _whole_number(name, default)
    if value > 100:
        raise ValueError(f"{name} must be a whole number from 0 to 100")
    return value


def _one_of(name: str, choices: tuple[str, ...]) -> str:
    value = os.environ.get(name) or choices[0]
    if value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(choices)}")
    return value


def _tile_url(value: str) -> str:
    parts = urlsplit(value)
    if value and not (parts.scheme in ("https", "http") and parts.netloc and all(f"{{{key}}}" in value for key in "zxy")):
        raise ValueError("MINSHENG_MAP_TILE_URL must be an http(s) URL with {z}, {x} and {y} in it, or empty")
    return value


def _origins(name: str) -> tuple[str, ...]:
    """Comma-separated origins, each exactly as a browser's Origin header gives it."""
    origins = tuple(each.strip().rstrip("/") for each in os.environ.get(name, "").split(",") if each.strip())
    for origin in origins:
        parts = urlsplit(origin)
        if parts.scheme not in ("https", "http") or not parts.netloc or parts.path or parts.query or origin != origin.lower():
            raise ValueError(f"{name}: {origin!r} is not an origin like https://minsheng.example.org (scheme and host, lower case)")
    return origins


def _networks(name: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    """Comma-separated addresses or networks in CIDR notation (``127.0.0.1, 10.0.0.0/8``)."""
    networks = []
    for each in (part.strip() for part in os.environ.get(name, "").split(",")):
        if each:
            try:
                networks.append(ipaddress.ip_network(each, strict=False))
            except ValueError:
                raise ValueError(f"{name}: {each!r} is not an address or a network like 10.0.0.0/8") from None
    return tuple(networks)


def _time_zone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"MINSHENG_TIME_ZONE {name!r} is not a known time zone (e.g. Asia/Shanghai)") from None
    return name

