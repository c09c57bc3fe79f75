"""Pages of the notifications: the filer's subscriptions (reached by the private follow link),
the links in the messages (confirm an email address, unsubscribe), and the admins' page of
failures and channel health. Thin adapters over ``subscriptions`` and ``log``."""

from __future__ import annotations

from urllib.parse import urlencode

from litestar import Controller, Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Response, Template

from backend import clock
from backend.accounts.guards import admits, current, role_guard
from backend.cases.services import public_case_id
from backend.departments.services import all_categories, area_tree
from backend.errors import NotFound
from backend.i18n_markers import N_
from backend.notifications import alerts, log, preferences, subscriptions, wordings
from backend.notifications.channels import EMAIL, PUSH, SMS, vapid_public_key, why_off
from backend.notifications.log import delivery_labels
from backend.notifications.notices import Notice, staff_notices_of
from backend.notifications.subscriptions import SubscriptionError
from backend.settings import get_settings
from backend.vocabulary import StaffRole
from backend.web import i18n
from backend.web.forms import form_text
from backend.web.csrf import ANY_SITE
from backend.web.errors import status_of
from backend.web.params import CaseNumber, RowId
from backend.web.security import ADDRESS_LIMIT

# Pages of one person's case: never cached by others, never indexed, the link never passed on.
PRIVATE = {"cache-control": "no-store", "x-robots-tag": "noindex, nofollow", "referrer-policy": "no-referrer"}
ADDED = {EMAIL: N_("We sent you an email. Follow the link in it to start receiving news of your case."),
         SMS: N_("You will receive text messages about your case."),
         PUSH: N_("This device will show news of your case.")}
REMOVED = N_("You will no longer receive these messages.")
FOLLOWING = {EMAIL: N_("We sent you an email. Follow the link in it to hear when this case is answered and closed."),
             PUSH: N_("This device will show when this case is answered and closed.")}
OFF = N_("This way of sending news is not available.")
DEVICE_ADDED = N_("This device will show the news of your work.")
STAFF_ADDED = {EMAIL: N_("We sent you an email. Follow the link in it to start receiving the news of your work there."),
               SMS: N_("You will receive the news of your work by text message.")}
CHOICES_SAVED = N_("Your choices are saved.")
WORDINGS_SAVED = N_("The wording is saved. Messages written from now on use it.")
BAD_LINK = N_("This link is not valid. Use the newest message you received, or manage your notifications on the page of your case.")


async def _page(
    token: str, *, typed: dict | None = None, errors: dict | None = None, done: str = "", status_code: int = 200
) -> Template:
    try:
        current = await subscriptions.of_follow_token(token)
    except NotFound:
        raise NotFoundException() from None
    settings = get_settings()
    return Template(
        template_name="notifications.html",
        context={
            "token": token,
            "subscriptions": current,
            "email_on": why_off(EMAIL, settings) is None,
            "sms_on": why_off(SMS, settings) is None,
            "push_key": vapid_public_key(settings),
            "typed": typed or {},
            "errors": {field: i18n.gettext(message) for field, message in (errors or {}).items()},
            "done": i18n.gettext(done) if done else "",
            **delivery_labels(),
        },
        status_code=status_code,
        headers=PRIVATE,
    )


async def _push_subscription(request: Request, add, added: str) -> Response:
    """From push.js: the browser's subscription as JSON (the CSRF token in its header), given to
    ``add(body, language)``; the answer is a message for the page to show."""
    body = (await request.body())[:4000].decode("utf-8", "replace")
    try:
        await add(body, i18n.current_language())
    except SubscriptionError as error:
        return Response({"message": i18n.gettext(error.errors["push"])}, status_code=422)
    except NotFound:
        raise NotFoundException() from None
    return Response({"message": i18n.gettext(added)}, status_code=201)


