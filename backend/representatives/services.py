"""The representatives' suggestion channel, without HTTP: drafts, co-signing, submission,
PDF attachments, the lead representative's two-scale rating, their figures, and the public
record of suggestions.

A suggestion is a case of type ``representative``, so once submitted it runs through the same
workflow, clocks, moderation of the department's answer and live timeline as every case. As a
draft it is a case in status ``draft`` with a placeholder number that nothing public resolves:
it is in no queue and on no public page until its lead representative submits it.
"""

from __future__ import annotations

import io
import secrets
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import anyio
from pypdf import PdfReader

from backend import clock, events
from backend.vocabulary import PUBLIC_STATUSES, CaseType, Role, Satisfaction, StaffRole, Status
from backend.accounts.services import AccountView
from backend.accounts.tables import Account
from backend.cases import browse, services, workflow
from backend.cases.actions import INPUTS
from backend.cases.filing import DESCRIPTION_MAX, PHOTO_KEY_PATTERN, TITLE_MAX
from backend.cases.lifecycle import TRANSITIONS, refusal, suggestion_rating_action
from backend.cases.services import Actor, CasePage, CaseView, append_entry
from backend.cases.tables import Case, CoHandler, Rating
from backend.db import lock_row, write_transaction
from backend.departments.services import AREA_UNAVAILABLE, get_active_category, is_active_area
from backend.errors import FieldErrors, Forbidden, InvalidInput, NotFound, WrongState
from backend.events import CoSignInvited
from backend.i18n_markers import N_
from backend.photos import services as photos
from backend.photos.storage import media_store
from backend.photos.services import MAX_PHOTOS_PER_CASE
from backend.representatives.tables import Attachment, CoSigner, Suggestion
from backend.text import clean_text, row_id

# A suggestion is long, structured text (案由, 建议内容…), as long as a case's description can be;
# longer material goes into its PDFs.
TEXT_MIN, TEXT_MAX = 20, DESCRIPTION_MAX
MAX_ATTACHMENTS = 5
MAX_PDF_BYTES = 10 * 1024 * 1024
FILENAME_MAX = 120
COMMENT_MAX = 1000
DRAFT_PREFIX = "D"  # drafts' placeholder numbers: never of the public number's form
NOT_FOUND = N_("There is no such suggestion.")


class SuggestionError(FieldErrors):
    """The suggestion form has errors."""


class AttachmentRejected(InvalidInput):
    """A file that is no PDF one may attach."""


@dataclass
class SuggestionForm:
    """What the representative typed, as text until valid."""

    title: str = ""
    text: str = ""
    category_id: str = ""
    area_id: str = ""
    publication: str = ""  # "public" or "private"
    photo_keys: list[str] = field(default_factory=list)


def _representative(account: AccountView) -> None:
    if account.role != StaffRole.representative or not account.body:
        raise Forbidden(N_("Only representatives file and co-sign suggestions."))


async def validate(form: SuggestionForm) -> dict:
    errors: dict[str, str] = {}
    title, text = clean_text(form.title), clean_text(form.text, multiline=True)
    if not 4 <= len(title) <= TITLE_MAX:
        errors["title"] = N_("Give a short title (4 to 80 characters).")
    if not TEXT_MIN <= len(text) <= TEXT_MAX:
        errors["text"] = N_("Write the suggestion in 20 to 5,000 characters; attach longer material as PDFs.")
    category_id = row_id(clean_text(form.category_id)) or 0
    if not category_id or await get_active_category(category_id) is None:
        errors["category_id"] = N_("Choose a category.")
    area_id = row_id(clean_text(form.area_id)) if form.area_id else None
    if form.area_id and (area_id is None or not await is_active_area(area_id)):
        errors["area_id"] = AREA_UNAVAILABLE
    if form.publication not in ("public", "private"):
        errors["publication"] = N_("Choose whether the suggestion may be published.")
    keys = list(dict.fromkeys(form.photo_keys))
    if len(keys) > MAX_PHOTOS_PER_CASE:
        errors["photos"] = N_("Add at most 6 photos.")
    elif any(not PHOTO_KEY_PATTERN.match(key) for key in keys) or len(await photos.unattached_photos(keys)) != len(keys):
        errors["photos"] = N_("A photo could not be found. Please add it again.")
    if errors:
        raise SuggestionError(errors)
    return {
        "title": title,
        "description": text,
        "category": category_id,
        "area": area_id,
        "publication_consent": form.publication == "public",
        "photo_keys": keys,
    }


