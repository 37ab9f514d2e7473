"""The words of the generated province: duty reports and duty records that differ as real ones do.

Every organization's report is put together from pools of sentence halves, drawn with the seeded
generator: two reports share a sentence only by chance (about one sentence in sixty), so the
committee's page of near-copies shows the copies, not the generator. A known share of the reports
are copies of a sibling's report of the same cycle (`REPORT_COPY_SHARE`, the "two branches hand in
the same report" of the seeds), with the figures changed as a copier changes them.

A record is its item's formula (the templates' few) followed by what was done that time, from a
pool; a known share repeats the item's previous record word for word (`RECORD_REPEAT_SHARE`, the
monthly record copied from the month before).
"""

from __future__ import annotations

import random

REPORT_COPY_SHARE = 0.08
"""Share of written reports that copy a sibling's report of the same cycle (figures changed)."""
RECORD_REPEAT_SHARE = 0.25
"""Share of records (after an item's first) that repeat the item's previous record word for word."""

# Each section: sentences of two halves, each half from its own pool of eight; a sentence is one of
# 64 and a section of three sentences one of about 260,000.
_DUTIES = (
    (
        (
            "一年来，支部坚持把抓党建作为第一责任",
            "今年以来，党组织书记认真履行第一责任人职责",
            "本年度，支部班子紧扣年度责任清单",
            "过去一年，我们坚持党建引领中心工作",
            "年初以来，支部对照县委部署逐项推进",
            "这一年，班子成员带头落实“一岗双责”",
            "全年支部坚持书记抓、抓书记",
            "本年度支部以创建“五星支部”为抓手",
        ),
        (
            "，落实“三会一课”制度，全年召开支委会{meetings}次、党员大会4次。",
            "，每季度专题研究党建工作，听取班子成员履责汇报{lectures}次。",
            "，把党建任务分解到月、落实到人，全年开展主题党日{meetings}次。",
            "，书记带头讲党课{lectures}次，班子成员讲党课各1次。",
            "，建立问题清单和任务清单，按月对账销号。",
            "，严格执行组织生活制度，党员参会率保持在九成以上。",
            "，坚持重大事项集体讨论决定，全年议事{meetings}次。",
            "，推行党员积分管理，年底积分公开并与评先挂钩。",
        ),
    ),
    (
        (
            "亲自部署村级换届后班子建设",
            "亲自协调解决灌溉水渠修缮问题",
            "亲自督办矛盾纠纷排查化解",
            "亲自推动村集体经济项目落地",
            "亲自走访困难党员和老党员",
            "亲自牵头整治人居环境",
            "亲自组织党员志愿服务队",
            "亲自联系两户入党积极分子",
        ),
        (
            "，解决群众急难愁盼问题{cases}件。",
            "，形成长效机制并写入村规民约。",
            "，带动党员认领服务岗位{cases}个。",
            "，群众满意度明显提升。",
            "，相关做法在全镇交流推广。",
            "，协调资金{money}万元。",
            "，建立台账按月跟踪。",
            "，化解信访积案{cases}件。",
        ),
    ),
    (
        (
            "支部结合产业特点",
            "围绕乡村振兴任务",
            "针对流动党员多的实际",
            "聚焦基层治理难点",
            "在疫情防控和防汛工作中",
            "围绕集体经济“清零”目标",
            "结合党纪学习教育",
            "针对青年党员比例偏低",
        ),
        (
            "，设立党员先锋岗{cases}个，党员带头作用充分发挥。",
            "，开展“党员联户”活动，每名党员联系群众十户以上。",
            "，建立线上学习群，流动党员参学率提高到八成。",
            "，组建网格党小组{cases}个，实现网格全覆盖。",
            "，开展专题学习{lectures}次，撰写心得体会{cases}篇。",
            "，引进合作社{cases}家，带动村集体增收{money}万元。",
            "，开展警示教育，组织观看警示教育片{lectures}次。",
            "，发展入党积极分子{cases}名，培养后备力量。",
        ),
    ),
)
_PROBLEMS = (
    (
        (
            "一是党员教育方式较单一",
            "一是理论学习不够深入",
            "一是支部议事不够规范",
            "一是党建和业务结合不紧",
            "一是组织生活质量不高",
            "一是班子成员“一岗双责”落实不平衡",
            "一是阵地作用发挥不充分",
            "一是党员管理存在薄弱环节",
        ),
        (
            "，流动党员参学率不高",
            "，学用结合有差距",
            "，个别会议记录不完整",
            "，抓党建促发展的办法不多",
            "，批评和自我批评辣味不足",
            "，有的分管领域过问党建较少",
            "，活动室平时使用率低",
            "，失联党员排查不及时",
        ),
    ),
    (
        (
            "二是发展党员梯队不足",
            "二是党员作用发挥不平衡",
            "二是阵地建设相对滞后",
            "二是制度执行有偏差",
            "二是党费收缴管理不够规范",
            "二是村集体经济发展缓慢",
            "二是党务公开不及时",
            "二是青年党员培养跟不上",
        ),
        (
            "，35岁以下入党积极分子偏少。",
            "，少数党员满足于完成任务。",
            "，活动场所功能单一。",
            "，“三会一课”有时集中补记。",
            "，台账未按月登记。",
            "，增收渠道单一。",
            "，群众知晓率不高。",
            "，后备干部储备不足。",
        ),
    ),
)
_CAUSES = (
    (
        (
            "对党员教育创新思考不够",
            "抓班子带队伍的办法不多",
            "从严管理的力度层层递减",
            "对上级部署研究不深",
            "书记抓党建的精力投入不足",
            "对新形势下基层治理学习不够",
            "日常督促检查不经常",
            "发挥党员主体作用的机制不健全",
        ),
        (
            "，存在重业务轻党建的倾向。",
            "，责任传导不到位。",
            "，工作标准不高。",
            "，缺少跟踪问效。",
            "，满足于过得去。",
            "，考核结果运用不充分。",
            "，办法不多、手段单一。",
            "，存在畏难情绪。",
        ),
    ),
)
_PLANS = (
    (
        (
            "建立流动党员线上学习群",
            "从致富能手、返乡青年中培养入党积极分子",
            "规范“三会一课”记录",
            "开展支部书记轮训",
            "每月开展一次主题党日",
            "建立党费收缴台账",
            "组织党员到先进村学习",
            "落实班子成员联系党员制度",
        ),
        (
            "，下半年前完成。",
            "，每季度检查一次。",
            "，纳入年度考核。",
            "，由书记负总责。",
            "，明确专人负责。",
            "，年中开展回头看。",
            "，结果在党务公开栏公示。",
            "，列入明年责任清单。",
        ),
    ),
    (
        (
            "推行党员积分管理",
            "完善党群服务中心功能",
            "建立问题整改台账",
            "开展“党员联户”活动",
            "发展壮大村集体经济",
            "加强网格党小组建设",
            "健全村务监督机制",
            "开展党员志愿服务",
        ),
        (
            "，明年一季度见效。",
            "，按月通报进展。",
            "，年底前对账销号。",
            "，接受群众监督。",
            "，力争集体收入翻番。",
            "，每个网格配强党小组长。",
            "，定期听取群众意见。",
            "，每名党员每年服务不少于二十小时。",
        ),
    ),
)
SECTION_POOLS = {"履职情况": _DUTIES, "存在问题": _PROBLEMS, "原因分析": _CAUSES, "下步打算": _PLANS}

