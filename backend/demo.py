"""Demo data that reads like the real platforms (see shared/seeds): departments, categories,
Baoding's districts with some of their streets and towns, and cases filed, accepted, assigned
and worked on through the real services and photo pipeline: answered on time and late, given
more time, supervised by hand, called back (回访) and, once the clock jobs run at the end, overdue
and supervised (a red card).
"""

from __future__ import annotations

import io
import random
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from PIL import Image, ImageDraw, ImageFilter

from backend import clock
from backend.cases import ratings, services, support, workflow
from backend.cases.actions import Accept, AnswerFromKnowledge, Assign, RecordCallback, RequestExtension
from backend.cases.filing import CaseForm
from backend.vocabulary import Role
from backend.accounts.audit import Who
from backend.cases.tables import Case
from backend.departments.services import ensure_area, ensure_category, ensure_department
from backend.jobs import JOBS
from backend.knowledge import services as knowledge, templates
from backend.knowledge.services import Editor, EntryForm
from backend.knowledge.tables import KnowledgeEntry, ReplyTemplate
from backend.knowledge.templates import TemplateForm
from backend.photos.services import upload_photo
from backend.routing import services as routing
from backend.routing.services import RuleForm
from backend.representatives.demo import seed_suggestions
from backend.scheduler import run_jobs
from backend.settings import get_settings

DEMO_EDITOR = Editor("moderator", None, None, "平台中心")  # who wrote the demo's knowledge base

DEPARTMENTS = [
    # slug, name, English name
    ("water", "市自来水公司", "City Water Supply Company"),
    ("power", "国网市供电公司", "State Grid City Power Supply Company"),
    ("heating", "市热力公司", "City Heating Company"),
    ("gas", "市燃气公司", "City Gas Company"),
    ("roads", "市政设施管理处", "Municipal Facilities Office"),
    ("urban", "市城市管理综合执法局", "City Management and Law Enforcement Bureau"),
    ("traffic", "市公安局交通警察支队", "Traffic Police Detachment"),
    ("housing", "市住房和城乡建设局", "Housing and Urban-Rural Development Bureau"),
    ("environment", "市生态环境局", "Ecology and Environment Bureau"),
]

CATEGORIES = [
    # slug, name, English name, department slug, usual case type
    ("water", "供水", "Water supply", "water", "complaint"),
    ("power", "供电", "Power supply", "power", "complaint"),
    ("heating", "供暖", "Heating", "heating", "complaint"),
    ("gas", "燃气", "Gas", "gas", "complaint"),
    ("roads", "道路", "Roads", "roads", "complaint"),
    ("sanitation", "环卫", "Street cleaning and waste", "urban", "complaint"),
    ("signals", "交通信号", "Traffic signals", "traffic", "complaint"),
    ("property", "物业", "Property management", "housing", "consultation"),
    ("noise", "噪音", "Noise", "environment", "complaint"),
    ("illegal-building", "违建", "Illegal construction", "urban", "complaint"),
    ("other", "其他建议", "Other suggestions", "urban", "suggestion"),
]

# A street's boundary (GeoJSON), so that a map point finds it (``departments.boundaries``).
DEMO_BOUNDARIES = {
    "jingxiu-dongfeng": '{"type": "Polygon", "coordinates": [[[115.455, 38.865], [115.47, 38.865], [115.47, 38.8795], '
    '[115.455, 38.8795], [115.455, 38.865]]]}',
}

AREAS = [
    # slug, name, English name, and the district's streets and towns (街道/镇) the same way
    ("jingxiu", "竞秀区", "Jingxiu District", [
        ("jingxiu-xianfeng", "先锋街道", "Xianfeng Subdistrict"),
        ("jingxiu-xinshichang", "新市场街道", "Xinshichang Subdistrict"),
        ("jingxiu-dongfeng", "东风街道", "Dongfeng Subdistrict"),
        ("jingxiu-jiannan", "建南街道", "Jiannan Subdistrict"),
        ("jingxiu-hancunbeilu", "韩村北路街道", "Hancun North Road Subdistrict"),
        ("jingxiu-dajidian", "大激店镇", "Dajidian Town"),
    ]),
    ("lianchi", "莲池区", "Lianchi District", [
        ("lianchi-hepingli", "和平里街道", "Hepingli Subdistrict"),
        ("lianchi-wusilu", "五四路街道", "Wusi Road Subdistrict"),
        ("lianchi-xiguan", "西关街道", "Xiguan Subdistrict"),
        ("lianchi-zhonghualu", "中华路街道", "Zhonghua Road Subdistrict"),
        ("lianchi-dongguan", "东关街道", "Dongguan Subdistrict"),
        ("lianchi-yuhua", "裕华街道", "Yuhua Subdistrict"),
        ("lianchi-bailou", "百楼镇", "Bailou Town"),
    ]),
    ("mancheng", "满城区", "Mancheng District", [
        ("mancheng-mancheng", "满城镇", "Mancheng Town"),
        ("mancheng-dacheying", "大册营镇", "Dacheying Town"),
        ("mancheng-shenxing", "神星镇", "Shenxing Town"),
    ]),
    ("qingyuan", "清苑区", "Qingyuan District", [
        ("qingyuan-qingyuan", "清苑镇", "Qingyuan Town"),
        ("qingyuan-ranzhuang", "冉庄镇", "Ranzhuang Town"),
        ("qingyuan-yangcheng", "阳城镇", "Yangcheng Town"),
    ]),
    ("xushui", "徐水区", "Xushui District", [
        ("xushui-ansu", "安肃镇", "Ansu Town"),
        ("xushui-cuizhuang", "崔庄镇", "Cuizhuang Town"),
        ("xushui-dayin", "大因镇", "Dayin Town"),
    ]),
]


