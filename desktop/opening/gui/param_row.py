"""A demo parameter: a slider and a spin box kept in step (the spin box carries the contract name)."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractSpinBox, QDoubleSpinBox, QSlider, QSpinBox

from opening.base.sampling import FORM_RANGES, FormRange


@dataclass(frozen=True)
class ParamSpec:
    range: FormRange
    """The demo's range and the core's default (``opening.base.sampling.FORM_RANGES``)."""
    object_name: str
    """The spin box's objectName, e.g. ``topP`` (a contract: outside checks and accessibility tools find it by it)."""
    label_key: str

    @property
    def key(self) -> str:
        return self.range.key

    @property
    def scale(self) -> int:
        return 10**self.range.decimals


_NAMES = {
    "temperature": ("temperature", "temperature"),
    "top_p": ("topP", "top_p"),
    "top_k": ("topK", "top_k"),
    "n": ("numReturn", "num_return"),
    "max_tokens": ("maxTokens", "max_tokens"),
}
PARAMS = tuple(ParamSpec(r, *_NAMES[r.key]) for r in FORM_RANGES)


class ParamRow:
    """Creates the two widgets; the caller lays them out next to a label."""

    def __init__(self, spec: ParamSpec) -> None:
        self.spec = spec
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setObjectName(f"{spec.object_name}Slider")
        self.slider.setRange(round(spec.range.minimum * spec.scale), round(spec.range.maximum * spec.scale))
        self.slider.setSingleStep(max(1, round(spec.range.step * spec.scale)))
        self.slider.setPageStep(max(1, round(spec.range.step * spec.scale * 4)))
        if spec.range.decimals:
            spin: QAbstractSpinBox = QDoubleSpinBox()
            spin.setDecimals(spec.range.decimals)
        else:
            spin = QSpinBox()
        spin.setObjectName(spec.object_name)
        spin.setRange(spec.range.minimum, spec.range.maximum)
        spin.setSingleStep(spec.range.step)
        spin.setKeyboardTracking(False)
        self.spin = spin
        self.slider.valueChanged.connect(self._from_slider)
        spin.valueChanged.connect(self._from_spin)
        self.set_value(spec.range.default)

    def _from_slider(self, position: int) -> None:
        value = position / self.spec.scale
        if round(self.spin.value() * self.spec.scale) != position:
            self.spin.setValue(value if self.spec.range.decimals else int(value))

    def _from_spin(self, value: float) -> None:
        position = round(value * self.spec.scale)
        if self.slider.value() != position:
            self.slider.setValue(position)

    def value(self) -> float | int:
        return round(self.spin.value(), self.spec.range.decimals) if self.spec.range.decimals else int(self.spin.value())

    def set_value(self, value: float) -> None:
        """Clamp into the demo's range (settings from an older version may hold anything)."""
        try:
            value = float(value)
        except (TypeError, ValueError):
            value = self.spec.range.default
        if value != value:  # NaN
            value = self.spec.range.default
        value = min(max(value, self.spec.range.minimum), self.spec.range.maximum)
        self.spin.setValue(value if self.spec.range.decimals else int(round(value)))