# What a record adds to its item's formula: what was done this time.
RECORD_DETAILS = (
    "传达学习上级文件精神，部署近期重点工作。",
    "应到党员{count}人，实到{present}人，请假人员已补学。",
    "结合村务工作讨论了三项具体事项并形成决议。",
    "会后将学习资料发放到每名党员手中。",
    "流动党员通过视频方式参加。",
    "围绕换届后班子建设交流发言{count}人次。",
    "对上次会议决定事项的落实情况进行了通报。",
    "邀请驻村第一书记参加并作点评。",
    "重点讨论了发展党员和党费收缴工作。",
    "形成会议纪要，相关材料已归档。",
    "结合人居环境整治安排党员责任区。",
    "会上查摆了上季度工作中的不足。",
)


def _figures(rng: random.Random) -> dict[str, int]:
    return {
        "meetings": rng.randint(11, 14),
        "lectures": rng.randint(2, 6),
        "cases": rng.randint(3, 30),
        "money": rng.randint(5, 80),
    }


def report_sections(rng: random.Random) -> dict[str, str]:
    """A report's sections in rich text, each of sentences drawn from its pools."""
    figures = _figures(rng)
    sections = {}
    for title, slots in SECTION_POOLS.items():
        sentences = [(rng.choice(heads) + rng.choice(tails)).format(**figures) for heads, tails in slots]
        sections[title] = "".join(f"<p>{sentence}</p>" for sentence in sentences)
    return sections


def report_copy(rng: random.Random, sections: dict[str, str]) -> dict[str, str]:
    """A sibling's report handed in as one's own: the words kept, the figures changed."""
    figures = _figures(rng)
    copied = {}
    for title, body in sections.items():
        for digit in "0123456789":
            # A copier changes the counts; the measure reads any number as the same mark anyway.
            body = body.replace(digit, str(figures["cases"] % 10))
        copied[title] = body
    return copied


def record_text(rng: random.Random, formula: str, previous: str | None) -> str:
    """One record of an item: its formula and what was done, or the previous record repeated."""
    if previous is not None and rng.random() < RECORD_REPEAT_SHARE:
        return previous
    detail = rng.choice(RECORD_DETAILS).format(count=rng.randint(20, 36), present=rng.randint(15, 30))
    return f"{formula}。{detail}"
