"""Demo representatives of both bodies and their suggestions in every state, through the real
services and workflow (part of ``minsheng seed-demo``; idempotent)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from backend import clock
from backend.accounts.audit import Who
from backend.accounts.services import InvitationForm, get_account, invite
from backend.accounts.tables import Account
from backend.cases import ratings, workflow
from backend.cases.actions import Accept, Assign, PostProgress, RecordMeeting, RequestExtension, Sign
from backend.vocabulary import CaseType, Role
from backend.cases.services import Actor
from backend.cases.tables import Case
from backend.representatives import services as suggestions
from backend.settings import get_settings

REPRESENTATIVES = [
    # name, body, level, constituency
    ("张建华", "npc", "city", "竞秀区第三选区"),
    ("刘淑芬", "npc", "county", "莲池区五四路街道选区"),
    ("陈国栋", "cppcc", "city", "经济界别"),
    ("王丽萍", "cppcc", "city", "医药卫生界别"),
]


@dataclass(frozen=True)
class DemoSuggestion:
    lead: str
    co_signers: tuple[str, ...]
    category: str
    area: str
    title: str
    text: str
    days_ago: float
    stage: str  # draft, submitted, accepted, assigned, signed, in_progress, replied, rated, reanswer, closed
    reply: str = ""
    rating: tuple[str, str, str] = ()  # outcome, attitude, comment
    extension: str = ""


SUGGESTIONS = [
    DemoSuggestion("张建华", ("陈国栋", "王丽萍"), "roads", "jingxiu", "关于在学校周边增设过街天桥的建议",
                   "案由：竞秀区多所中小学位于主干道旁，上下学高峰人车混行。\n建议：在学校周边增设过街天桥或地下通道，并在建成前安排交通协管。",
                   2, "draft"),
    DemoSuggestion("刘淑芬", (), "sanitation", "lianchi", "关于老旧小区垃圾分类设施改造的建议",
                   "案由：老旧小区垃圾分类投放点设施陈旧，缺少洗手池和遮雨棚。\n建议：统一改造投放点，配备洗手池、遮雨棚和照明。",
                   1, "submitted"),
    DemoSuggestion("陈国栋", ("王丽萍",), "heating", "jingxiu", "关于推进供热管网智能化改造的建议",
                   "案由：部分供热管网老化，用户端温度不均。\n建议：分区安装温度监测设备，建立管网运行数据平台，精准调节供热。",
                   3, "accepted"),
    DemoSuggestion("王丽萍", (), "water", "lianchi", "关于提升二次供水水质监管的建议",
                   "案由：部分高层住宅二次供水水箱清洗不及时。\n建议：建立二次供水设施清洗消毒公示制度，定期抽检并向居民公布结果。",
                   10, "assigned"),
    DemoSuggestion("张建华", ("刘淑芬",), "signals", "jingxiu", "关于优化主干道信号灯配时的建议",
                   "案由：朝阳大街早晚高峰拥堵严重，部分路口绿灯时间与车流不匹配。\n建议：引入自适应信号控制，按时段优化配时。",
                   20, "signed"),
    DemoSuggestion("刘淑芬", ("张建华", "陈国栋"), "property", "lianchi", "关于规范老旧小区物业服务的建议",
                   "案由：部分老旧小区物业服务不到位，收费标准不透明。\n建议：制定物业服务标准，推行收费公示和业主评议。",
                   45, "in_progress", extension="需与各街道逐一核实小区情况，申请延长答复期限。"),
    DemoSuggestion("陈国栋", (), "gas", "jingxiu", "关于加快燃气管道老化更新的建议",
                   "案由：部分小区燃气管道使用超过二十年，存在安全隐患。\n建议：摸清底数，分年度实施更新改造，优先改造隐患突出的小区。",
                   30, "replied", reply="已完成全市老旧燃气管道排查，明年起分三年完成更新改造，首批涉及42个小区。"),
    DemoSuggestion("王丽萍", ("刘淑芬",), "noise", "lianchi", "关于治理夜间施工噪声扰民的建议",
                   "案由：夜间施工噪声投诉多发。\n建议：严格夜间施工审批，设置噪声在线监测并公开数据。",
                   60, "rated", reply="已出台夜间施工审批细则，在20个工地安装噪声在线监测设备，数据实时公开。",
                   rating=("satisfied", "satisfied", "答复具体，措施有力。")),
    DemoSuggestion("张建华", (), "power", "jingxiu", "关于农村电网改造升级的建议",
                   "案由：部分村庄夏季用电高峰电压不稳。\n建议：加快农村配电网改造，增加变压器容量。",
                   70, "reanswer", reply="我们将根据用电情况研究改造方案。",
                   rating=("unsatisfied", "basically_satisfied", "答复过于笼统，没有时间表。")),
    DemoSuggestion("刘淑芬", (), "other", "lianchi", "关于增设社区养老服务站的建议",
                   "案由：老年人口比例上升，社区养老服务供给不足。\n建议：依托社区用房增设养老服务站，提供助餐、助浴服务。",
                   100, "closed", reply="已将社区养老服务站建设纳入年度民生实事，年内新建15个服务站。"),
]


async def _representatives() -> dict[str, int]:
    accounts = {}
    for name, body, level, constituency in REPRESENTATIVES:
        row = await Account.select(Account.id).where(Account.name == name, Account.role == "representative").first()
        if row is None:
            form = InvitationForm(name=name, role="representative", body=body, level=level, constituency=constituency)
            accounts[name] = (await invite(form, actor=Who(None, "seed-demo"))).account_id
        else:
            accounts[name] = row["id"]
    return accounts


async def seed_suggestions(departments: dict, categories: dict, areas: dict, department_of) -> int:
    """Files each demo suggestion once; returns how many it filed."""
    accounts = await _representatives()
    time_zone = get_settings().time_zone
    created = 0
    now = clock.now().replace(minute=0, second=0, microsecond=0)
    for demo in SUGGESTIONS:
        if await Case.exists().where(Case.title == demo.title, Case.case_type == CaseType.representative.value):
            continue
        lead = await get_account(accounts[demo.lead])
        filed_at = now - timedelta(days=demo.days_ago)
        form = suggestions.SuggestionForm(
            title=demo.title, text=demo.text, category_id=str(categories[demo.category].id), area_id=str(areas[demo.area].id), publication="public"
        )
        with clock.travel_to(filed_at):
            case_id = await suggestions.create_draft(form, lead)
            for name in demo.co_signers:
                await suggestions.invite_co_signer(case_id, lead, accounts[name])
        with clock.travel_to(filed_at + timedelta(hours=2)):
            for name in demo.co_signers[: 1 if demo.stage == "draft" else None]:  # a draft still waits for one
                await suggestions.co_sign(case_id, await get_account(accounts[name]))
        created += 1
        if demo.stage == "draft":
            continue
        with clock.travel_to(filed_at + timedelta(hours=3)):
            number = await suggestions.submit(case_id, lead, time_zone)
        await _handle(demo, number, lead, departments[department_of(demo.category)], filed_at + timedelta(hours=3), now)
    return created


async def _handle(demo: DemoSuggestion, number: str, lead, department, submitted_at: datetime, now: datetime) -> None:
    # How many of the steps below each stage takes.
    reached = {"submitted": 0, "accepted": 1, "assigned": 2, "signed": 3}.get(demo.stage, 5)
    centre = Actor(Role.moderator, "")
    handler = Actor(Role.handler, department.name, department.id)
    steps = [
        (Accept(), centre),
        (Assign(department_id=department.id), centre),
        (Sign(), handler),
        (RecordMeeting(text="与代表委员当面座谈，听取意见，商定办理方向。"), handler),
        (PostProgress(text="已组织相关科室实地调研，正在研究办理方案。"), handler),
    ]
    moment = submitted_at
    for inputs, actor in steps[:reached]:
        moment += timedelta(hours=5)
        with clock.travel_to(moment):
            entry = await workflow.perform(number, inputs, actor)
        if inputs.action == "post_progress":
            with clock.travel_to(moment + timedelta(minutes=30)):
                await workflow.review(entry, "approve", centre)
    if demo.extension:
        with clock.travel_to(moment + timedelta(days=1)):
            case = await Case.select(Case.answer_due_at).where(Case.number == number).first()
            due = case["answer_due_at"] + timedelta(days=30)
            due_date = due.astimezone(ZoneInfo(get_settings().time_zone)).date()
            await workflow.perform(number, RequestExtension(text=demo.extension, due_date=due_date), handler)
        with clock.travel_to(moment + timedelta(days=1, hours=3)):
            await workflow.perform(number, "grant_extension", centre)
    if not demo.reply:
        return
    # A fresh answer waits for its rating; older ones were rated, or closed unrated by the clock jobs.
    answered_at = now - timedelta(days=2) if demo.stage == "replied" else moment + timedelta(days=demo.days_ago / 2)
    await _answer(number, handler, centre, demo.reply, answered_at)
    if demo.rating:
        outcome, attitude, comment = demo.rating
        with clock.travel_to(answered_at + timedelta(days=1)):
            await suggestions.rate(number, lead, suggestions.RatingForm(outcome, attitude, comment))
        with clock.travel_to(answered_at + timedelta(days=1, hours=2)):
            for pending in await ratings.pending_ratings():
                if pending.case_number == number:
                    await ratings.decide_publication(pending.rating_id, "publish", centre, comment=pending.comment)
            if demo.stage == "reanswer":
                await workflow.perform(number, "sign", handler)


async def _answer(number: str, handler: Actor, centre: Actor, reply: str, at: datetime) -> None:
    with clock.travel_to(at):
        entry = await workflow.perform(number, "draft_reply", handler, body=reply)
    with clock.travel_to(at + timedelta(minutes=30)):
        await workflow.review(entry, "approve", centre)