async def create_draft(form: SuggestionForm, lead: AccountView) -> int:
    """A new draft of ``lead``'s; returns its id. Raises SuggestionError or a Refusal."""
    _representative(lead)
    valid = await validate(form)
    photo_keys = valid.pop("photo_keys")
    now = clock.now()
    async with write_transaction():
        case = Case(
            number=DRAFT_PREFIX + secrets.token_hex(9),
            case_type=CaseType.representative.value,
            address="",
            # Representatives act in office: the name is public anyway, and there is no phone to keep.
            filer_name=lead.name[:50],
            filer_phone="",
            status=Status.draft.value,
            source="web",
            # Nobody follows a suggestion by link: its representatives follow it signed in.
            follow_token_hash=secrets.token_hex(32),
            created_at=now,
            updated_at=now,
            **valid,
        )
        await case.save()
        await Suggestion.insert(Suggestion(case=case.id, lead=lead.id, body=lead.body))
        if await photos.attach_to_case(photo_keys, case.id) != len(photo_keys):
            raise SuggestionError({"photos": N_("A photo could not be found. Please add it again.")})
    return case.id


@dataclass(frozen=True)
class Signer:
    account_id: int
    name: str
    body: str
    level: str
    constituency: str
    signed_at: datetime | None = None


@dataclass(frozen=True)
class AttachmentView:
    key: str
    filename: str
    size: int

    @property
    def url(self) -> str:
        return f"/representatives/attachments/{self.key}"


@dataclass(frozen=True)
class SuggestionFacts:
    """What a suggestion adds to its case: who files it, who co-signs it, its PDFs."""

    suggestion_id: int
    case_id: int
    lead: Signer
    co_signers: list[Signer]  # invited; ``signed_at`` once they co-signed
    attachments: list[AttachmentView]
    co_handler_names: list[tuple[str, str]]  # co-handling departments (协办): name, English name
    submitted_at: datetime | None

    @property
    def signed(self) -> list[Signer]:
        return [signer for signer in self.co_signers if signer.signed_at]

    def is_lead(self, account_id: int) -> bool:
        return self.lead.account_id == account_id

    def invited(self, account_id: int) -> Signer | None:
        return next((signer for signer in self.co_signers if signer.account_id == account_id), None)


_SIGNER = (Account.id.as_alias("account_id"), Account.name, Account.body, Account.level, Account.constituency)


async def facts_of(case_ids: list[int]) -> dict[int, SuggestionFacts]:
    """The suggestion facts of those of these cases that are suggestions, in four queries however many."""
    if not case_ids:
        return {}
    rows = await Suggestion.select(
        Suggestion.id,
        Suggestion.case,
        Suggestion.submitted_at,
        Suggestion.lead.as_alias("lead_id"),
        Suggestion.lead.name.as_alias("lead_name"),
        Suggestion.lead.body.as_alias("lead_body"),
        Suggestion.lead.level.as_alias("lead_level"),
        Suggestion.lead.constituency.as_alias("lead_constituency"),
    ).where(Suggestion.case.is_in(case_ids))
    ids = [row["id"] for row in rows]
    signers: dict[int, list[Signer]] = {}
    attachments: dict[int, list[AttachmentView]] = {}
    co_handlers: dict[int, list[tuple[str, str]]] = {}
    if ids:
        for row in await CoSigner.select(
            CoSigner.suggestion,
            CoSigner.account.as_alias("account_id"),
            CoSigner.account.name.as_alias("name"),
            CoSigner.account.body.as_alias("body"),
            CoSigner.account.level.as_alias("level"),
            CoSigner.account.constituency.as_alias("constituency"),
            CoSigner.signed_at,
        ).where(CoSigner.suggestion.is_in(ids)).order_by(CoSigner.id):
            signers.setdefault(row.pop("suggestion"), []).append(Signer(**row))
        for row in await Attachment.select(Attachment.suggestion, Attachment.key, Attachment.filename, Attachment.size).where(
            Attachment.suggestion.is_in(ids)
        ).order_by(Attachment.id):
            attachments.setdefault(row.pop("suggestion"), []).append(AttachmentView(**row))
        for row in await CoHandler.select(
            CoHandler.case, CoHandler.department.name.as_alias("name"), CoHandler.department.name_en.as_alias("name_en")
        ).where(CoHandler.case.is_in(case_ids)).order_by(CoHandler.id):
            co_handlers.setdefault(row["case"], []).append((row["name"], row["name_en"]))
    return {
        row["case"]: SuggestionFacts(
            suggestion_id=row["id"],
            case_id=row["case"],
            lead=Signer(row["lead_id"], row["lead_name"], row["lead_body"], row["lead_level"], row["lead_constituency"]),
            co_signers=signers.get(row["id"], []),
            attachments=attachments.get(row["id"], []),
            co_handler_names=co_handlers.get(row["case"], []),
            submitted_at=row["submitted_at"],
        )
        for row in rows
    }


