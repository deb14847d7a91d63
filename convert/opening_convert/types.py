"""The tensor types ``opening-convert`` writes (no numpy here: the window's dialog lists them at start-up)."""

from __future__ import annotations

FLOAT_TYPES = ("F32", "F16", "BF16")
QUANT_TYPES: dict[str, tuple[int, float]] = {
    "Q8_0": (7, 8.5),
    "Q6_K": (18, 6.56),
    "Q5_K_M": (17, 5.69),
    "Q4_K_M": (15, 4.89),
    "Q4_0": (2, 4.5),
}
"""llama.cpp file type and bits per weight (for the progress estimate) of each quantized type. Q4_0 steps
fastest in batches on a CPU (docs/converter.md); Q4_K_M is the better-quality default."""
DEFAULT_TYPE = "Q4_K_M"
ALL_TYPES = (*FLOAT_TYPES, *QUANT_TYPES)
