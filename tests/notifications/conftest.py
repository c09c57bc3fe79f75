"""The channels' other sides, started once per run on 127.0.0.1, and the settings that point
the app at them (``channels``)."""

from __future__ import annotations

import pytest

from backend.settings import get_settings
from tests.notifications.servers import PushService, SmsGateway, SmtpServer


@pytest.fixture(scope="session")
def servers():
    smtp, sms, push = SmtpServer().start(), SmsGateway().start(), PushService().start()
    yield smtp, sms, push
    for server in (smtp, sms, push):
        server.stop()


def channel_settings(smtp: SmtpServer, sms: SmsGateway) -> dict[str, str]:
    return {
        "MINSHENG_SMTP_HOST": "127.0.0.1",
        "MINSHENG_SMTP_PORT": str(smtp.port),
        "MINSHENG_SMTP_SECURITY": "none",
        "MINSHENG_MAIL_FROM": "Minsheng <news@minsheng.test>",
        "MINSHENG_SMS_URL": f"{sms.url}/sms",
        "MINSHENG_SMS_KEY_ID": SmsGateway.KEY_ID,
        "MINSHENG_SMS_KEY_SECRET": SmsGateway.KEY_SECRET,
        "MINSHENG_SMS_SIGNATURE": "民生",
        "MINSHENG_SMS_TEMPLATE": "SMS_0001",
    }


@pytest.fixture
def channels(servers, monkeypatch):
    """Every channel on, pointed at this run's servers, each of which starts empty."""
    smtp, sms, push = servers
    smtp.raw.clear(), smtp.refuse.clear()
    sms.messages.clear(), sms.failures.clear()
    push.received.clear(), push.refused.clear(), push.expired.clear()
    for name, value in channel_settings(smtp, sms).items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    yield smtp, sms, push
    monkeypatch.undo()
    get_settings.cache_clear()
