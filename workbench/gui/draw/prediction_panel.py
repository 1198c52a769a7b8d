"""The answer for the current input: the top digit large, top-2 bars, the 28×28 the network sees."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPen
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from workbench.core.recognition.reading import percent_text
from workbench.gui.widgets.qt_numpy import qimage_from_grey, qimage_from_rgb

ACCENT = QColor(33, 102, 172)
SECOND = QColor(150, 170, 200)
UNSURE = QColor(200, 120, 40)
DEFAULT_THRESHOLD = 0.6
PREVIEW_SCALE = 6
WHY_OFF = "Why this digit? Show the occlusion map"
WHY_ON = "Hide the occlusion map"
EVIDENCE_SCALE = (
    "Red: ink that is evidence for the top digit; covering its strongest part lowers that "
    "digit's odds. Blue: ink whose hiding makes the second digit more likely.\n"
    "Evidence: none (odds change under 3×), some (3–30×), strong (30–1000×), decisive (over "
    "1000×); one bit doubles the odds."
)


class TopTwoBars(QWidget):
    """Two rows, `digit ████░░░ 93.1 %`: the two most likely digits and their probabilities."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._top: list[tuple[int, float]] = []
        self._sure = True
        self.setMinimumSize(220, 64)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def set_top(self, top: list[tuple[int, float]], sure: bool = True) -> None:
        self._top, self._sure = list(top[:2]), sure
        self.update()

    def sizeHint(self) -> QSize:
        return QSize(280, 64)

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        font = QFont(painter.font())
        font.setPointSizeF(12)
        font.setBold(True)
        painter.setFont(font)
        row_h = self.height() / 2
        label_w = 26
        value_w = painter.fontMetrics().horizontalAdvance("> 99.9 %") + 10  # the widest value
        for row in range(2):
            y = row * row_h
            track = QRectF(
                label_w, y + row_h * 0.22, self.width() - label_w - value_w, row_h * 0.56
            )
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor(232, 232, 238))
            painter.drawRoundedRect(track, 4, 4)
            if row >= len(self._top):
                continue
            digit, probability = self._top[row]
            colour = (ACCENT if self._sure else UNSURE) if row == 0 else SECOND
            painter.setBrush(colour)
            filled = QRectF(
                track.left(), track.top(), max(track.width() * probability, 2.0), track.height()
            )
            painter.drawRoundedRect(filled, 4, 4)
            painter.setPen(QColor(30, 30, 40))
            painter.drawText(QRectF(0, y, label_w, row_h), Qt.AlignmentFlag.AlignCenter, str(digit))
            painter.drawText(
                QRectF(track.right() + 4, y, value_w - 4, row_h),
                Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                percent_text(probability, 1),
            )
        painter.end()