@dataclass(frozen=True)
class DemoCase:
    key: str
    category: str
    case_type: str
    title: str
    description: str
    address: str
    point: tuple[float, float] | None
    days_ago: float
    stage: str  # submitted, rejected, accepted, assigned, signed, in_progress; knowledge: answered from the knowledge base
    progress: tuple[tuple[float, str], ...] = ()  # (hours after signing, text)
    photo_colour: tuple[int, int, int] | None = (120, 130, 140)  # None: no photo
    reply: str = ""  # the department's official reply, published by the centre
    rejection: str = ""  # stage "rejected": the reason the filer reads
    last_post_unreviewed: bool = False  # the last progress post still waits for the centre
    area: str = ""  # the slug of the area: chosen by the filer if still submitted, else by the centre
    reply_hours: float | None = None  # when the reply comes, in hours after signing (default: after the last post)
    extension: str = ""  # the department asks for more time (why), a day after signing; the centre grants it
    supervision: str = ""  # the centre supervises (督办) by hand, two days after signing, with this note
    instruction: str = ""  # a leader's public instruction (批示), a day after signing
    rating: tuple[str, str, str] = ()  # the filer's (satisfaction, solved, comment) a day after the reply
    reopen: str = ""  # the centre reopens (重办) an unsatisfied case with this note; the department signs again
    closing: str = ""  # the centre closes an unsatisfied case with this explanation
    callback: tuple[str, str, str] = ()  # 回访: what the filer says when the centre calls a day after the reply (satisfaction, solved, note)