async def _facts(case_id: int) -> SuggestionFacts | None:
    return (await facts_of([case_id])).get(case_id)


@dataclass(frozen=True)
class Draft:
    view: CaseView  # no timeline yet: a draft has none
    facts: SuggestionFacts


async def draft_for(case_id: int, account: AccountView) -> Draft | None:
    """A draft as its lead or an invited representative sees it; None for anyone else."""
    draft = await Case.exists().where(Case.id == case_id, Case.status == Status.draft.value)
    facts = await _facts(case_id) if draft else None
    if facts is None or not (facts.is_lead(account.id) or facts.invited(account.id)):
        return None
    return Draft(await services.live_case(case_id, for_filer=True), facts)


async def _locked_draft(case_id: int, account: AccountView) -> SuggestionFacts:
    """Inside a transaction: the draft's row locked, so submitting and co-signing take turns."""
    await lock_row(Case, case_id)
    case = await Case.select(Case.status).where(Case.id == case_id).first()
    facts = await _facts(case_id) if case else None
    if facts is None or not (facts.is_lead(account.id) or facts.invited(account.id)):
        raise NotFound(NOT_FOUND)
    if case["status"] != Status.draft.value:
        raise WrongState(N_("This suggestion has been submitted already."))
    return facts


async def co_signer_choices(case_id: int, lead: AccountView) -> list[Signer]:
    """Active representatives the lead may still invite to co-sign."""
    facts = await _facts(case_id)
    taken = {lead.id, *(signer.account_id for signer in facts.co_signers)} if facts else {lead.id}
    rows = await Account.select(*_SIGNER).where(
        Account.role == StaffRole.representative.value, Account.active.eq(True)
    ).order_by(Account.name)
    return [Signer(**row) for row in rows if row["account_id"] not in taken]


async def invite_co_signer(case_id: int, lead: AccountView, account_id: int | None) -> None:
    _representative(lead)
    async with write_transaction():
        facts = await _locked_draft(case_id, lead)
        if not facts.is_lead(lead.id):
            raise Forbidden(N_("Only the lead representative invites co-signers."))
        invitee = await Account.select(Account.id).where(
            Account.id == (account_id or 0), Account.role == StaffRole.representative.value, Account.active.eq(True)
        ).first()
        if invitee is None or invitee["id"] == lead.id:
            raise InvalidInput(N_("Choose a representative from the list."))
        if facts.invited(invitee["id"]):
            raise WrongState(N_("This representative is invited already."))
        await CoSigner.insert(CoSigner(suggestion=facts.suggestion_id, account=invitee["id"], invited_at=clock.now()))
        await events.emit(CoSignInvited(case_id, invitee["id"]))


async def co_sign(case_id: int, account: AccountView) -> None:
    """An invited representative co-signs a draft: once, and only before it is submitted."""
    _representative(account)
    async with write_transaction():
        facts = await _locked_draft(case_id, account)
        invited = facts.invited(account.id)
        if invited is None:
            raise Forbidden(N_("Only representatives the lead invited co-sign a suggestion."))
        if invited.signed_at is not None:
            raise WrongState(N_("You have co-signed this suggestion already."))
        await CoSigner.update({CoSigner.signed_at: clock.now()}).where(
            CoSigner.suggestion == facts.suggestion_id, CoSigner.account == account.id
        )