class SubscriptionController(Controller):
    """The filer's notifications, under their private follow link."""

    path = "/follow/{token:str}/notifications"
    include_in_schema = False

    @get("/")
    async def page(self, token: FromPath[str], added: FromQuery[str] = "", removed: FromQuery[bool] = False) -> Template:
        return await _page(token, done=ADDED.get(added, REMOVED if removed else ""))

    async def _subscribe(self, token: FromPath[str], channel: str, typed: dict, subscribe) -> Response:
        if why_off(channel, get_settings()) is not None:
            return await _page(token, typed=typed, errors={channel: OFF}, status_code=409)
        try:
            await subscribe()
        except SubscriptionError as error:
            return await _page(token, typed=typed, errors=error.errors, status_code=422)
        except NotFound:
            raise NotFoundException() from None
        return Redirect(f"/follow/{token}/notifications?added={channel}", status_code=303)

    @post("/email", opt={ADDRESS_LIMIT: "subscribe"})
    async def email(self, request: Request, token: FromPath[str]) -> Response:
        form = await request.form()
        typed = {"email": form_text(form, "email")[:300]}
        language = i18n.current_language()
        return await self._subscribe(token, EMAIL, typed, lambda: subscriptions.subscribe_email(token, typed["email"], language))

    @post("/sms", opt={ADDRESS_LIMIT: "subscribe"})
    async def sms(self, request: Request, token: FromPath[str]) -> Response:
        form = await request.form()
        typed = {"phone": form_text(form, "phone")[:40], "consent": form_text(form, "consent") == "yes"}
        language = i18n.current_language()
        return await self._subscribe(
            token, SMS, typed, lambda: subscriptions.subscribe_sms(token, typed["phone"], typed["consent"], language)
        )

    @post("/push", opt={ADDRESS_LIMIT: "subscribe"}, status_code=201)
    async def push(self, request: Request, token: FromPath[str]) -> Response:
        return await _push_subscription(request, lambda body, language: subscriptions.subscribe_push(token, body, language), ADDED[PUSH])

    @post("/{subscription_id:str}/remove")
    async def remove(self, token: FromPath[str], subscription_id: RowId) -> Response:
        try:
            await subscriptions.end_for_case(token, subscription_id)
        except NotFound:
            raise NotFoundException() from None
        return Redirect(f"/follow/{token}/notifications?removed=1", status_code=303)


async def _follower_page(number: str, *, typed: dict | None = None, errors: dict | None = None, done: str = "", status_code: int = 200) -> Template:
    if await public_case_id(number) is None:
        raise NotFoundException()
    settings = get_settings()
    return Template(
        template_name="case_notifications.html",
        context={
            "number": number,
            "email_on": why_off(EMAIL, settings) is None,
            "push_key": vapid_public_key(settings),
            "typed": typed or {},
            "errors": {field: i18n.gettext(message) for field, message in (errors or {}).items()},
            "done": i18n.gettext(done) if done else "",
        },
        status_code=status_code,
        headers=PRIVATE,
    )


class FollowerController(Controller):
    """Following a public case (a supporter, a neighbour): its answer and its closing, by email
    or on this device. Nothing here lists who follows it."""

    path = "/cases/{number:str}/notifications"
    include_in_schema = False

    @get("/")
    async def page(self, number: CaseNumber, added: FromQuery[str] = "") -> Template:
        return await _follower_page(number, done=FOLLOWING.get(added, ""))

    @post("/email", opt={ADDRESS_LIMIT: "subscribe"})
    async def email(self, request: Request, number: CaseNumber) -> Response:
        typed = {"email": form_text(await request.form(), "email")[:300]}
        if why_off(EMAIL, get_settings()) is not None:
            return await _follower_page(number, typed=typed, errors={EMAIL: OFF}, status_code=409)
        try:
            await subscriptions.follow_by_email(number, typed["email"], i18n.current_language())
        except SubscriptionError as error:
            return await _follower_page(number, typed=typed, errors=error.errors, status_code=422)
        except NotFound:
            raise NotFoundException() from None
        return Redirect(f"/cases/{number}/notifications?added={EMAIL}", status_code=303)

    @post("/push", opt={ADDRESS_LIMIT: "subscribe"}, status_code=201)
    async def push(self, request: Request, number: CaseNumber) -> Response:
        return await _push_subscription(
            request, lambda body, language: subscriptions.follow_by_push(number, body, language), FOLLOWING[PUSH]
        )