DEMO_CASES = [
    DemoCase(
        "heating-east-scenery", "heating", "complaint", "5个区中有4个区域暖气不热",
        "昨天就已经开始供暖了，但我们小区内5个区中有4个区域暖气不热，家里只有十四五度，老人孩子受不了，请尽快处理。",
        "东部风景小区", (38.8739, 115.4646), 1.2, "in_progress",
        ((2.0, "经检查，小区一处地下主要供热管道损坏，地底发生渗漏，正在寻找损坏点。"),
         (5.0, "连夜抢修中，正在抽水减压。"), (6.2, "已将坑内水抽净，准备焊接。"),
         (10.7, "抢修完成，破损点已修复。"), (15.5, "注水打压中。"),
         (22.1, "机组已经定压，开始循环供热。请居民关注室温，如仍不热请在此反馈。")),
        (170, 60, 50),
        area="jingxiu-dongfeng",
    ),
    DemoCase(
        "power-wenjin-garden", "power", "complaint", "小区停电三四天，什么时候能恢复供电？",
        "文津花园小区从8日起停电，已经三四天了，冰箱里的东西都坏了，电梯也停了，老人上下楼很困难。物业说在等供电公司，请给个准话。",
        "文津花园小区", (38.8671, 115.4845), 3.5, "in_progress",
        ((1.0, "已联系物业和住户，抢修队到场排查，确认小区配电室电缆故障。"),
         (20.0, "新电缆已到场，正在敷设。"), (30.0, "全小区已恢复送电，电力正常供应。")),
        (60, 70, 90),
        area="jingxiu-xianfeng",
    ),
    DemoCase(
        "signal-tree", "signals", "complaint", "北二环和瑞祥交口东侧右转信号灯被大树遮挡",
        "北二环和瑞祥大街交口东侧的右转交通信号灯被路边大树完全挡住，开车根本看不见，已经好几次差点出事故。",
        "北二环与瑞祥大街交口东侧", (38.8950, 115.4900), 0.6, "signed", (), (40, 120, 60),
        area="jingxiu-hancunbeilu",
    ),
    DemoCase(
        "billboard-ladder", "illegal-building", "complaint", "联通大厦楼顶广告牌存在安全隐患",
        "联通大厦楼顶的广告牌和旁边的人行梯锈得很厉害，刮大风的时候晃动，底下是人行道，担心掉下来砸到人。",
        "联通大厦", (38.8730, 115.4700), 5.0, "in_progress",
        ((18.0, "已现场查看，人行梯锈蚀严重，责令产权单位拆除。"), (26.0, "工人已进场施工，拆除存在安全隐患的人行梯。")),
        (90, 90, 100),
        area="lianchi-yuhua",
    ),
    DemoCase(
        "water-pipe-burst", "water", "complaint", "路口自来水管爆裂，路面积水结冰",
        "今天早上开始，路口东南角有自来水从地面冒出来，现在整个路口都是水，晚上气温低，很可能结冰，骑车的人很危险。",
        "朝阳大街与七一路交口东南角", (38.8600, 115.5000), 0.3, "assigned", (), (70, 110, 160),
        area="lianchi-dongguan",
    ),
    DemoCase(
        "gas-smell", "gas", "complaint", "楼道里有燃气味",
        "3号楼2单元楼道里这两天一直有燃气味，晚上更明显，不知道是哪家漏气，请派人来检查。",
        "裕华路铁路小区3号楼2单元", None, 0.2, "accepted", (), (200, 180, 120),
        area="lianchi-yuhua",
    ),
    DemoCase(
        "noise-night-construction", "noise", "complaint", "工地夜间施工噪音扰民",
        "小区南边的工地每天晚上十一点以后还在打桩，声音非常大，孩子第二天要上学根本睡不着，请查处。",
        "七一中路南侧在建工地", (38.8650, 115.4800), 2.2, "in_progress",
        ((3.0, "执法人员夜间到场核查，施工单位未办理夜间施工许可，已责令立即停止夜间施工。"),),
        (110, 100, 80),
        area="lianchi-hepingli",
    ),
    DemoCase(
        "road-pothole", "roads", "complaint", "主路上有个大坑，下雨后看不见",
        "东风路公交站前面的路面塌了一个大坑，大概半米宽，下雨积水后看不见，已经有电动车摔倒了。",
        "东风路公交站（东风中路段）", (38.8700, 115.4600), 1.8, "in_progress",
        ((4.0, "已设置警示标志，明日上午修补。"), (20.0, "坑槽已修补完成，路面恢复通行。")),
        (100, 100, 100),
        area="jingxiu-dongfeng",
    ),
    DemoCase(
        "property-fee", "property", "consultation", "物业费上涨需要经过业主大会同意吗？",
        "我们小区物业贴通知说下个月起物业费从每平米1.2元涨到1.8元，请问物业费调整需要什么程序？需要业主大会同意吗？",
        "竞秀区某小区", None, 1.0, "signed", (), (150, 140, 130),
        area="jingxiu",
    ),
    DemoCase(
        "garbage-station", "sanitation", "complaint", "垃圾站满了没人清运",
        "菜市场后面的垃圾站已经三天没有清运，垃圾堆到路上，味道很大，还招老鼠。",
        "西大街菜市场后侧垃圾站", (38.8750, 115.4550), 0.9, "in_progress",
        ((2.5, "已安排清运车辆，今日下午清理完毕，并增加每日清运频次。"),),
        (90, 120, 70),
        area="lianchi-xiguan",
    ),
    DemoCase(
        "suggestion-bus-shelter", "other", "suggestion", "建议在社区医院门口增设公交候车亭",
        "社区医院门口的公交站只有一个站牌，看病的老人下雨天只能站着淋雨等车，建议增设带座椅的候车亭。",
        "社区医院公交站", None, 4.0, "assigned", (), (130, 160, 180),
        area="lianchi-zhonghualu",
    ),
]

