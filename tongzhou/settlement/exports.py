"""Statements in the forms the bureau files: an Excel workbook and a PDF with the usual
header (unit, period, figures) and signature lines; monthly figures per district for charts."""

from __future__ import annotations

import datetime as dt
import io
from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.db.models import Count, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from tongzhou.core.money import yuan, yuan_in_words
from tongzhou.core.spreadsheets import xlsx_append
from tongzhou.elders.models import Category
from tongzhou.meals.models import MealStatus
from tongzhou.settlement.models import Funder, Statement

FUNDER_NAMES = {
    Funder.DISTRICT: "区县财政（含补贴钱包、送餐补贴）",
    Funder.CITY: "市级财政",
    Funder.CHARITY: "慈善资金（含慈善钱包）",
    Funder.PREPAID: "老人预存（个人余额）",
    Funder.CANTEEN: "食堂让利（不结算）",
}
SESSION_NAMES = {"breakfast": "早餐", "lunch": "午餐", "dinner": "晚餐"}
SIGNATURES = ("食堂负责人（签字盖章）", "乡镇（街道）审核", "区县民政局审核", "市民政局批准")


FUNDER_NAMES_EN = {
    Funder.DISTRICT: "district fund (incl. subsidy purse and delivery subsidy)",
    Funder.CITY: "city fund",
    Funder.CHARITY: "charity fund (incl. charity allowance)",
    Funder.PREPAID: "elders' prepaid money",
    Funder.CANTEEN: "canteen's own discount (not settled)",
}
_EXTRA_ROWS = {
    "delivery": ("　其中：送餐费补贴", "  of which: delivery fee subsidy"),
    "operating": ("运营补贴（按服务人天）", "operating subsidy (per elder-day)"),
    "payable": ("应结算合计", "total to settle"),
}


def statement_rows(
    statement: Statement, figures: Any, *, english: bool = False
) -> list[tuple[str, int | None, int | None, int]]:
    """(funder, sales, reversals, net) in fen, then the operating subsidy and the total."""
    names = FUNDER_NAMES_EN if english else FUNDER_NAMES
    extra = {key: pair[1 if english else 0] for key, pair in _EXTRA_ROWS.items()}
    rows: list[tuple[str, int | None, int | None, int]] = [
        (names[Funder(f)], figures.sales[f], figures.reversals[f], net)
        for f, net in figures.funders.items()
    ]
    delivery = figures.sales["delivery_subsidy"] - figures.reversals["delivery_subsidy"]
    rows.insert(1, (extra["delivery"], None, None, delivery))
    rows.append((extra["operating"], None, None, figures.operating_fen))
    rows.append((extra["payable"], None, None, figures.payable_fen))
    return rows


def category_rows(figures: Any, *, english: bool = False) -> list[tuple[str, int]]:
    """Meals per category by the category's name (a meal without one: by age only)."""
    names = {
        code: (name_en if english else name_zh)
        for code, name_zh, name_en in Category.objects.values_list("code", "name_zh", "name_en")
    }
    names["none"] = "no category (by age only)" if english else "无类别（仅按年龄）"
    return [(names.get(code, code), count) for code, count in figures.by_category.items()]


def _yuan_cell(fen: int | None) -> Decimal | None:
    """An amount as a number Excel can sum (yuan, two decimals), never as text."""
    return None if fen is None else Decimal(fen) / 100


YUAN_FORMAT = "#,##0.00"


def _title(statement: Statement) -> tuple[str, str]:
    return (
        f"{statement.canteen.name} 老年助餐结算单",
        f"结算期间：{statement.period.starts_on:%Y-%m-%d} 至 {statement.period.ends_on:%Y-%m-%d}"
        f"　状态：{statement.get_status_display()}",
    )