async def submit(case_id: int, lead: AccountView, time_zone: str) -> str:
    """The lead submits the draft: it gets its number and goes to the moderators. Returns the number."""
    _representative(lead)
    now = clock.now()
    async with write_transaction():
        facts = await _locked_draft(case_id, lead)
        if not facts.is_lead(lead.id):
            raise Forbidden(N_("Only the lead representative submits the suggestion."))
        # From the draft (``_locked_draft`` checked it) to where the table's row says.
        if refused := refusal("submit", Role.representative, Status.draft, case_type=CaseType.representative.value):
            raise refused[0](refused[1])
        submission = TRANSITIONS["submit"]
        number = await services.next_case_number(now.astimezone(ZoneInfo(time_zone)).year)
        await Case.update(
            {Case.number: number, Case.status: submission.to_state.value, Case.created_at: now, Case.updated_at: now}
        ).where(Case.id == case_id)
        await Suggestion.update({Suggestion.submitted_at: now}).where(Suggestion.id == facts.suggestion_id)
        await append_entry(case_id, "submit", submission.to_state, actor_of(lead), submission.visibility, "", now)
    return number


def actor_of(account: AccountView) -> Actor:
    """A representative acts in office, by name."""
    return Actor(Role.representative, account.name, account_id=account.id)


def check_pdf(data: bytes) -> int:
    """The number of pages of a real PDF; raises AttachmentRejected for anything else."""
    if len(data) > MAX_PDF_BYTES:
        raise AttachmentRejected(N_("A PDF may be at most 10 MB."))
    # The header must come first: a browser sniffing an HTML file "with %PDF inside" must have nothing to find.
    if not data.startswith(b"%PDF-"):
        raise AttachmentRejected(N_("This file is not a PDF."))
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            raise AttachmentRejected(N_("Encrypted PDFs cannot be attached."))
        pages = len(reader.pages)
    except AttachmentRejected:
        raise
    except Exception:  # pypdf raises many kinds for broken files; every one means "not a PDF we take"
        raise AttachmentRejected(N_("This PDF could not be read.")) from None
    if pages < 1:
        raise AttachmentRejected(N_("This PDF could not be read."))
    return pages


def _filename(name: str) -> str:
    stem = clean_text(Path(name.replace("\\", "/")).name).replace('"', "")
    stem = stem[: FILENAME_MAX - 4] or "attachment"
    return stem if stem.lower().endswith(".pdf") else f"{stem}.pdf"


async def add_attachment(case_id: int, account: AccountView, filename: str, data: bytes) -> AttachmentView:
    """The lead attaches a PDF to a draft. Raises AttachmentRejected or a Refusal."""
    _representative(account)
    await anyio.to_thread.run_sync(check_pdf, data)
    sha256 = await anyio.to_thread.run_sync(media_store().put, data, ".pdf")
    async with write_transaction():
        facts = await _locked_draft(case_id, account)
        if not facts.is_lead(account.id):
            raise Forbidden(N_("Only the lead representative changes the draft."))
        if len(facts.attachments) >= MAX_ATTACHMENTS:
            raise AttachmentRejected(N_("Attach at most 5 PDFs."))
        view = AttachmentView(secrets.token_urlsafe(16), _filename(filename), len(data))
        await Attachment.insert(
            Attachment(suggestion=facts.suggestion_id, key=view.key, sha256=sha256, filename=view.filename, size=view.size, created_at=clock.now())
        )
    return view


STAFF = frozenset({StaffRole.admin, StaffRole.moderator, StaffRole.leader})


async def attachment_file(key: str, account: AccountView | None) -> tuple[str, str] | None:
    """The SHA-256 (its name in the media store) and file name of an attachment, for whoever may see it: everyone once the suggestion is
    public; its representatives; staff who see the case. None for anyone else (as if there were none)."""
    row = await Attachment.select(
        Attachment.sha256, Attachment.filename, Attachment.suggestion.case.as_alias("case_id"),
        Attachment.suggestion.case.published_at.as_alias("published_at"),
    ).where(Attachment.key == key).first()
    if row is None:
        return None
    if row["published_at"] is None and not await _sees_unpublished(row["case_id"], account):
        return None
    return row["sha256"], row["filename"]


