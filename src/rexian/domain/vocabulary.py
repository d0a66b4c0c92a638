"""The business vocabulary: one English name per Chinese term (see the glossary in README.md)."""

from __future__ import annotations

from enum import StrEnum


class Channel(StrEnum):
    """Intake channel (受理渠道)."""

    PHONE = "phone"
    WEB = "web"
    APP = "app"
    WECHAT = "wechat"
    EMAIL = "email"
    SMS = "sms"
    OPEN311 = "open311"
    IMPORT = "import"


class AppealType(StrEnum):
    """诉求类型."""

    CONSULTATION = "consultation"  # 咨询
    HELP = "help"  # 求助
    SUGGESTION = "suggestion"  # 建议
    COMPLAINT = "complaint"  # 投诉
    REPORT = "report"  # 举报


class Urgency(StrEnum):
    """紧急程度."""

    NORMAL = "normal"  # 一般
    URGENT = "urgent"  # 紧急
    EMERGENCY = "emergency"  # 特急


class Satisfaction(StrEnum):
    """回访满意度."""

    SATISFIED = "satisfied"  # 满意
    BASICALLY_SATISFIED = "basically_satisfied"  # 基本满意
    UNSATISFIED = "unsatisfied"  # 不满意


class Role(StrEnum):
    """Who a user is to the hotline."""

    CITIZEN = "citizen"
    AGENT = "agent"  # 话务员: takes calls, files orders
    DISPATCHER = "dispatcher"  # 派单员 of the hotline office
    UNIT_STAFF = "unit_staff"  # 承办单位工作人员
    UNIT_ADMIN = "unit_admin"
    SUPERVISOR = "supervisor"  # 督办
    ADMIN = "admin"
    SYSTEM = "system"  # the platform itself (router, SLA sweep)


APPEAL_TYPE_ZH = {
    AppealType.CONSULTATION: "咨询",
    AppealType.HELP: "求助",
    AppealType.SUGGESTION: "建议",
    AppealType.COMPLAINT: "投诉",
    AppealType.REPORT: "举报",
}