def statement_xlsx(statement: Statement, figures: Any) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "结算单"
    title, subtitle = _title(statement)
    xlsx_append(sheet, [title])
    sheet["A1"].font = Font(size=14, bold=True)
    xlsx_append(sheet, [subtitle])
    xlsx_append(
        sheet, [f"运营单位：{statement.canteen.operator}　食堂编码：{statement.canteen.code}"]
    )
    xlsx_append(sheet, [])
    xlsx_append(sheet, ["出资方", "消费（元）", "撤销/退款（元）", "应结算（元）"])
    header_row = sheet.max_row
    for name, sales, reversals, net in statement_rows(statement, figures):
        xlsx_append(sheet, [name, _yuan_cell(sales), _yuan_cell(reversals), _yuan_cell(net)])
    for cells in sheet.iter_rows(min_row=header_row + 1, max_row=sheet.max_row, min_col=2):
        for cell in cells:
            cell.number_format = YUAN_FORMAT
    sheet.cell(row=sheet.max_row, column=1).font = Font(bold=True)
    sheet.cell(row=sheet.max_row, column=4).font = Font(bold=True)
    xlsx_append(sheet, ["合计金额（大写）", yuan_in_words(figures.payable_fen)])
    xlsx_append(sheet, [])
    xlsx_append(
        sheet, ["用餐人次", figures.sales["count"], "撤销/退款笔数", figures.reversals["count"]]
    )
    xlsx_append(sheet, ["服务人天", figures.elder_days, "跨期调整笔数", figures.adjustments])
    xlsx_append(sheet, ["餐次", "人次"])
    for session, count in figures.by_session.items():
        xlsx_append(sheet, [SESSION_NAMES.get(session, session), count])
    xlsx_append(sheet, ["人员类别", "人次"])
    for category, count in category_rows(figures):
        xlsx_append(sheet, [category, count])
    comments = list(statement.comments.select_related("author"))
    if comments:
        xlsx_append(sheet, [])
        xlsx_append(sheet, ["处理记录", "经办人", "时间", "意见"])
        for comment in comments:
            xlsx_append(sheet, [comment.get_step_display(), str(comment.author),
                                f"{timezone.localtime(comment.created_at):%Y-%m-%d %H:%M}",
                                comment.text])  # fmt: skip
    xlsx_append(sheet, [])
    for label in SIGNATURES:
        xlsx_append(sheet, [label, "", "日期", ""])
    for column, width in zip("ABCD", (34, 16, 18, 16), strict=True):
        sheet.column_dimensions[column].width = width
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def statement_pdf(statement: Statement, figures: Any) -> bytes:
    # reportlab loads its fonts and page machinery on import: paid only when a PDF is made.
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    # A CID font: PDF readers supply the glyphs, so no font file ships with the platform.
    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    font = "STSong-Light"
    heading = ParagraphStyle("h", fontName=font, fontSize=16, leading=22, alignment=1)
    body = ParagraphStyle("b", fontName=font, fontSize=10.5, leading=16)
    title, subtitle = _title(statement)
    table = Table(
        [
            ["出资方", "消费（元）", "撤销/退款（元）", "应结算（元）"],
            *[
                (
                    name,
                    "" if sales is None else yuan(sales),
                    "" if reversals is None else yuan(reversals),
                    yuan(net),
                )
                for name, sales, reversals, net in statement_rows(statement, figures)
            ],
            ["合计金额（大写）", yuan_in_words(figures.payable_fen), "", ""],
        ],
        colWidths=[190, 90, 100, 90],
    )
    table.setStyle(TableStyle([
        ("FONTNAME", (0, 0), (-1, -1), font), ("FONTSIZE", (0, 0), (-1, -1), 10),
        ("GRID", (0, 0), (-1, -1), 0.5, colors.grey), ("ALIGN", (1, 1), (-1, -1), "RIGHT"),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef6")),
        ("SPAN", (1, -1), (-1, -1)), ("ALIGN", (1, -1), (-1, -1), "LEFT"),
    ]))  # fmt: skip
    signatures = Table([[label, "", "日期：", ""] for label in SIGNATURES],
                       colWidths=[150, 150, 50, 120], rowHeights=30)  # fmt: skip
    signatures.setStyle(TableStyle([
        ("FONTNAME", (0, 0), (-1, -1), font), ("LINEBELOW", (1, 0), (1, -1), 0.5, colors.black),
        ("LINEBELOW", (3, 0), (3, -1), 0.5, colors.black), ("VALIGN", (0, 0), (-1, -1), "BOTTOM"),
    ]))  # fmt: skip
    sessions = "、".join(f"{SESSION_NAMES.get(s, s)}{n}" for s, n in figures.by_session.items())
    story = [
        Paragraph(title, heading),
        Paragraph(subtitle, body),
        Paragraph(
            f"运营单位：{statement.canteen.operator}　食堂编码：{statement.canteen.code}", body
        ),
        Spacer(1, 10),
        table,
        Spacer(1, 8),
        Paragraph(
            f"用餐{figures.sales['count']}人次（{sessions or '无'}），"
            f"撤销/退款{figures.reversals['count']}笔，"
            f"服务{figures.elder_days}人天，跨期调整{figures.adjustments}笔。",
            body,
        ),
        Spacer(1, 24),
        signatures,
    ]
    out = io.BytesIO()
    document = SimpleDocTemplate(out, pagesize=A4, title=title, author="同舟")
    document.build(story)
    return out.getvalue()


