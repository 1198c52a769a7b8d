"""The report printed to A4: QTextDocument pages with headings kept with what follows them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QMarginsF, QRectF, QSizeF, Qt
from PySide6.QtGui import (
    QFont,
    QImage,
    QPageLayout,
    QPageSize,
    QPainter,
    QPdfWriter,
    QTextBlock,
    QTextCursor,
    QTextDocument,
    QTextFormat,
    QTextFrame,
    QTextOption,
)

from workbench.gui.evaluate.confusion_plot import _application

# A4 less 15 mm margins, in the 96-dpi units QTextDocument lays out in; the bottom 8 mm of the
# printable area holds the page number.
MARGIN_MM = 15.0
FOOTER_MM = 8.0
_PX_PER_MM = 96 / 25.4
PAGE_WIDTH = (210 - 2 * MARGIN_MM) * _PX_PER_MM
PAGE_HEIGHT = (297 - 2 * MARGIN_MM - FOOTER_MM) * _PX_PER_MM
# Up to these shares of a page, a table / a block (a figure, a paragraph) is never split.
KEEP_TABLE, KEEP_BLOCK = 0.45, 0.7
KEEP_AFTER_HEADING = 140.0  # px of what follows a heading that must share its page
LEAD_IN = 40.0  # a block this short just before a table stays with it ("Settings: …")
_SCRIPTS = re.compile(r"<script.*?</script>", re.DOTALL)


@dataclass(frozen=True)
class Element:
    """A top-level block or table of the laid-out document and where it lies."""

    kind: str  # "heading", "block" or "table"
    text: str
    top: float
    bottom: float
    position: int
    height: float  # on one endless page: what a page break inside it does not inflate

    @property
    def first_page(self) -> int:
        return int(self.top // PAGE_HEIGHT)

    @property
    def last_page(self) -> int:
        return int(max(self.top, self.bottom - 1) // PAGE_HEIGHT)

    @property
    def kept_whole(self) -> bool:
        limit = KEEP_TABLE if self.kind == "table" else KEEP_BLOCK
        return self.height <= limit * PAGE_HEIGHT


def _is_empty(block: QTextBlock) -> bool:
    return block.length() <= 1


def elements(document: QTextDocument, heights: dict[int, float] | None = None) -> list[Element]:
    """The root frame's blocks (empty ones left out) and tables, top to bottom, as laid out;
    `heights` (by position) as measured unpaginated."""
    heights = heights or {}
    layout = document.documentLayout()
    root = document.rootFrame()
    found: list[tuple[int, Element]] = []
    block = document.firstBlock()
    while block.isValid():
        if QTextCursor(block).currentFrame() == root and not _is_empty(block):
            rect = layout.blockBoundingRect(block)
            kind = "heading" if block.blockFormat().headingLevel() > 0 else "block"
            position = block.position()
            height = heights.get(position, rect.height())
            element = Element(kind, block.text(), rect.top(), rect.bottom(), position, height)
            found.append((position, element))
        block = block.next()
    for frame in root.childFrames():
        rect = layout.frameBoundingRect(frame)
        text = QTextCursor(frame.firstCursorPosition()).block().text()
        position = frame.firstPosition()
        height = heights.get(position, rect.height())
        element = Element("table", text, rect.top(), rect.bottom(), position, height)
        found.append((position, element))
    found.sort(key=lambda pair: pair[0])
    return [element for _, element in found]


def _frame_at(document: QTextDocument, position: int) -> QTextFrame | None:
    for frame in document.rootFrame().childFrames():
        if frame.firstPosition() == position:
            return frame
    return None


def _break_before(document: QTextDocument, element: Element) -> None:
    if element.kind == "table":
        frame = _frame_at(document, element.position)
        if frame is not None:
            frame_format = frame.frameFormat()
            frame_format.setPageBreakPolicy(QTextFormat.PageBreakFlag.PageBreak_AlwaysBefore)
            frame.setFrameFormat(frame_format)
        return
    block = document.findBlock(element.position)
    block_format = block.blockFormat()
    block_format.setPageBreakPolicy(QTextFormat.PageBreakFlag.PageBreak_AlwaysBefore)
    QTextCursor(block).setBlockFormat(block_format)


def _keep_end(items: list[Element], index: int) -> float:
    """Where the part of the document that must share a page with heading `index` ends: up to
    what it introduces (other headings and a few short lines like "Accuracy 99.5%…" between)."""
    end = items[index].bottom
    short_lines = 0
    for follower in items[index + 1 :]:
        if follower.kind == "heading" or (
            follower.kind == "block" and follower.height <= LEAD_IN and short_lines < 3
        ):
            short_lines += follower.kind == "block"
            end = follower.bottom
            continue
        end = follower.bottom if follower.kept_whole else follower.top
        end = max(end, min(follower.bottom, follower.top + KEEP_AFTER_HEADING))
        break
    return end


def _leads_in(items: list[Element], index: int) -> bool:
    """A heading, or a short block right before a table: it shares a page with what follows."""
    item = items[index]
    if item.kind == "heading":
        return True
    following = items[index + 1] if index + 1 < len(items) else None
    return (
        item.kind == "block"
        and item.bottom - item.top <= LEAD_IN
        and following is not None
        and following.kind == "table"
    )


def _first_problem(items: list[Element], skip: set[int]) -> int | None:
    """The first element to move to a new page: a stranded heading, or a small element split
    (those at a position in `skip` already start a page)."""
    for index, item in enumerate(items):
        if index == 0 or item.position in skip:
            continue
        if _leads_in(items, index):
            end = _keep_end(items, index)
            if int(max(item.top, end - 1) // PAGE_HEIGHT) != item.first_page:
                first = index
                while first > 1 and _leads_in(items, first - 1):
                    first -= 1  # a heading over a lead-in moves with it
                return first
        elif item.kept_whole and item.last_page != item.first_page:
            if _leads_in(items, index - 1):
                continue  # moving what leads in fixes both
            return index
    return None


def keep_together(document: QTextDocument, passes: int = 200) -> int:
    """Insert page breaks so no heading ends a page and no small table or figure is split."""
    page = document.pageSize()
    document.setPageSize(QSizeF(page.width(), 1e9))
    heights = {item.position: item.bottom - item.top for item in elements(document)}
    document.setPageSize(page)
    broken: set[int] = set()
    for _ in range(passes):
        items = elements(document, heights)
        index = _first_problem(items, skip=broken)
        if index is None:
            break
        _break_before(document, items[index])
        broken.add(items[index].position)  # once is enough
    return len(broken)


def layout_problems(document: QTextDocument) -> list[str]:
    """What a reader would see wrong in the pages: headings at a page bottom, small tables or
    figures split over two pages, words split across lines inside table cells."""
    items = elements(document)
    found = []
    for index, item in enumerate(items):
        following = items[index + 1] if index + 1 < len(items) else None
        if item.kind == "heading" and following is not None:
            if following.first_page != item.first_page:
                found.append(f"heading {item.text!r} ends page {item.first_page + 1}")
        elif item.kind != "heading" and item.kept_whole and item.last_page != item.first_page:
            found.append(f"{item.kind} {item.text[:30]!r} split over two pages")
    block = document.firstBlock()
    while block.isValid():
        text, layout = block.text(), block.layout()
        if QTextCursor(block).currentTable() is not None:
            for number in range(1, layout.lineCount()):
                at = layout.lineAt(number).textStart()
                if 0 < at < len(text) and text[at - 1].isalnum() and text[at].isalnum():
                    found.append(f"word split in a table cell: {text!r}")
        block = block.next()
    return found


def report_document(html: str, keep: bool = True) -> QTextDocument:
    """The report laid out on A4 pages (the script blocks are for programs, not for print);
    `keep=False` leaves Qt's own page breaks (for comparison)."""
    _application()
    document = QTextDocument()
    option = QTextOption()
    option.setWrapMode(QTextOption.WrapMode.WordWrap)  # never split a word ("kern el")
    document.setDefaultTextOption(option)
    font = QFont("DejaVu Sans")
    font.setPointSizeF(10)
    document.setDefaultFont(font)
    document.setHtml(_SCRIPTS.sub("", html))
    document.setPageSize(QSizeF(PAGE_WIDTH, PAGE_HEIGHT))
    document.setDocumentMargin(2)
    if keep:
        keep_together(document)
    return document


