"""The training recipe ``fit`` and ``prefer`` share: its settings, with the original's defaults.

Defaults for ``fit`` are the original's (REFERENCE §1): full fine-tuning, 3 epochs, lr 2e-5 with a cosine
schedule and 3% warmup, sequences of at most 512 tokens, loss on the target only. LoRA (``--lora``) puts
rank-16 adapters on every projection and trains them at lr 2e-4, for one consumer GPU; the adapters are
merged into the weights at the end, so the converter sees a plain checkpoint.

How a recipe runs on the hardware is :mod:`opening_train.trainer_setup`. This module imports no torch.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

from opening.base.errors import BadInput

PRESETS: dict[str, dict[str, Any]] = {
    "laptop": {"lora": True, "epochs": 1.0, "max_length": 384, "batch_size": 1, "grad_accum": 8, "save_steps": 5},
}
"""``--preset laptop``: LoRA, one epoch, sequences of at most 384 tokens, one sequence at a time and 8 per
optimiser step (no padding: on a CPU a batch of unequal lengths computes its padding too), a checkpoint
every 5 steps (a kill loses a few minutes of a CPU run at most); options given on the command line win."""

LORA_TARGETS = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")


@dataclass
class Recipe:
    lora: bool = False
    epochs: float = 3.0
    max_steps: int = -1
    """Stop after this many optimiser steps (-1: run the epochs)."""
    lr: float | None = None
    """Default: 2e-5 full, 2e-4 LoRA (``fit``); ``prefer`` sets its own."""
    warmup: float = 0.03
    max_length: int = 512
    batch_size: int = 4
    grad_accum: int = 8
    save_steps: int = 200
    seed: int = 0
    lora_r: int = 16
    lora_alpha: int = 32

    def validate(self) -> None:
        checks = {
            "epochs": 0 < self.epochs <= 1000,
            "max_steps": self.max_steps == -1 or 1 <= self.max_steps <= 10_000_000,
            "lr": self.lr is None or (math.isfinite(self.lr) and 0 < self.lr < 1),
            "warmup": 0 <= self.warmup < 1,
            "max_length": 16 <= self.max_length <= 1 << 20,
            "batch_size": 1 <= self.batch_size <= 4096,
            "grad_accum": 1 <= self.grad_accum <= 4096,
            "save_steps": 1 <= self.save_steps <= 10_000_000,
            "lora_r": 1 <= self.lora_r <= 4096,
            "lora_alpha": 1 <= self.lora_alpha <= 1 << 16,
        }
        bad = next((k for k, ok in checks.items() if not ok), None)
        if bad is not None:
            raise BadInput("train.bad_setting", name="--" + bad.replace("_", "-"), got=getattr(self, bad))

    def identity(self) -> dict[str, Any]:
        return dataclasses.asdict(self)