class MessageLinkController(Controller):
    """The links in the messages: they work without any session."""

    path = "/notifications"
    include_in_schema = False

    @get("/verify/{signed:str}")
    async def verify(self, signed: FromPath[str]) -> Template:
        if not await subscriptions.verify_email(signed):
            return _link_page(BAD_LINK, 404)
        return _link_page(N_("Thank you: your email address is confirmed. You will receive news of your case."))

    @get("/staff-verify/{signed:str}")
    async def verify_staff(self, signed: FromPath[str]) -> Template:
        if not await subscriptions.verify_staff_email(signed):
            return _link_page(BAD_LINK, 404)
        return _link_page(N_("Thank you: your email address is confirmed. You will receive the news of your work there."))

    @get("/unsubscribe/{signed:str}")
    async def unsubscribe_form(self, signed: FromPath[str]) -> Template:
        """A page with the button: a GET never unsubscribes (mail scanners follow links)."""
        if subscriptions.verified_id("unsubscribe", signed) is None:
            return _link_page(BAD_LINK, 404)
        return _stop_form(f"/notifications/unsubscribe/{signed}")

    @get("/staff-unsubscribe/{signed:str}")
    async def staff_unsubscribe_form(self, signed: FromPath[str]) -> Template:
        if subscriptions.verified_id(subscriptions.STAFF_UNSUBSCRIBE_PURPOSE, signed) is None:
            return _link_page(BAD_LINK, 404)
        return _stop_form(f"/notifications/staff-unsubscribe/{signed}")

    # One-click too: a staff member's mail client, or a staff member whose session expired.
    @post("/staff-unsubscribe/{signed:str}", opt={ANY_SITE: True}, status_code=200)
    async def staff_unsubscribe(self, signed: FromPath[str]) -> Template:
        if not await subscriptions.unsubscribe_staff(signed):
            return _link_page(BAD_LINK, 404)
        return _link_page(REMOVED)

    # RFC 8058 one-click: the mail client POSTs, from wherever it runs, with no cookie; the signed
    # link is what authorises it, and all it can do is stop messages, so any site may send it.
    @post("/unsubscribe/{signed:str}", opt={ANY_SITE: True}, status_code=200)
    async def unsubscribe(self, signed: FromPath[str]) -> Template:
        if not await subscriptions.unsubscribe(signed):
            return _link_page(BAD_LINK, 404)
        return _link_page(REMOVED)


def _stop_form(action: str) -> Template:
    return Template(template_name="unsubscribe.html", context={"action": action, "done": ""}, headers=PRIVATE)


def _link_page(message: str, status_code: int = 200) -> Template:
    return Template(
        template_name="unsubscribe.html", context={"done": i18n.gettext(message)}, status_code=status_code, headers=PRIVATE
    )


async def _staff_page(
    request: Request, *, done: str = "", typed: dict | None = None, errors: dict | None = None, status_code: int = 200
) -> Template:
    account = current(request).account
    chosen = await preferences.choices_of_account(account.id)
    offered = staff_notices_of(StaffRole(account.role))
    settings = get_settings()
    return Template(
        template_name="account_notifications.html",
        context={
            "devices": await subscriptions.staff_devices(account.id),
            "push_key": vapid_public_key(settings),
            # A channel without its settings is shown off, with the reason.
            "email_off": why_off(EMAIL, settings),
            "sms_off": why_off(SMS, settings),
            "done": i18n.gettext(done) if done else "",
            "offered": offered,
            # What was typed, if it could not be kept; else what is kept.
            "typed": {
                "heard": [notice.value for notice in offered if notice not in chosen.muted],
                "quiet_from": chosen.quiet_from.strftime("%H:%M") if chosen.quiet_from else "",
                "quiet_until": chosen.quiet_until.strftime("%H:%M") if chosen.quiet_until else "",
                **(typed or {}),
            },
            "errors": {field: i18n.gettext(message) for field, message in (errors or {}).items()},
            "time_zone": settings.time_zone,
            **delivery_labels(),
        },
        status_code=status_code,
        headers={"cache-control": "no-store"},
    )