def _paint_page(painter: QPainter, document: QTextDocument, index: int, count: int) -> None:
    painter.save()
    painter.translate(0, -index * PAGE_HEIGHT)
    document.drawContents(painter, QRectF(0, index * PAGE_HEIGHT, PAGE_WIDTH, PAGE_HEIGHT))
    painter.restore()
    font = QFont(document.defaultFont())
    font.setPixelSize(11)  # in the document's units: the painter is scaled to the page
    painter.setFont(font)
    painter.setPen(Qt.GlobalColor.darkGray)
    footer = QRectF(0, PAGE_HEIGHT, PAGE_WIDTH, FOOTER_MM * _PX_PER_MM)
    painter.drawText(
        footer, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignBottom, f"{index + 1} / {count}"
    )


def write_pdf(html: str, path: str | Path) -> Path:
    """Print the report HTML to an A4 PDF with QPdfWriter; raises OSError when it cannot."""
    document = report_document(html)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = QPdfWriter(str(path))
    writer.setPageLayout(
        QPageLayout(
            QPageSize(QPageSize.PageSizeId.A4),
            QPageLayout.Orientation.Portrait,
            QMarginsF(MARGIN_MM, MARGIN_MM, MARGIN_MM, MARGIN_MM),
            QPageLayout.Unit.Millimeter,
        )
    )
    writer.setResolution(300)
    writer.setTitle("Workbench report")
    painter = QPainter()
    if not painter.begin(writer):
        raise OSError(f"cannot write {path}")
    scale = writer.width() / PAGE_WIDTH
    painter.scale(scale, scale)
    count = document.pageCount()
    for index in range(count):
        if index:
            writer.newPage()
        _paint_page(painter, document, index, count)
    painter.end()
    del writer  # the file is complete once the writer is gone
    if not path.is_file() or path.stat().st_size == 0:
        raise OSError(f"cannot write {path}")
    return path


