"""Will the run fit? An estimate of the memory a training run needs, from the base's shapes and the
recipe, checked before the model is loaded: a run that cannot fit is refused at once with the figure and
what to change, instead of being killed by the system after minutes of loading (``--ignore-memory-check``
tries anyway).

The estimate (bytes): the weights as loaded (4 per parameter on the CPU and for full fine-tuning, 2 for a
LoRA base on a GPU); for full fine-tuning their gradients and Adam's two moments (4 + 8 per parameter);
for LoRA the adapter weights, their gradients and moments (16 per adapter weight); the activations
gradient checkpointing keeps (one hidden state per layer per token, float32) and one layer recomputed,
plus the logits three times over (logits, log-softmax, gradient), all at a full batch of the longest
sequence allowed (``--max-length``); DPO adds the reference model and runs every batch twice (chosen and
rejected). The framework's own overhead is left out.
"""

from __future__ import annotations

from dataclasses import dataclass

from opening.base.errors import BadInput
from opening.base.messages import Message
from opening.models.memory_fit import available_memory
from opening_convert.checkpoint import ModelConfig
from opening_train.recipe import Recipe


@dataclass(frozen=True)
class MemoryPlan:
    parameters: int
    trained: int
    need: int

    @property
    def need_gb(self) -> float:
        return self.need / 1e9


def parameters(cfg: ModelConfig) -> int:
    e, ff, v, kv = cfg.n_embd, cfg.n_ff, cfg.n_vocab, cfg.n_head_kv * cfg.head_dim
    per_layer = e * e * 2 + e * kv * 2 + 3 * e * ff + 2 * e + (e + 2 * kv if cfg.family == "qwen2" else 0)
    return v * e * (1 if cfg.tie_embeddings else 2) + cfg.n_layer * per_layer + e


def lora_parameters(cfg: ModelConfig, rank: int) -> int:
    """Rank × (inputs + outputs) of every projection the adapters sit on (opening_train.recipe.LORA_TARGETS)."""
    e, ff, kv = cfg.n_embd, cfg.n_ff, cfg.n_head_kv * cfg.head_dim
    per_layer = (e + e) * 2 + (e + kv) * 2 + (e + ff) * 3
    return cfg.n_layer * rank * per_layer


def plan_memory(cfg: ModelConfig, recipe: Recipe, *, longest: int, sequences: int, gpu: bool, dpo: bool = False) -> MemoryPlan:
    """``longest``: the longest example in tokens; ``sequences``: how many go through at once."""
    p = parameters(cfg)
    per_weight = 2 if (recipe.lora and gpu) else 4
    trained = lora_parameters(cfg, recipe.lora_r) if recipe.lora else p
    # full: each weight's gradient and Adam moments (4 + 8); LoRA: the adapter weights themselves as well (4 + 4 + 8)
    need = p * per_weight + trained * (16 if recipe.lora else 12)
    if dpo:
        need += 0 if recipe.lora else p * per_weight  # the frozen reference (LoRA: the adapters switched off)
        sequences *= 2
    tokens = sequences * longest
    need += tokens * cfg.n_embd * 4 * cfg.n_layer  # checkpointed hidden states
    need += tokens * (cfg.n_embd * 8 + cfg.n_ff * 3) * 4 + sequences * cfg.n_head * longest * longest * 4  # one layer again
    need += tokens * cfg.n_vocab * 4 * 3  # logits, log-softmax, their gradient
    return MemoryPlan(p, trained, need)


def check_memory(cfg: ModelConfig, recipe: Recipe, *, dpo: bool = False) -> MemoryPlan:
    """Refuse a run that needs more than the GPU (or, without one, the RAM) can give."""
    import torch

    gpu = torch.cuda.is_available()
    plan = plan_memory(cfg, recipe, longest=recipe.max_length, sequences=recipe.batch_size, gpu=gpu, dpo=dpo)
    have = torch.cuda.mem_get_info()[0] if gpu else available_memory()
    if have is not None and plan.need > have:
        raise BadInput(
            "train.too_big",
            need=f"{plan.need / 1e9:.1f}",
            have=f"{have / 1e9:.1f}",
            where=Message("train.where_gpu" if gpu else "train.where_ram"),
            params=f"{plan.parameters / 1e9:.2f}",
            hint=Message("train.hint_lora" if recipe.lora else "train.hint_full"),
        )
    return plan