async def _sees_unpublished(case_id: int, account: AccountView | None) -> bool:
    if account is None:
        return False
    if account.role in STAFF:
        return await services.staff_sees_case(case_id)  # a draft: not yet
    if account.role == StaffRole.handler:
        lead, co = await services.departments_of_case(case_id)
        return account.department_id is not None and account.department_id in (lead, *co)
    facts = await _facts(case_id)
    return facts is not None and (facts.is_lead(account.id) or facts.invited(account.id) is not None)


# The lead representative's rating of the answer.


@dataclass
class RatingForm:
    outcome: str = ""
    attitude: str = ""
    comment: str = ""


class RatingError(FieldErrors):
    pass


async def rate(number: str, account: AccountView, form: RatingForm) -> int:
    """Rate the published answer on two scales; not satisfied on either sends it back to the
    department. Raises RatingError or a Refusal."""
    _representative(account)
    errors: dict[str, str] = {}
    if form.outcome not in Satisfaction._value2member_map_:
        errors["outcome"] = N_("Rate the outcome of the answer.")
    if form.attitude not in Satisfaction._value2member_map_:
        errors["attitude"] = N_("Rate the department's attitude.")
    comment = clean_text(form.comment, multiline=True)
    if len(comment) > COMMENT_MAX:
        errors["comment"] = N_("The comment is too long (at most 1000 characters).")
    if errors:
        raise RatingError(errors)
    outcome, attitude = Satisfaction(form.outcome), Satisfaction(form.attitude)
    rating = INPUTS[suggestion_rating_action(outcome, attitude)](text=comment, outcome=outcome.value, attitude=attitude.value)
    return await workflow.perform(number, rating, actor_of(account))


# The channel: a representative's drafts, invitations, suggestions and figures.


@dataclass(frozen=True)
class SuggestionItem:
    case_id: int
    number: str
    title: str
    status: str
    created_at: datetime
    is_lead: bool
    signed_at: datetime | None = None  # an invitation: when they co-signed


@dataclass(frozen=True)
class Figures:
    filed: int  # submitted as the lead
    answered: int
    answered_on_time: int
    rated: int
    satisfied: int  # 满意 or 基本满意 on both scales

    @property
    def on_time_share(self) -> float | None:
        return self.answered_on_time / self.answered if self.answered else None

    @property
    def satisfaction_share(self) -> float | None:
        return self.satisfied / self.rated if self.rated else None


@dataclass(frozen=True)
class Channel:
    drafts: list[SuggestionItem]
    invitations: list[SuggestionItem]  # drafts of others they are invited to co-sign
    suggestions: list[SuggestionItem]  # submitted, led or co-signed
    figures: Figures


_ITEM_COLUMNS = [(Case.id, "case_id"), (Case.number, "number"), (Case.title, "title"), (Case.status, "status"), (Case.created_at, "created_at")]


async def pending_invitation_count(account_id: int) -> int:
    """Drafts this representative is invited to co-sign and has not co-signed yet."""
    return await CoSigner.count().where(
        (CoSigner.account == account_id)
        & CoSigner.signed_at.is_null()
        & (CoSigner.suggestion.case.status == Status.draft.value)
    )