def page_images(html: str, scale: float = 1.0, pages: int | None = None) -> list[QImage]:
    """The PDF's pages as images (white A4 with the same margins), the first `pages` of them."""
    document = report_document(html)
    count = document.pageCount()
    margin = MARGIN_MM * _PX_PER_MM
    images = []
    for index in range(count if pages is None else min(pages, count)):
        image = QImage(
            round(210 * _PX_PER_MM * scale),
            round(297 * _PX_PER_MM * scale),
            QImage.Format.Format_RGB32,
        )
        image.fill(0xFFFFFFFF)
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        painter.scale(scale, scale)
        painter.translate(margin, margin)
        _paint_page(painter, document, index, count)
        painter.end()
        images.append(image)
    return images


def write_page_pngs(html: str, stem: str | Path, scale: float = 1.0, pages: int = 2) -> list[Path]:
    """The first `pages` pages as STEM-1.png, STEM-2.png…; raises OSError when it cannot."""
    written = []
    for number, image in enumerate(page_images(html, scale, pages), 1):
        path = Path(f"{stem}-{number}.png")
        path.parent.mkdir(parents=True, exist_ok=True)
        if not image.save(str(path), "PNG"):
            raise OSError(f"cannot write {path}")
        written.append(path)
    return written


def first_page_png(html: str, path: str | Path, scale: float = 1.5) -> Path:
    """The report's first A4 page as the PDF lays it out, as PNG."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if not page_images(html, scale, 1)[0].save(str(path), "PNG"):
        raise OSError(f"cannot write {path}")
    return path