class InputPreview(QWidget):
    """The 28×28 network input, pixel for pixel, optionally under the occlusion map."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._image = QImage()
        self._grey: np.ndarray | None = None
        self._occlusion = None
        side = 28 * PREVIEW_SCALE + 2
        self.setFixedSize(side, side)
        self.setToolTip("Exactly what the network sees: 28×28 pixels, like an MNIST digit")

    def set_image(self, image: np.ndarray | None) -> None:
        self._grey = image
        self._occlusion = None
        self._rebuild()

    def set_occlusion(self, occlusion) -> None:
        """An explain.Occlusion for the current image, or None to show the plain input."""
        self._occlusion = occlusion
        self._rebuild()

    def image(self) -> QImage:
        return self._image

    def _rebuild(self) -> None:
        if self._grey is None:
            self._image = QImage()
        elif self._occlusion is None:
            self._image = qimage_from_grey(self._grey)
        else:
            self._image = qimage_from_rgb(occlusion_rgb(self._grey, self._occlusion))
        self.update()

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        rect = QRectF(1, 1, self.width() - 2, self.height() - 2)
        painter.fillRect(rect, QColor(0, 0, 0))
        if not self._image.isNull():
            painter.drawImage(rect, self._image)  # no smoothing: the pixels are the point
        painter.setPen(QPen(QColor(120, 120, 130), 1))
        painter.drawRect(QRectF(0.5, 0.5, self.width() - 1, self.height() - 1))
        painter.end()


def occlusion_rgb(grey: np.ndarray, occlusion) -> np.ndarray:
    """The input dimmed; red where its ink supports the top-1 digit, blue where hiding it
    favours the top-2. Each map is scaled to its own strongest effect (the legend gives it)."""
    base = np.repeat((np.asarray(grey, np.float32) * 0.5 * 255)[..., None], 3, axis=2)
    red = np.clip(occlusion.support / max(float(occlusion.support.max()), 1e-4), 0, 1)
    blue = np.clip(occlusion.favour_second / max(float(occlusion.favour_second.max()), 1e-4), 0, 1)
    strength = np.maximum(red, blue)[..., None]
    colour = np.where(
        (red >= blue)[..., None],
        np.array([235, 45, 30], np.float32),
        np.array([40, 130, 255], np.float32),
    )
    out = base * (1 - strength) + colour * strength
    return np.clip(out, 0, 255).astype(np.uint8)


class PredictionPanel(QWidget):
    """Shows a prediction; says "draw a digit" when empty and "not sure" below the threshold."""

    why_toggled = Signal(bool)

    def __init__(self, empty_text: str = "draw a digit", parent: QWidget | None = None):
        super().__init__(parent)
        self._empty_text = empty_text
        self._threshold = DEFAULT_THRESHOLD
        self._top: list[tuple[int, float]] | None = None
        self._state = "empty"
        self._big_colour = ""

        self.big = QLabel("–")
        self.big.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.big.setFixedSize(96, 104)
        big_font = QFont(self.big.font())
        big_font.setPointSize(60)
        big_font.setBold(True)
        self.big.setFont(big_font)
        self.verdict_label = QLabel()
        self.verdict_label.setWordWrap(True)
        verdict_font = QFont(self.verdict_label.font())
        verdict_font.setPointSize(13)
        self.verdict_label.setFont(verdict_font)
        self.bars = TopTwoBars()
        self.preview = InputPreview()
        caption = QLabel("What the network sees (28×28)")
        caption.setStyleSheet("color: #444;")
        self.why_button = QPushButton(WHY_OFF)
        self.why_button.setCheckable(True)
        self.why_button.setToolTip(
            "Occlusion map: cover each part of the input and see what happens to the top two "
            "digits. Click again to switch it off."
        )
        self.why_button.toggled.connect(self._on_why_button_toggled)
        self.legend = QLabel()
        self.legend.setWordWrap(True)
        self.legend.setToolTip(EVIDENCE_SCALE)
        self.legend.setVisible(False)

        head = QHBoxLayout()
        head.addWidget(self.big)
        head.addWidget(self.verdict_label, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(head)
        layout.addWidget(self.bars)
        layout.addSpacing(6)
        layout.addWidget(caption)
        preview_row = QHBoxLayout()
        preview_row.addWidget(self.preview)
        preview_row.addStretch(1)
        layout.addLayout(preview_row)
        layout.addWidget(self.why_button)
        layout.addWidget(self.legend)
        self._show()

    # -- setters --------------------------------------------------------------------------------

    def set_threshold(self, threshold: float) -> None:
        """Below this top-1 probability the panel says it is not sure instead of naming a digit."""
        self._threshold = float(threshold)
        self._show()

    def set_result(self, image: np.ndarray | None, top: list[tuple[int, float]] | None) -> None:
        """The 28×28 input and its top digits (best first); None for no input."""
        self._top = None if image is None or not top else list(top)
        self.preview.set_image(image if self._top is not None else None)
        self.legend.setVisible(False)
        self._show()

    def set_occlusion(self, occlusion) -> None:
        self.preview.set_occlusion(occlusion)
        if occlusion is None:
            self.legend.setVisible(False)
            return
        self.legend.setText(legend_html(occlusion))
        self.legend.setVisible(True)

    def set_why_checked(self, checked: bool) -> None:
        """Set the switch without emitting why_toggled (the window keeps every switch in step)."""
        blocked = self.why_button.blockSignals(True)
        self.why_button.setChecked(checked)
        self.why_button.blockSignals(blocked)
        self.why_button.setText(WHY_ON if checked else WHY_OFF)

    # -- queries --------------------------------------------------------------------------------

    def state(self) -> str:
        """ "empty", "sure" or "unsure"."""
        return self._state

    def verdict(self) -> str:
        return self.verdict_label.text()

    def top_digit(self) -> int | None:
        return None if self._top is None else self._top[0][0]

    # -- internals ------------------------------------------------------------------------------

    def _on_why_button_toggled(self, checked: bool) -> None:
        self.why_button.setText(WHY_ON if checked else WHY_OFF)
        self.why_toggled.emit(checked)

    def _show(self) -> None:
        top = self._top
        if top is None:
            self._state = "empty"
            self.big.setText("")
            self.verdict_label.setText(self._empty_text)
            self.bars.set_top([])
            self.why_button.setEnabled(False)
            return
        self.why_button.setEnabled(True)
        digit, probability = top[0]
        if probability >= self._threshold:
            self._state = "sure"
            self.big.setText(str(digit))
            self._colour_big(ACCENT)
            self.verdict_label.setText(f"a {digit} ({percent_text(probability)} sure)")
        else:
            self._state = "unsure"
            self.big.setText("?")
            self._colour_big(UNSURE)
            alternative = f" or {top[1][0]}" if len(top) > 1 else ""
            self.verdict_label.setText(
                f"not sure: maybe {digit}{alternative} "
                f"(only {percent_text(probability)} for {digit})"
            )
        self.bars.set_top(top, sure=self._state == "sure")

    def _colour_big(self, colour: QColor) -> None:
        if colour.name() != self._big_colour:  # a style sheet is costly: only on a change
            self._big_colour = colour.name()
            self.big.setStyleSheet(f"color: {colour.name()};")


def legend_html(occlusion) -> str:
    """The two colours of the map and how strong each effect is, on the evidence scale."""
    lost = occlusion.evidence_for_first().text("lower")
    gained = occlusion.evidence_for_second().text("higher")
    return (
        f"<span style='color:#eb2d1e'>■</span> ink for {occlusion.first} · covering it: {lost}"
        f"<br><span style='color:#2882ff'>■</span> hiding it favours {occlusion.second}: {gained}"
    )