# Answered cases and what their filers made of the answers: every level of satisfaction, one
# reopened, one closed with an explanation, one never rated (closed as not rated after 7 days).
DEMO_CASES += [
    DemoCase(
        "streetlight-out", "roads", "complaint", "小区门口路灯一个多月不亮",
        "建南小区门口的三盏路灯一个多月都不亮了，晚上出入很黑，老人已经摔过一次。",
        "建南小区南门", (38.8620, 115.4710), 4.0, "in_progress",
        ((3.0, "已派人检修，发现线路老化。"),), (60, 60, 70),
        reply="经检修，路灯线路老化导致不亮，已更换线路和灯头，现已恢复照明。",
        area="jingxiu-jiannan", rating=("satisfied", "yes", "第二天晚上就亮了，谢谢！"),
    ),
    DemoCase(
        "water-pressure", "water", "complaint", "高层住户水压低，早晚用水困难",
        "我家住18楼，每天早上和晚上水龙头出水很小，热水器都打不着火。",
        "五四路阳光家园8号楼", (38.8690, 115.4920), 5.0, "in_progress",
        ((4.0, "已到现场测量水压，二次供水加压泵运行异常。"),), (80, 120, 170),
        reply="经排查，二次供水加压泵老化，已更换加压泵，高峰时段水压明显改善，后续将继续观察。",
        area="lianchi-wusilu", rating=("basically_satisfied", "partly", "白天好多了，早上七点左右水压还是有点小。"),
    ),
    DemoCase(
        "sewer-blocked", "sanitation", "complaint", "雨后下水道堵塞返臭水",
        "每次下雨西关街口的下水道就往外冒臭水，漫到人行道上，行人只能绕着走。",
        "西关街口", (38.8760, 115.4500), 6.0, "in_progress",
        ((5.0, "已安排疏通车到场疏通。"),), (70, 90, 60),
        reply="已对该处下水道进行疏通，排水恢复正常。",
        area="lianchi-xiguan", rating=("unsatisfied", "no", "疏通后第二天又堵了，污水又漫到路上。"),
        reopen="反映人反映疏通后再次堵塞，请彻查该段管网，彻底解决。",
    ),
    DemoCase(
        "square-dance", "noise", "complaint", "广场舞音响声音太大",
        "新市场小区广场每晚广场舞音响开得很大，一直跳到十点，家里孩子没法写作业。",
        "新市场小区中心广场", (38.8800, 115.4650), 5.5, "in_progress",
        ((6.0, "已联系社区和活动组织者，要求降低音量、缩短时间。"),), (150, 90, 120),
        reply="经协调，活动组织者已同意将音量调低，并于21:30前结束活动。",
        area="jingxiu-xinshichang", rating=("unsatisfied", "partly", "音量小了一点，但还是跳到十点。"),
        closing="经核查，近一周广场舞活动均在21:30前结束，音量符合标准。已请社区继续协调，如再有超时可随时反映。",
    ),
    DemoCase(
        "elevator-inspection", "property", "consultation", "小区电梯年检该由谁负责？",
        "我们小区电梯的年检合格证已经过期两个月了，物业说不归他们管，请问电梯年检应该由谁负责？",
        "满城镇某小区", None, 12.0, "signed", (), (140, 140, 150),
        reply="依据《特种设备安全法》，电梯使用单位（一般为物业服务企业）负责申报定期检验。已督促物业申报年检。",
        area="mancheng-mancheng",
    ),
]

# The same cases at other points of the workflow: answered, waiting, refused.
DEMO_CASES[0] = replace(
    DEMO_CASES[0],
    reply="经查，小区地下主供热管道渗漏，已于次日凌晨修复并恢复循环供热。我公司已安排专人每日测温，室温如仍低于18℃，请拨打24小时热线。",
)
DEMO_CASES[1] = replace(DEMO_CASES[1], last_post_unreviewed=True)
DEMO_CASES[10] = replace(DEMO_CASES[10], stage="submitted")
DEMO_CASES[8] = replace(
    DEMO_CASES[8], stage="rejected", rejection="该事项属于民事纠纷，不属于本平台受理范围。建议向所在社区居委会或人民调解委员会申请调解。"
)
DEMO_CASES[3] = replace(  # five days without an answer: supervised by hand, with a leader's word
    DEMO_CASES[3],
    supervision="广告牌存在坠落风险，请于今日内拆除并回复。",
    instruction="请城管执法局会同产权单位立即消除安全隐患，举一反三排查全市楼顶广告牌。",
)
# Answered late, given more time, and left overdue: the clock jobs flag and supervise it.
DEMO_CASES += [
    DemoCase(
        "streetlight-late", "roads", "complaint", "小区门口路灯坏了一个多月",
        "乐凯大街小区南门口的三盏路灯坏了一个多月，晚上一片漆黑，老人孩子出门很不安全。",
        "乐凯大街某小区南门", (38.8800, 115.4700), 9.0, "in_progress",
        ((30.0, "已派人查看，系线路老化，需更换电缆。"),), (60, 60, 70),
        area="jingxiu-jiannan", reply_hours=150.0,
        reply="南门口路灯线路已全部更换，三盏路灯恢复照明。答复晚于期限，向您致歉。",
    ),
    DemoCase(
        "park-fitness", "other", "suggestion", "建议修缮公园内损坏的健身器材",
        "人民公园东门附近的几件健身器材已经损坏，有的螺丝松动，存在安全隐患，建议尽快修缮或更换。",
        "人民公园东门", (38.8680, 115.4720), 6.0, "signed", (), (90, 140, 90),
        area="lianchi-xiguan", extension="需向财政部门申请器材更换资金，采购需要时间。",
    ),
    DemoCase(
        "sewer-overflow", "sanitation", "complaint", "路边下水道堵塞，污水漫到人行道",
        "五四路东段路边下水道堵了好几天，污水漫到人行道上，臭味很大，行人只能绕行。",
        "五四路东段", (38.8620, 115.4900), 7.0, "signed", (), (80, 90, 60),
        area="lianchi-wusilu",
    ),
]


