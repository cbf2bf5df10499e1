"""The half-year summary drafted from the board: per group, what was achieved with its figures
and completion, what is behind, and the supervision items still open, as a Word file the
office edits (python-docx) and as a PDF (reportlab's CID font renders the Chinese)."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Any

from tongzhou.board.models import OPEN_ITEM_STATUSES, Indicator
from tongzhou.board.selectors import Row, row_for
from tongzhou.board.supervision import items_visible_to, units_review
from tongzhou.core import clock, periods
from tongzhou.geo.models import Region

GROUP_NUMBERS = "一二三四五六七八九十"


@dataclass
class Section:
    group: str
    achieved: list[str] = field(default_factory=list)
    behind: list[str] = field(default_factory=list)


@dataclass
class Draft:
    title: str
    area: Region
    period_id: str
    sections: list[Section]
    open_items: list[str]
    reviews: list[str] = field(default_factory=list)


def _sentence(row: Row) -> str:
    indicator = row.indicator
    text = f"{indicator.name}{row.shown_text}{indicator.unit_label}"
    if row.value is not None and row.value.denominator:
        text += f"（{_plain(row.value.numerator)}/{_plain(row.value.denominator)}）"
    if row.target is not None and row.done is not None:
        text += f"，目标{_plain(row.target.value)}{indicator.unit_label}，完成率{row.done_text}"
    return text


def _plain(value: float | None) -> str:
    return "—" if value is None else f"{value:,.2f}".rstrip("0").rstrip(".")


def draft(actor: Any, area: Region, period_id: str) -> Draft:
    """The draft for the half-year (or any period) `period_id`: indicators of that period, or of
    a shorter one ending on its last day (a month's, a quarter's)."""
    end = periods.bounds(period_id)[1]
    sections: dict[str, Section] = {}
    for indicator in Indicator.objects.filter(is_active=True):
        pid = (
            period_id
            if indicator.period_type in ("half", "year")
            else periods.period_of(indicator.period_type, end)
        )
        row = row_for(indicator, area, pid, end)
        if row.value is None and pid != periods.period_of(indicator.period_type, end):
            # A year's figure reported or computed for the year so far.
            row = row_for(indicator, area, periods.period_of(indicator.period_type, end), end)
        section = sections.setdefault(indicator.group, Section(indicator.group))
        if row.shown is None:
            continue
        (section.behind if row.light.colour in ("red", "yellow") else section.achieved).append(
            _sentence(row)
            + ("" if row.light.colour not in ("red", "yellow") else f"（{row.light.why}）")
        )
    items = [
        f"{item.title}（{item.unit.name}，期限{item.deadline:%Y年%m月%d日}，{item.get_status_display()}）"
        for item in items_visible_to(actor)
        .filter(status__in=OPEN_ITEM_STATUSES)
        .order_by("deadline")
    ]
    start = periods.bounds(period_id)[0]
    reviews = [
        f"{r.unit.name}：交办{r.given}件，办结{r.closed}件，其中按期办结{r.closed_on_time}件"
        + (f"，按期办结率{r.on_time_share:.0%}" if r.on_time_share is not None else "")
        + (f"，逾期未办结{r.overdue_open}件" if r.overdue_open else "")
        + (f"，退办{r.sent_back}次" if r.sent_back else "")
        + "。"
        for r in units_review(actor, start, end, min(end, clock.today()))
        if r.unit.path.startswith(area.path)
    ]
    title = f"{area.name}民政工作{periods.label(period_id)}工作总结（草稿）"
    return Draft(
        title,
        area,
        period_id,
        [s for s in sections.values() if s.achieved or s.behind],
        items,
        reviews,
    )


def as_docx(found: Draft) -> bytes:
    from docx import Document
    from docx.oxml.ns import qn
    from docx.shared import Pt

    document = Document()
    style = document.styles["Normal"]
    style.font.name = "SimSun"
    style.font.size = Pt(12)
    style.element.rPr.rFonts.set(qn("w:eastAsia"), "宋体")
    document.add_heading(found.title, level=0)
    document.add_paragraph(
        f"（由同舟平台指标看板于{clock.today():%Y年%m月%d日}生成，供办公室修改）"
    )
    for number, section in enumerate(found.sections):
        document.add_heading(f"{GROUP_NUMBERS[number % 10]}、{section.group}", level=1)
        for line in section.achieved:
            document.add_paragraph(line, style="List Bullet")
        if section.behind:
            document.add_paragraph("存在的不足：")
            for line in section.behind:
                document.add_paragraph(line, style="List Bullet")
    document.add_heading("督办事项办理情况", level=1)
    for line in found.open_items or ["无未办结督办事项。"]:
        document.add_paragraph(line, style="List Bullet")
    if found.reviews:
        document.add_paragraph("督考问效（各单位督办事项办理）：")
        for line in found.reviews:
            document.add_paragraph(line, style="List Bullet")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def as_pdf(found: Draft) -> bytes:
    # reportlab loads its fonts and page machinery on import: paid only when a PDF is made.
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    body = ParagraphStyle("body", fontName="STSong-Light", fontSize=11, leading=17)
    heading = ParagraphStyle("heading", parent=body, fontSize=14, leading=22, spaceBefore=8)
    title = ParagraphStyle("title", parent=body, fontSize=18, leading=26)
    story: list[Any] = [Paragraph(found.title, title), Spacer(1, 8)]
    for number, section in enumerate(found.sections):
        story.append(Paragraph(f"{GROUP_NUMBERS[number % 10]}、{section.group}", heading))
        story += [Paragraph(f"· {line}", body) for line in section.achieved]
        if section.behind:
            story.append(Paragraph("存在的不足：", body))
            story += [Paragraph(f"· {line}", body) for line in section.behind]
    story.append(Paragraph("督办事项办理情况", heading))
    story += [Paragraph(f"· {line}", body) for line in found.open_items or ["无未办结督办事项。"]]
    if found.reviews:
        story.append(Paragraph("督考问效（各单位督办事项办理）：", body))
        story += [Paragraph(f"· {line}", body) for line in found.reviews]
    buffer = io.BytesIO()
    SimpleDocTemplate(buffer, pagesize=A4, title=found.title).build(story)
    return buffer.getvalue()