class StaffDeviceController(Controller):
    """Where a staff member hears of their work (this device, an email address, a phone
    number), which news, and their quiet hours."""

    path = "/account/notifications"
    guards = [role_guard]
    opt = admits(StaffRole.handler, StaffRole.moderator, StaffRole.leader, StaffRole.representative)
    include_in_schema = False

    @get("/")
    async def page(
        self, request: Request, removed: FromQuery[bool] = False, saved: FromQuery[bool] = False, added: FromQuery[str] = ""
    ) -> Template:
        return await _staff_page(request, done=REMOVED if removed else CHOICES_SAVED if saved else STAFF_ADDED.get(added, ""))

    @post("/choices", status_code=303)
    async def choose(self, request: Request) -> Response:
        form = await request.form()
        typed = {
            "heard": [value for value in form.getall("heard", []) if isinstance(value, str)],
            "quiet_from": form_text(form, "quiet_from"),
            "quiet_until": form_text(form, "quiet_until"),
        }
        account = current(request).account
        try:
            await preferences.save(account.id, StaffRole(account.role), typed["heard"], typed["quiet_from"], typed["quiet_until"])
        except preferences.ChoiceError as error:
            return await _staff_page(request, typed=typed, errors=error.errors, status_code=status_of(error))
        return Redirect("/account/notifications?saved=1", status_code=303)

    async def _add(self, request: Request, channel: str, typed: dict, add) -> Response:
        if why_off(channel, get_settings()) is not None:
            return await _staff_page(request, typed=typed, errors={channel: OFF}, status_code=409)
        try:
            await add()
        except SubscriptionError as error:
            return await _staff_page(request, typed=typed, errors=error.errors, status_code=status_of(error))
        return Redirect(f"/account/notifications?added={channel}", status_code=303)

    @post("/email", opt={ADDRESS_LIMIT: "subscribe"})
    async def email(self, request: Request) -> Response:
        typed = {"email": form_text(await request.form(), "email")[:300]}
        account_id, language = current(request).account.id, i18n.current_language()
        return await self._add(request, EMAIL, typed, lambda: subscriptions.add_staff_email(account_id, typed["email"], language))

    @post("/sms", opt={ADDRESS_LIMIT: "subscribe"})
    async def sms(self, request: Request) -> Response:
        form = await request.form()
        typed = {"phone": form_text(form, "phone")[:40], "consent": form_text(form, "consent") == "yes"}
        account_id, language = current(request).account.id, i18n.current_language()
        return await self._add(
            request, SMS, typed, lambda: subscriptions.add_staff_phone(account_id, typed["phone"], typed["consent"], language)
        )

    @post("/push", status_code=201)
    async def push(self, request: Request) -> Response:
        account_id = current(request).account.id
        return await _push_subscription(request, lambda body, language: subscriptions.add_staff_device(account_id, body, language), DEVICE_ADDED)

    @post("/{device_id:str}/remove")
    async def remove(self, request: Request, device_id: RowId) -> Response:
        await subscriptions.remove_staff_device(current(request).account.id, device_id)
        return Redirect("/account/notifications?removed=1", status_code=303)


class NotificationAdminController(Controller):
    path = "/admin/notifications"
    guards = [role_guard]
    opt = admits(StaffRole.admin)
    include_in_schema = False

    @get("/")
    async def page(self) -> Template:
        settings = get_settings()
        return Template(
            template_name="admin/notifications.html",
            context={"channels": await log.health(settings, clock.now()), "failures": await log.failures(), **delivery_labels()},
            headers={"cache-control": "no-store"},
        )