# More public cases, without photos, so that every area (each district as a whole and every
# street and town) and every filter of the public list has something to show.
DEMO_CASES += [
    DemoCase(key, category, case_type, title, description, address, point, days_ago, stage, area=area, photo_colour=None)
    for key, category, case_type, title, description, address, point, days_ago, stage, area in [
        ("lianchi-bus-shelter", "other", "suggestion", "建议莲池区老城区增设公共自行车停放点",
         "老城区道路窄，共享单车乱停乱放，建议在主要路口划定停放点。", "莲池区老城区", (38.8590, 115.5010), 2.5, "accepted", "lianchi"),
        ("mancheng-heating", "heating", "complaint", "满城区新建小区暖气至今不热",
         "供暖已经开始一周了，小区里好几栋楼暖气还是凉的，热力公司电话一直打不通。", "满城区新城小区", (38.9490, 115.3220), 4.0, "assigned", "mancheng"),
        ("dajidian-road", "roads", "complaint", "大激店镇村口道路破损严重",
         "村口通往国道的道路坑洼不平，下雨后积水，三轮车和电动车经常摔倒。", "大激店镇村口", (38.8540, 115.3900), 8.0, "assigned", "jingxiu-dajidian"),
        ("bailou-water", "water", "complaint", "百楼镇居民区自来水发黄",
         "最近一周自来水放出来是黄色的，要放很久才变清，担心水质有问题。", "百楼镇中心街", (38.8200, 115.5600), 2.0, "assigned", "lianchi-bailou"),
        ("dacheying-power", "power", "complaint", "大册营镇晚上经常停电",
         "这个月已经停电五六次了，每次一两个小时，没有任何通知。", "大册营镇东街", (38.9800, 115.2900), 5.5, "assigned", "mancheng-dacheying"),
        ("shenxing-noise", "noise", "complaint", "神星镇石料厂夜间作业噪音大",
         "石料厂晚上十点以后还在作业，机器声音很大，附近村民睡不着觉。", "神星镇石料厂附近", (38.9300, 115.2500), 9.0, "accepted", "mancheng-shenxing"),
        ("qingyuan-street-light", "roads", "complaint", "清苑镇主街路灯不亮 Street lights out on the main street",
         "清苑镇主街一整排路灯晚上都不亮，已经半个月了。The whole row of street lights on the main street has been dark for two weeks.",
         "清苑镇主街", (38.7700, 115.4900), 3.0, "assigned", "qingyuan-qingyuan"),
        ("qingyuan-sanitation", "sanitation", "complaint", "清苑区垃圾桶长期不清运",
         "小区门口的垃圾桶一周才清运一次，夏天臭味很大。", "清苑区府前街", (38.7650, 115.4950), 12.0, "accepted", "qingyuan"),
        ("ranzhuang-gas", "gas", "consultation", "冉庄镇什么时候通天然气？",
         "听说今年冉庄镇要通天然气，想问一下具体什么时候能通，需要办什么手续。", "冉庄镇", (38.7200, 115.5200), 6.0, "accepted", "qingyuan-ranzhuang"),
        ("yangcheng-building", "illegal-building", "complaint", "阳城镇路边违建占用人行道",
         "路边商户搭建的棚子占了整个人行道，行人只能走机动车道。", "阳城镇商业街", (38.7000, 115.4400), 10.0, "assigned", "qingyuan-yangcheng"),
        ("xushui-signals", "signals", "complaint", "徐水区城区红绿灯时间太短",
         "安肃路口的行人绿灯只有十几秒，老人过马路走不完。", "徐水区安肃路口", (39.0200, 115.6500), 1.5, "assigned", "xushui"),
        ("ansu-property", "property", "consultation", "安肃镇老旧小区改造包括哪些内容？",
         "我们小区列入了老旧小区改造名单，想了解改造包括哪些内容，住户需要出钱吗？", "安肃镇幸福小区", (39.0150, 115.6600), 7.5, "accepted", "xushui-ansu"),
        ("cuizhuang-water", "water", "complaint", "崔庄镇停水两天没有通知",
         "崔庄镇从前天开始停水，没有任何通知，附近超市的桶装水都卖光了。", "崔庄镇南街", (39.0600, 115.6100), 0.8, "assigned", "xushui-cuizhuang"),
        ("zhonghualu-noise", "noise", "complaint", "中华路夜市油烟和噪音扰民",
         "中华路夜市每天开到凌晨，油烟直接排进居民楼，音箱声音也很大。", "中华路夜市", (38.8650, 115.4950), 4.5, "assigned", "lianchi-zhonghualu"),
        ("dayin-heating", "heating", "complaint", "大因镇集中供暖温度不达标",
         "家里暖气只有十六度，达不到标准，请热力公司来测一下室温。", "大因镇供暖小区", (39.0900, 115.7000), 3.2, "accepted", "xushui-dayin"),
    ]
]

