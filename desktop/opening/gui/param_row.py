"""A demo parameter: a slider and a spin box kept in step (the spin box carries the contract name)."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractSpinBox, QDoubleSpinBox, QSlider, QSpinBox


@dataclass(frozen=True)
class ParamSpec:
    key: str
    """Settings/SamplingParams field, e.g. ``top_p``."""
    object_name: str
    """DESIGN.md contract name of the spin box, e.g. ``topP``."""
    label_key: str
    minimum: float
    maximum: float
    default: float
    step: float
    decimals: int = 0

    @property
    def scale(self) -> int:
        return 10**self.decimals


# The original demo's ranges and defaults (REFERENCE.md §1).
PARAMS = (
    ParamSpec("temperature", "temperature", "temperature", 0.0, 1.0, 0.3, 0.05, 2),
    ParamSpec("top_p", "topP", "top_p", 0.01, 1.0, 0.9, 0.05, 2),  # the engine refuses 0
    ParamSpec("top_k", "topK", "top_k", 0, 100, 40, 1),
    ParamSpec("n", "numReturn", "num_return", 1, 10, 5, 1),
    ParamSpec("max_tokens", "maxTokens", "max_tokens", 128, 2000, 256, 16),
)


class ParamRow:
    """Creates the two widgets; the caller lays them out next to a label."""

    def __init__(self, spec: ParamSpec) -> None:
        self.spec = spec
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setObjectName(f"{spec.object_name}Slider")
        self.slider.setRange(round(spec.minimum * spec.scale), round(spec.maximum * spec.scale))
        self.slider.setSingleStep(max(1, round(spec.step * spec.scale)))
        self.slider.setPageStep(max(1, round(spec.step * spec.scale * 4)))
        if spec.decimals:
            spin: QAbstractSpinBox = QDoubleSpinBox()
            spin.setDecimals(spec.decimals)
        else:
            spin = QSpinBox()
        spin.setObjectName(spec.object_name)
        spin.setRange(spec.minimum, spec.maximum)
        spin.setSingleStep(spec.step)
        spin.setKeyboardTracking(False)
        self.spin = spin
        self.slider.valueChanged.connect(self._from_slider)
        spin.valueChanged.connect(self._from_spin)
        self.set_value(spec.default)

    def _from_slider(self, position: int) -> None:
        value = position / self.spec.scale
        if round(self.spin.value() * self.spec.scale) != position:
            self.spin.setValue(value if self.spec.decimals else int(value))

    def _from_spin(self, value: float) -> None:
        position = round(value * self.spec.scale)
        if self.slider.value() != position:
            self.slider.setValue(position)

    def value(self) -> float | int:
        return round(self.spin.value(), self.spec.decimals) if self.spec.decimals else int(self.spin.value())

    def set_value(self, value: float) -> None:
        """Clamp into the demo's range (settings from an older version may hold anything)."""
        try:
            value = float(value)
        except (TypeError, ValueError):
            value = self.spec.default
        if value != value:  # NaN
            value = self.spec.default
        value = min(max(value, self.spec.minimum), self.spec.maximum)
        self.spin.setValue(value if self.spec.decimals else int(round(value)))
