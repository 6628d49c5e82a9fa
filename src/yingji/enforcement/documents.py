"""Enforcement documents (执法文书) as PDF, in Chinese, by ReportLab (pure: data in, bytes out).

The layout follows the usual shape of the official forms: the issuing body and the document's name centred
at the top, the document number (文号) under it, the addressee, the body in numbered paragraphs or labelled
fields, then the issuing body, the date and room for the seal (印章) and signatures. The wording is the
project's own.

Font: a CJK TrueType font found on the system is embedded (subset; text stays searchable and copyable); when
none is found, ReportLab's built-in Adobe-GB1 CID font ``STSong-Light`` is used, which PDF readers supply.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

FONT_CANDIDATES = (  # (path, sub-font index of a collection)
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 2),
    ("/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc", 2),
    ("/usr/share/fonts/truetype/arphic/uming.ttc", 0),
)
CID_FONT = "STSong-Light"


@cache
def font_name() -> str:
    for path, index in FONT_CANDIDATES:
        if Path(path).is_file():
            try:
                pdfmetrics.registerFont(TTFont("YingjiCJK", path, subfontIndex=index))
                return "YingjiCJK"
            except Exception:
                continue
    pdfmetrics.registerFont(UnicodeCIDFont(CID_FONT))
    return CID_FONT


@dataclass(frozen=True)
class Document:
    issuer: str  # 执法机关
    title: str  # 文书名称, e.g. 行政处罚决定书
    number: str  # 文号
    addressee: str  # 当事人 / 被检查单位
    fields: Sequence[tuple[str, str]] = ()  # labelled lines (检查时间, 检查人员 …)
    paragraphs: Sequence[str] = ()  # the body
    items: Sequence[str] = ()  # numbered items (findings, facts)
    closing: Sequence[str] = ()  # rights and remedies, payment instructions …
    dated: dt.date = field(default_factory=dt.date.today)
    signatures: Sequence[str] = ()  # who signs (执法人员, 当事人 …)


def _styles(font: str) -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("base", fontName=font, fontSize=11.5, leading=19, wordWrap="CJK")
    return {
        "issuer": ParagraphStyle("issuer", parent=base, fontSize=16, leading=24, alignment=TA_CENTER),
        "title": ParagraphStyle("title", parent=base, fontSize=20, leading=30, alignment=TA_CENTER),
        "number": ParagraphStyle("number", parent=base, alignment=TA_RIGHT),
        "body": ParagraphStyle("body", parent=base, firstLineIndent=23),
        "plain": base,
        "right": ParagraphStyle("right", parent=base, alignment=TA_RIGHT),
    }


def _date_zh(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def render(document: Document) -> bytes:
    """The document as PDF bytes (A4, margins 25 mm / 20 mm)."""
    font = font_name()
    s = _styles(font)
    out = io.BytesIO()
    pdf = SimpleDocTemplate(out, pagesize=A4, leftMargin=25 * mm, rightMargin=20 * mm, topMargin=25 * mm,
                            bottomMargin=20 * mm, title=document.title, author=document.issuer,
                            subject=document.number)  # fmt: skip
    flow: list[object] = [
        Paragraph(escape(document.issuer), s["issuer"]),
        Paragraph(escape(document.title), s["title"]),
        Paragraph(escape(document.number), s["number"]),
        Spacer(1, 4 * mm),
        Paragraph(escape(document.addressee) + "：", s["plain"]),
    ]
    if document.fields:
        rows = [[Paragraph(escape(k), s["plain"]), Paragraph(escape(v), s["plain"])] for k, v in document.fields]
        table = Table(rows, colWidths=[32 * mm, None])
        table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.5, "#000000"), ("VALIGN", (0, 0), (-1, -1), "TOP")]))
        flow += [Spacer(1, 2 * mm), table, Spacer(1, 3 * mm)]
    flow += [Paragraph(escape(p), s["body"]) for p in document.paragraphs]
    flow += [Paragraph(f"{n}. {escape(item)}", s["body"]) for n, item in enumerate(document.items, start=1)]
    flow += [Paragraph(escape(p), s["body"]) for p in document.closing]
    flow += [Spacer(1, 12 * mm), Paragraph(escape(document.issuer) + "（印章）", s["right"]),
             Paragraph(_date_zh(document.dated), s["right"])]  # fmt: skip
    if document.signatures:
        flow += [Spacer(1, 8 * mm)] + [Paragraph(escape(f"{who}（签名）：") + "　" * 8, s["plain"])
                                        for who in document.signatures]  # fmt: skip
    pdf.build(flow)  # type: ignore[arg-type]
    return out.getvalue()