def monthly_by_district(meals: Any, today: dt.date, months: int = 12) -> dict[str, Any]:
    """Meals and subsidy per month per district (completed sales), for the charts."""
    first = (today.replace(day=1) - dt.timedelta(days=31 * (months - 1))).replace(day=1)
    rows = (
        meals.filter(status=MealStatus.COMPLETED, business_date__gte=first)
        .annotate(month=TruncMonth("business_date"))
        .values("month", "canteen__village__parent__parent__name")
        .annotate(meals=Count("pk"), subsidy=Sum("subsidy_fen"))
        .order_by("month")
    )
    series: dict[str, dict[str, tuple[int, int]]] = defaultdict(dict)
    labels: list[str] = []
    for row in rows:
        label = f"{row['month']:%Y-%m}"
        if label not in labels:
            labels.append(label)
        series[row["canteen__village__parent__parent__name"]][label] = (
            row["meals"],
            row["subsidy"],
        )
    return {"months": labels, "districts": dict(series)}


def chart_xlsx(figures: dict[str, Any]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "按月按区县"
    districts = list(figures["districts"])
    xlsx_append(
        sheet, ["月份", *[f"{d}人次" for d in districts], *[f"{d}补贴（元）" for d in districts]]
    )
    for month in figures["months"]:
        values = [figures["districts"][d].get(month, (0, 0)) for d in districts]
        year, number = month.split("-")
        xlsx_append(
            sheet,
            [f"{year}年{int(number)}月", *[v[0] for v in values],
             *[Decimal(v[1]) / 100 for v in values]],
        )  # fmt: skip
    last = sheet.max_row
    xlsx_append(sheet, ["合计", *[f"=SUM({get_column_letter(c)}2:{get_column_letter(c)}{last})"
                                  for c in range(2, 2 + 2 * len(districts))]])  # fmt: skip
    for row in sheet.iter_rows(min_row=2, min_col=2 + len(districts)):
        for cell in row:
            cell.number_format = YUAN_FORMAT
    for row in sheet.iter_rows(min_row=2, min_col=2, max_col=1 + len(districts)):
        for cell in row:
            cell.number_format = "#,##0"
    chart = BarChart()
    chart.title = "各区县每月用餐人次"
    chart.y_axis.title = "人次"
    data = Reference(sheet, min_col=2, max_col=1 + len(districts), min_row=1,
                     max_row=1 + len(figures["months"]))  # fmt: skip
    chart.add_data(data, titles_from_data=True)
    chart.set_categories(Reference(sheet, min_col=1, min_row=2, max_row=1 + len(figures["months"])))
    sheet.add_chart(chart, f"A{last + 3}")
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
