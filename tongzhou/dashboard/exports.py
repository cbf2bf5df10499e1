"""The lists officials work from, as Excel: elders in scope, a month's meals, wellness
alerts (and, from the coverage page, the villages). Each reads through the domain's own
scoped selector; the files are in Chinese, amounts in yuan as numbers, with totals."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from django.http import FileResponse
from django.utils import timezone, translation

from tongzhou.bookings.models import AlertOutcome
from tongzhou.bookings.selectors import alerts_for
from tongzhou.core.downloads import Column, xlsx_download
from tongzhou.core.masking import mask_name
from tongzhou.elders.ages import AGE_BANDS
from tongzhou.elders.models import Category
from tongzhou.elders.selectors import elder_export_rows
from tongzhou.meals.models import SESSION_CHOICES, MealStatus
from tongzhou.meals.selectors import meals_visible_to


def _zh(value: Any) -> str:
    with translation.override("zh-hans"):
        return str(value)


def elders_xlsx(*, actor: Any, status: str | None, village: str | None) -> FileResponse:
    with translation.override("zh-hans"):  # its labels (gender, status) in Chinese
        rows = elder_export_rows(actor=actor, status=status or None, residence_code=village or None)
    columns = [
        Column("编号", "int", 8),
        Column("姓名", width=10),
        Column("性别", width=6),
        Column("身份证号（部分隐藏）", width=22),
        Column("年龄", "int", 6),
        Column("镇（街道）", width=14),
        Column("村（社区）", width=20),
        Column("居住状况", width=10),
        Column("状态", width=8),
    ]
    today = timezone.localdate()
    return xlsx_download(
        filename=f"老年人名册-{today:%Y%m%d}.xlsx",
        title=f"老年人名册（导出于{today:%Y年%m月%d日}，身份证号已部分隐藏）",
        columns=columns,
        rows=rows[1:],
    )


def meals_xlsx(*, actor: Any, month: dt.date) -> FileResponse:
    """Every sale of the month in the actor's area, one row each, with who paid what."""
    last = (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
    meals = (
        meals_visible_to(actor)
        .filter(business_date__range=(month, last))
        .select_related("canteen", "elder")
        .order_by("business_date", "canteen__code", "created_at")
    )
    sessions = {key: _zh(label) for key, label in SESSION_CHOICES}
    statuses = {key: _zh(label) for key, label in MealStatus.choices}
    bands = {band.code: _zh(band.label) for band in AGE_BANDS}
    categories = dict(Category.objects.values_list("code", "name_zh"))

    def rows() -> Iterator[list[Any]]:
        for meal in meals.iterator(chunk_size=2000):
            yield [
                meal.business_date,
                sessions.get(meal.session, meal.session),
                meal.canteen.name,
                meal.receipt_no,
                mask_name(meal.elder.name),
                bands.get(meal.age_band, meal.age_band),
                "、".join(categories.get(c, c) for c in meal.categories),
                meal.total_fen,
                meal.subsidy_fen + meal.delivery_subsidy_fen,
                meal.district_fen,
                meal.city_fen,
                meal.charity_fen,
                meal.own_fen,
                meal.subsidy_purse_fen,
                meal.charity_purse_fen,
                statuses.get(meal.status, meal.status),
            ]

    columns = [
        Column("日期", "date", 11),
        Column("餐次", width=6),
        Column("食堂", width=22),
        Column("小票号", width=24),
        Column("老人", width=8),
        Column("年龄段", width=10),
        Column("人员类别", width=16),
        Column("消费（元）", "yuan", 10, total=True),
        Column("补贴合计（元）", "yuan", 12, total=True),
        Column("区县财政（元）", "yuan", 12, total=True),
        Column("市级财政（元）", "yuan", 12, total=True),
        Column("慈善资金（元）", "yuan", 12, total=True),
        Column("个人余额支付（元）", "yuan", 14, total=True),
        Column("补贴钱包支付（元）", "yuan", 14, total=True),
        Column("慈善钱包支付（元）", "yuan", 14, total=True),
        Column("状态", width=8),
    ]
    return xlsx_download(
        filename=f"用餐明细-{month:%Y%m}.xlsx",
        title=f"老年助餐用餐明细（{month:%Y年%m月}）",
        columns=columns,
        rows=rows(),
    )


def alerts_xlsx(*, actor: Any, state: str) -> FileResponse:
    alerts = alerts_for(actor, open_only=False).select_related("closed_by", "booking__run__courier")
    if state == "open":
        alerts = alerts.filter(closed_at__isnull=True)
    elif state == "closed":
        alerts = alerts.filter(closed_at__isnull=False)
    outcomes = {key: _zh(label) for key, label in AlertOutcome.choices}
    columns = [
        Column("提醒时间", "datetime", 16),
        Column("老人", width=10),
        Column("村（社区）", width=20),
        Column("食堂", width=22),
        Column("送餐员", width=14),
        Column("状态", width=8),
        Column("处理结果", width=22),
        Column("情况说明", width=40),
        Column("处理人", width=14),
        Column("处理时间", "datetime", 16),
    ]
    rows = (
        [
            alert.raised_at,
            alert.elder.name,
            alert.village.name,
            alert.booking.canteen.name,
            str(alert.raised_by or ""),
            "已处理" if alert.closed_at else "待处理",
            outcomes.get(alert.outcome, ""),
            alert.note,
            str(alert.closed_by or ""),
            alert.closed_at,
        ]
        for alert in alerts.order_by("-raised_at").iterator(chunk_size=2000)
    )
    today = timezone.localdate()
    return xlsx_download(
        filename=f"关爱提醒-{today:%Y%m%d}.xlsx",
        title=f"送餐无人应答关爱提醒（导出于{today:%Y年%m月%d日}）",
        columns=columns,
        rows=rows,
    )