DEMO_CASES += [
    DemoCase(
        "gas-account", "gas", "consultation", "新房怎么开通燃气？",
        "刚买的新房交房了，想问一下开通燃气需要带什么材料，去哪里办理？", "竞秀区朝阳南大街", None, 0.5, "knowledge",
        photo_colour=None, area="jingxiu",
    ),
]
# The centre calls a filer back about an answer not rated online (回访). The clock jobs at the end
# give the red card (三色督办) to the cases left overdue, such as "sewer-overflow".
DEMO_CASES = [
    replace(demo, callback=("basically_satisfied", "yes", "市民表示物业已申报年检，电梯已恢复使用。")) if demo.key == "elevator-inspection" else demo
    for demo in DEMO_CASES
]

# The knowledge base (知识库): (question, answer, question in English, answer in English, category,
# department or "" for the centre's). The centre answers the demo consultation above from the first.
DEMO_KNOWLEDGE = [
    ("新房怎么开通燃气？",
     "请携带房产证（或购房合同）、户主身份证原件，到市燃气公司任一营业厅办理开户，也可在“市燃气公司”公众号上预约。"
     "开户后3个工作日内安排上门通气和安全检查，通气当天家中须有人。",
     "How do I get gas connected in a new home?",
     "Bring the property certificate (or purchase contract) and the owner's ID card to any City Gas Company service hall, or book "
     "online. A technician connects the gas and checks safety within 3 working days; someone must be at home.",
     "gas", "gas"),
    ("停水停电会提前通知吗？",
     "计划停水、停电至少提前24小时在小区公告栏、供水供电公司网站和本平台发布通知；抢修造成的临时停水停电会在抢修开始后尽快发布。"
     "如未收到通知，可在本平台提交诉求。",
     "", "", "water", ""),
    ("物业费上涨需要什么程序？",
     "住宅物业服务收费实行政府指导价的，物业企业调价须按规定报批；实行市场调节价的，调价方案须经业主大会依法表决通过，并提前公示。"
     "对未经程序的涨价，可向所在区住建部门反映。",
     "", "", "property", "housing"),
]
# Standard wording for replies (seed 003): the centre's, for every department.
DEMO_TEMPLATES = [
    ("办结答复",
     "{filer}您好！您反映的问题（编号{case_number}）已由{department}核实处理，具体情况如下：\n\n"
     "如仍有问题，请在{working_days:5}前通过本平台反馈。感谢您对我们工作的监督！"),
]

# "Me too" (我也遇到): so many people have these problems too (for the most supported sort).
DEMO_SUPPORT = {"heating-east-scenery": 12, "power-wenjin-garden": 8, "mancheng-heating": 5, "cuizhuang-water": 3}