class NoticeWordingController(Controller):
    """The admins' wordings of the notices (``wordings``): each notice's line on each of its
    channels, in each language, in place of the default."""

    path = "/admin/notifications/wordings"
    guards = [role_guard]
    opt = admits(StaffRole.admin)
    include_in_schema = False

    @get("/")
    async def list_notices(self) -> Template:
        edited = await wordings.in_force()
        return Template(
            template_name="admin/notice_wordings.html",
            context={
                "notices": list(Notice),
                "edited": {notice for notice, _, _ in edited.edited},
                **delivery_labels(),
            },
            headers={"cache-control": "no-store"},
        )

    @get("/{notice:str}")
    async def notice_page(self, notice: FromPath[str], saved: FromQuery[bool] = False) -> Template:
        return await _wording_page(_notice(notice), done=WORDINGS_SAVED if saved else "")

    @post("/{notice:str}", status_code=303)
    async def save(self, request: Request, notice: FromPath[str]) -> Response:
        which = _notice(notice)
        form = await request.form()
        typed = {(channel, language): form_text(form, f"{channel}:{language}")[:2000]
                 for channel in wordings.channels_of(which) for language in i18n.LANGUAGES}
        try:
            await wordings.save(which, typed, current(request).account.name)
        except wordings.WordingError as error:
            return await _wording_page(which, typed=typed, errors=error.errors, status_code=status_of(error))
        return Redirect(f"/admin/notifications/wordings/{which.value}?saved=1", status_code=303)


def _notice(value: str) -> Notice:
    try:
        return Notice(value)
    except ValueError:
        raise NotFoundException() from None


async def _wording_page(
    notice: Notice, *, typed: dict | None = None, errors: dict | None = None, done: str = "", status_code: int = 200
) -> Template:
    edited = await wordings.in_force()
    fields = [
        {
            "name": f"{channel}:{language}",
            "channel": channel,
            "language": language,
            "default": wordings.default_wording(notice, language),
            "value": (typed or {}).get((channel, language))
            if typed is not None
            else edited.of(notice, channel, language) or wordings.default_wording(notice, language),
        }
        for channel in wordings.channels_of(notice)
        for language in i18n.LANGUAGES
    ]
    return Template(
        template_name="admin/notice_wording.html",
        context={
            "notice": notice,
            "fields": fields,
            "languages": i18n.LANGUAGES,
            "errors": {field: i18n.gettext(message) for field, message in (errors or {}).items()},
            "done": i18n.gettext(done) if done else "",
            **delivery_labels(),
        },
        status_code=status_code,
        headers={"cache-control": "no-store"},
    )


# --- anyone's alerts of new public cases in an area or a category (``alerts``) ----------------

ALERT_ADDED = {EMAIL: N_("We sent you an email. Follow the link in it to start receiving the daily list of new cases."),
               PUSH: N_("This device will show the daily list of new cases.")}


async def _alert_page(
    topic: alerts.Topic, *, typed: dict | None = None, errors: dict | None = None, done: str = "", status_code: int = 200
) -> Template:
    settings = get_settings()
    return Template(
        template_name="alerts.html",
        context={
            "topic": topic,
            # What people may choose from: no inactive area or category.
            "districts": await area_tree(active_only=True),
            "categories": await all_categories(active_only=True),
            "email_on": why_off(EMAIL, settings) is None,
            "push_key": vapid_public_key(settings),
            "push_action": "/alerts/push?" + urlencode({"area": topic.area, "category": topic.category}),
            "typed": typed or {},
            "errors": {field: i18n.gettext(message) for field, message in (errors or {}).items()},
            "done": i18n.gettext(done) if done else "",
            "cap": alerts.DIGEST_CAP,
        },
        status_code=status_code,
        headers=PRIVATE,
    )