async def channel(account: AccountView) -> Channel:
    led = await Suggestion.select(
        *(getattr(Suggestion.case, column._meta.name).as_alias(alias) for column, alias in _ITEM_COLUMNS),
        Suggestion.case.answered_at.as_alias("answered_at"),
        Suggestion.case.answer_due_at.as_alias("answer_due_at"),
    ).where(Suggestion.lead == account.id).order_by(Suggestion.id, ascending=False)
    invited = await CoSigner.select(
        *(getattr(CoSigner.suggestion.case, column._meta.name).as_alias(alias) for column, alias in _ITEM_COLUMNS),
        CoSigner.signed_at,
    ).where(CoSigner.account == account.id).order_by(CoSigner.id, ascending=False)
    drafts = [SuggestionItem(**_item(row), is_lead=True) for row in led if row["status"] == Status.draft.value]
    invitations = [SuggestionItem(**_item(row), is_lead=False, signed_at=row["signed_at"]) for row in invited if row["status"] == Status.draft.value]
    submitted = [row for row in led if row["status"] != Status.draft.value]
    suggestions = [SuggestionItem(**_item(row), is_lead=True) for row in submitted] + [
        SuggestionItem(**_item(row), is_lead=False, signed_at=row["signed_at"])
        for row in invited
        if row["status"] != Status.draft.value and row["signed_at"]
    ]
    suggestions.sort(key=lambda item: item.created_at, reverse=True)
    answered = [row for row in submitted if row["answered_at"]]
    ratings = await Rating.select(Rating.satisfaction).where(
        Rating.case.is_in([row["case_id"] for row in submitted] or [0]), Rating.outcome != ""
    )
    return Channel(
        drafts=drafts,
        invitations=invitations,
        suggestions=suggestions,
        figures=Figures(
            filed=len(submitted),
            answered=len(answered),
            answered_on_time=sum(1 for row in answered if row["answer_due_at"] and row["answered_at"] <= row["answer_due_at"]),
            rated=len(ratings),
            satisfied=sum(1 for row in ratings if row["satisfaction"] != Satisfaction.unsatisfied.value),
        ),
    )


def _item(row: dict) -> dict:
    return {alias: row[alias] for _, alias in _ITEM_COLUMNS}


# What the public and the suggestion's representatives see.


@dataclass(frozen=True)
class SuggestionPage:
    view: CaseView
    facts: SuggestionFacts


async def own_suggestion(number: str, account: AccountView | None) -> SuggestionPage | None:
    """A submitted suggestion as its lead or a co-signer sees it: also the entries meant for the
    filer (the department's meetings and calls, the ratings), and before it is public."""
    if account is None or account.role != StaffRole.representative:
        return None
    row = await Case.select(Case.id).where(services.with_number(number), Case.case_type == CaseType.representative.value).first()
    facts = await _facts(row["id"]) if row else None
    if facts is None or not (facts.is_lead(account.id) or (facts.invited(account.id) and facts.invited(account.id).signed_at)):
        return None
    view = await services.live_case(row["id"], for_filer=True)
    return SuggestionPage(view, facts) if view else None


async def public_suggestion(number: str) -> SuggestionPage | None:
    view = await services.public_case(number)
    if view is None or view.case_type != CaseType.representative.value:
        return None
    return SuggestionPage(view, await _facts(view.id))


@dataclass(frozen=True)
class Filters:
    body: str = ""
    area_id: int | None = None
    department_id: int | None = None
    status: str = ""

    def cleaned(self) -> Filters:
        """Unknown values filter nothing (a link from an old page still lists something)."""
        return Filters(
            body=self.body if self.body in ("npc", "cppcc") else "",
            area_id=self.area_id,
            department_id=self.department_id,
            status=self.status if self.status in {s.value for s in PUBLIC_STATUSES} else "",
        )


@dataclass(frozen=True)
class PublicList:
    page: CasePage
    facts: dict[int, SuggestionFacts]


async def public_suggestions(filters: Filters, cursor: str | None = None, page_size: int = 20) -> PublicList:
    """Public suggestions, newest published first, keyset-paged like the public cases. Raises
    ``browse.BadFilter`` for a damaged cursor."""
    where = [Case.case_type == CaseType.representative.value]
    if filters.body:
        where.append(Case.id.is_in(Suggestion.select(Suggestion.case).where(Suggestion.body == filters.body)))
    if filters.area_id:
        where.append((Case.area == filters.area_id) | (Case.area.parent == filters.area_id))
    if filters.department_id:
        co_handled = CoHandler.select(CoHandler.case).where(CoHandler.department == filters.department_id)
        where.append((Case.department == filters.department_id) | Case.id.is_in(co_handled))
    if filters.status:
        where.append(Case.status == filters.status)
    page = await browse.browse(browse.CaseFilter(), cursor=cursor, limit=page_size, where=where)
    return PublicList(page, await facts_of([case.id for case in page.cases]))