def demo_photo(colour: tuple[int, int, int], seed: int) -> bytes:
    """A photo-like JPEG (a scene with sky, ground and an object), made on the spot."""
    rng = random.Random(seed)
    width, height = 1600, 1200
    image = Image.new("RGB", (width, height), (150, 180, 210))
    draw = ImageDraw.Draw(image)
    for y in range(0, height // 2, 8):  # sky gradient
        shade = 210 - y // 8
        draw.rectangle([0, y, width, y + 8], fill=(shade - 40, shade - 20, shade))
    draw.rectangle([0, height // 2, width, height], fill=(95, 95, 90))
    for _ in range(6):  # buildings
        x = rng.randint(0, width - 200)
        top = rng.randint(150, height // 2 - 50)
        grey = rng.randint(120, 190)
        draw.rectangle([x, top, x + rng.randint(120, 300), height // 2], fill=(grey, grey, grey - 10))
    cx, cy = rng.randint(500, 1100), rng.randint(700, 950)
    draw.ellipse([cx - 260, cy - 120, cx + 260, cy + 120], fill=colour)
    image = image.filter(ImageFilter.GaussianBlur(1.5))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=88)
    return out.getvalue()


async def seed() -> int:
    """Idempotent: departments and categories are found or made; each demo case is filed once."""
    departments = {}
    for slug, name, name_en in DEPARTMENTS:
        departments[slug] = await ensure_department(name, name_en, slug)
    categories = {}
    for position, (slug, name, name_en, department_slug, case_type) in enumerate(CATEGORIES):
        categories[slug] = await ensure_category(name, name_en, slug, departments[department_slug], case_type, position)
    areas = {}
    for position, (slug, name, name_en, streets) in enumerate(AREAS):
        areas[slug] = district = await ensure_area(name, name_en, slug, None, position)
        for street_position, (street_slug, street_name, street_name_en) in enumerate(streets):
            boundary = DEMO_BOUNDARIES.get(street_slug, "")
            areas[street_slug] = await ensure_area(street_name, street_name_en, street_slug, district, street_position, boundary)

    await _seed_knowledge(departments, categories)
    settings = get_settings()
    created = 0
    now = clock.now().replace(minute=0, second=0, microsecond=0)
    for index, demo in enumerate(DEMO_CASES):
        submission_key = _submission_key(demo)
        if await Case.exists().where(Case.submission_key == submission_key):
            continue
        filed_at = now - timedelta(days=demo.days_ago)
        with clock.travel_to(filed_at):
            photo_keys = []
            if demo.photo_colour:
                photo_keys = [(await upload_photo(demo_photo(demo.photo_colour, index))).key]
            filed = await services.file_case(
                CaseForm(
                    case_type=demo.case_type,
                    category_id=str(categories[demo.category].id),
                    title=demo.title,
                    description=demo.description,
                    address=demo.address,
                    area_id=str(areas[demo.area].id) if demo.area and demo.stage == "submitted" else "",
                    latitude=str(demo.point[0]) if demo.point else "",
                    longitude=str(demo.point[1]) if demo.point else "",
                    filer_name="市民",
                    filer_phone="13800000000",
                    publication="public",
                    photo_keys=photo_keys,
                    submission_key=submission_key,
                ),
                secret_key=settings.secret_key,
                time_zone=settings.time_zone,
            )
        area_id = areas[demo.area].id if demo.area else None
        await _advance(demo, filed, departments[_department_of(demo.category)], area_id, filed_at)
        created += 1
    await seed_suggestions(departments, categories, areas, _department_of)
    await _seed_routing(departments, categories, areas)
    await run_jobs(JOBS, clock.now())  # flags and supervises what is overdue, as the scheduler would
    await _support_demo_cases(settings.secret_key)
    return created


async def _seed_routing(departments: dict, categories: dict, areas: dict) -> None:
    """Routing rules, once: the case still waiting in the queue gets a suggestion ("规则 1：其他建议
    在 莲池区"); heating is routed without a moderator from now on (made last, so that the demo's
    own cases go through the centre as written)."""
    if await routing.rule_views():
        return
    rules = [
        RuleForm(category_id=str(categories["other"].id), area_id=str(areas["lianchi"].id),
                 department_id=str(departments["urban"].id), co_department_ids=(str(departments["roads"].id),)),
        RuleForm(category_id=str(categories["roads"].id), area_id=str(areas["jingxiu"].id), department_id=str(departments["roads"].id)),
        RuleForm(category_id=str(categories["heating"].id), department_id=str(departments["heating"].id), automatic="yes"),
    ]
    for form in rules:
        await routing.save_rule(None, form, actor=Who(None, "seed-demo"))


async def _seed_knowledge(departments: dict, categories: dict) -> None:
    """The knowledge base's entries and the reply templates, each made once."""
    for question, answer, question_en, answer_en, category, department in DEMO_KNOWLEDGE:
        if not await KnowledgeEntry.exists().where(KnowledgeEntry.question == question):
            form = EntryForm(
                question, question_en, answer, answer_en, str(categories[category].id),
                str(departments[department].id) if department else "", public="yes",
            )
            await knowledge.save_entry(None, form, DEMO_EDITOR)
    for name, body in DEMO_TEMPLATES:
        if not await ReplyTemplate.exists().where(ReplyTemplate.name == name):
            await templates.save_template(None, TemplateForm(name, body), DEMO_EDITOR)


def _submission_key(demo: DemoCase) -> str:
    return f"demo-case-{demo.key}".ljust(22, "0")[:64]


async def _support_demo_cases(secret_key: str) -> None:
    """Each demo supporter is a browser of its own; a second run counts nobody again."""
    for demo in DEMO_CASES:
        case = await Case.select(Case.number).where(Case.submission_key == _submission_key(demo)).first()
        for person in range(DEMO_SUPPORT.get(demo.key, 0)):
            await support.support(case["number"], support.supporter_hashes(secret_key, f"demo-{demo.key}-{person}", None))


def _department_of(category_slug: str) -> str:
    return next(department for slug, _, _, department, _ in CATEGORIES if slug == category_slug)


async def _advance(demo: DemoCase, filed: services.FiledCase, department, area_id: int | None, filed_at: datetime) -> None:
    """Through the real workflow: the centre accepts (putting the case in its area) and assigns, the department signs, posts
    progress and replies, and the centre publishes what the department wrote."""
    if demo.stage == "submitted":
        return
    number = filed.number
    centre = services.Actor(Role.moderator, "")
    if demo.stage == "knowledge":  # the centre answers at once from the entry with the same question
        found = await KnowledgeEntry.select(KnowledgeEntry.id).where(KnowledgeEntry.question == demo.title).first()
        with clock.travel_to(filed_at + timedelta(minutes=5)):
            await workflow.perform(number, AnswerFromKnowledge(knowledge_entry_id=found["id"]), centre)
        return
    handler = services.Actor(Role.handler, department.name, department.id)
    moment = filed_at + timedelta(minutes=12)
    if demo.stage == "rejected":
        with clock.travel_to(moment):
            await workflow.perform(number, "reject", centre, body=demo.rejection)
        return
    steps = ["accepted", "assigned", "signed", "in_progress"]
    reached = steps.index(demo.stage)
    with clock.travel_to(moment):
        await workflow.perform(number, Accept(area_id=area_id), centre)
    if reached >= 1:
        with clock.travel_to(moment + timedelta(minutes=6)):
            await workflow.perform(number, Assign(department_id=department.id), centre)
    signed_at = moment + timedelta(minutes=15)
    if reached >= 2:
        with clock.travel_to(signed_at):
            await workflow.perform(number, "sign", handler)
    last = datetime.now(timezone.utc)
    for position, (hours, text) in enumerate(demo.progress, start=1):
        at = min(signed_at + timedelta(hours=hours), last)
        with clock.travel_to(at):
            entry_id = await workflow.perform(number, "post_progress", handler, body=text)
        if demo.last_post_unreviewed and position == len(demo.progress):
            break
        with clock.travel_to(min(at + timedelta(minutes=4), last)):
            await workflow.review(entry_id, "approve", centre)
    if demo.instruction:
        with clock.travel_to(min(signed_at + timedelta(days=1), last)):
            await workflow.perform(number, "instruct", services.Actor(Role.leader, ""), body=demo.instruction)
    if demo.extension:
        with clock.travel_to(min(signed_at + timedelta(days=1), last)):
            due = (filed_at + timedelta(days=20)).astimezone(ZoneInfo(get_settings().time_zone)).date()
            await workflow.perform(number, RequestExtension(text=demo.extension, due_date=due), handler)
        with clock.travel_to(min(signed_at + timedelta(days=1, hours=2), last)):
            await workflow.perform(number, "grant_extension", centre)
    if demo.supervision:
        with clock.travel_to(min(signed_at + timedelta(days=2), last)):
            await workflow.perform(number, "supervise", centre, body=demo.supervision)
    if demo.reply:
        hours = demo.reply_hours or (demo.progress[-1][0] + 1 if demo.progress else 24)
        at = min(signed_at + timedelta(hours=hours), last)
        with clock.travel_to(at):
            entry_id = await workflow.perform(number, "draft_reply", handler, body=demo.reply)
        with clock.travel_to(min(at + timedelta(minutes=20), last)):
            await workflow.review(entry_id, "approve", centre)
        if demo.rating:
            await _rate(demo, filed, centre, handler, min(at + timedelta(days=1), last), last)
        if demo.callback:
            satisfaction, solved, note = demo.callback
            with clock.travel_to(min(at + timedelta(days=1), last)):
                await workflow.perform(number, RecordCallback(satisfaction=satisfaction, solved=solved, text=note), centre)


async def _rate(demo: DemoCase, filed: services.FiledCase, centre, handler, rated_at: datetime, last: datetime) -> None:
    """The filer rates the answer (with a photo when the problem came back), the centre publishes
    the rating, and reopens or closes an unsatisfied case."""
    satisfaction, solved, comment = demo.rating
    with clock.travel_to(rated_at):
        photo_keys = []
        if demo.reopen:
            photo_keys = [(await upload_photo(demo_photo(demo.photo_colour, 99))).key]
        await ratings.rate(filed.follow_token, ratings.RatingForm(satisfaction, solved, comment, photo_keys))
    decided_at = min(rated_at + timedelta(hours=2), last)
    with clock.travel_to(decided_at):
        for pending in await ratings.pending_ratings():
            if pending.case_number == filed.number:
                await ratings.decide_publication(pending.rating_id, "publish", centre, comment=pending.comment)
        if demo.reopen:
            await workflow.perform(filed.number, "reopen", centre, body=demo.reopen)
        if demo.closing:
            await workflow.perform(filed.number, "close", centre, body=demo.closing)
    if demo.reopen:
        with clock.travel_to(min(decided_at + timedelta(minutes=10), last)):
            await workflow.perform(filed.number, "sign", handler)