def _topic(area: str, category: str) -> alerts.Topic:
    return alerts.Topic(area[:100].strip(), category[:100].strip())


class AlertController(Controller):
    """Alerts of new public cases for anyone: the form (for the filters of ``/cases``), and the
    links in their messages, which work without any session."""

    path = "/alerts"
    include_in_schema = False

    @get("/")
    async def page(self, area: FromQuery[str] = "", category: FromQuery[str] = "", added: FromQuery[str] = "") -> Template:
        topic = _topic(area, category)
        try:
            if topic.area or topic.category:
                await alerts.topic_ids(topic)
        except SubscriptionError as error:
            return await _alert_page(topic, errors=error.errors, status_code=status_of(error))
        return await _alert_page(topic, done=ALERT_ADDED.get(added, ""))

    @post("/email", opt={ADDRESS_LIMIT: "subscribe"})
    async def email(self, request: Request) -> Response:
        form = await request.form()
        topic = _topic(form_text(form, "area"), form_text(form, "category"))
        typed = {"email": form_text(form, "email")[:300]}
        if why_off(EMAIL, get_settings()) is not None:
            return await _alert_page(topic, typed=typed, errors={EMAIL: OFF}, status_code=409)
        try:
            await alerts.subscribe_email(topic, typed["email"], i18n.current_language())
        except SubscriptionError as error:
            return await _alert_page(topic, typed=typed, errors=error.errors, status_code=status_of(error))
        return Redirect(f"/alerts?{urlencode({'area': topic.area, 'category': topic.category, 'added': EMAIL})}", status_code=303)

    @post("/push", opt={ADDRESS_LIMIT: "subscribe"}, status_code=201)
    async def push(self, request: Request, area: FromQuery[str] = "", category: FromQuery[str] = "") -> Response:
        topic = _topic(area, category)
        body = (await request.body())[:4000].decode("utf-8", "replace")
        try:
            await alerts.subscribe_push(topic, body, i18n.current_language())
        except SubscriptionError as error:
            return Response({"message": i18n.gettext(next(iter(error.errors.values())))}, status_code=status_of(error))
        return Response({"message": i18n.gettext(ALERT_ADDED[PUSH])}, status_code=201)

    @get("/verify/{signed:str}")
    async def verify(self, signed: FromPath[str]) -> Template:
        if not await alerts.verify(signed):
            return _alert_link_page(done=BAD_LINK, status_code=404)
        return _alert_link_page(done=N_("Thank you: your email address is confirmed. You will receive a daily list of new cases."))

    @get("/unsubscribe/{signed:str}")
    async def unsubscribe_form(self, signed: FromPath[str]) -> Template:
        """The alert and a button to stop it: a GET never unsubscribes (mail scanners follow links)."""
        alert = await alerts.of_link(signed)
        if alert is None:  # a bad link, or an alert that has ended already
            if subscriptions.verified_id(alerts.UNSUBSCRIBE_PURPOSE, signed) is None:
                return _alert_link_page(done=BAD_LINK, status_code=404)
            return _alert_link_page(done=REMOVED)
        return _alert_link_page(alert=alert, signed=signed)

    # RFC 8058 one-click, as for the cases' messages: the signed link authorises it.
    @post("/unsubscribe/{signed:str}", opt={ANY_SITE: True}, status_code=200)
    async def unsubscribe(self, signed: FromPath[str]) -> Template:
        if not await alerts.unsubscribe(signed):
            return _alert_link_page(done=BAD_LINK, status_code=404)
        return _alert_link_page(done=REMOVED)


def _alert_link_page(*, done: str = "", alert: alerts.AlertView | None = None, signed: str = "", status_code: int = 200) -> Template:
    return Template(
        template_name="alert_link.html",
        context={"done": i18n.gettext(done) if done else "", "alert": alert, "signed": signed},
        status_code=status_code,
        headers=PRIVATE,
    )
