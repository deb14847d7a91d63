"""A recipe on this hardware (torch): the precision it allows, the base with LoRA, the arguments
transformers' Trainer (and trl's DPOConfig) get, and the finished model written for the converter.

Precision: on a GPU with bf16, full fine-tuning keeps float32 weights under bf16 autocast, and LoRA holds
the frozen base in bf16; a GPU without bf16 uses fp16 autocast; the CPU trains in float32. Gradient
checkpointing is always on (memory over speed: a 7B does not fit otherwise).
"""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from opening.base.errors import BadInput, ModelError, describe_os_error
from opening.base.messages import Message
from opening_convert.gguf_export import free_bytes
from opening_train.bases import Base
from opening_train.recipe import LORA_TARGETS, Recipe
from opening_train.run_folder import RunFolder
from opening_train.torch_model import load_base, save_for_convert


@dataclass(frozen=True)
class Precision:
    load: torch.dtype
    bf16: bool
    fp16: bool
    device: str

    @property
    def save(self) -> torch.dtype:
        return torch.bfloat16 if self.bf16 else torch.float32


def precision(lora: bool) -> Precision:
    if torch.cuda.is_available():
        if torch.cuda.is_bf16_supported():
            return Precision(torch.bfloat16 if lora else torch.float32, True, False, "cuda")
        return Precision(torch.float16 if lora else torch.float32, False, True, "cuda")
    return Precision(torch.float32, False, False, "cpu")


def load_model(base: Base, recipe: Recipe, prec: Precision) -> Any:
    """The base, with LoRA adapters when the recipe asks for them."""
    hush()
    model = load_base(base, prec.load)
    model.config.use_cache = False  # gradient checkpointing
    if not recipe.lora:
        return model
    from peft import LoraConfig, get_peft_model

    model.enable_input_require_grads()
    config = LoraConfig(
        r=recipe.lora_r, lora_alpha=recipe.lora_alpha, lora_dropout=0.0, target_modules=list(LORA_TARGETS), task_type="CAUSAL_LM"
    )
    return get_peft_model(model, config)


def arguments(run: RunFolder, recipe: Recipe, prec: Precision, lr: float) -> dict[str, Any]:
    """What transformers' ``TrainingArguments`` (and trl's ``DPOConfig``) get."""
    return {
        "output_dir": str(run.checkpoints),
        "per_device_train_batch_size": recipe.batch_size,
        "gradient_accumulation_steps": recipe.grad_accum,
        "learning_rate": lr,
        "num_train_epochs": recipe.epochs,
        "max_steps": recipe.max_steps,
        "lr_scheduler_type": "cosine",
        "warmup_steps": recipe.warmup,  # below 1: a share of the steps
        "weight_decay": 0.0,
        "logging_steps": 1,
        "save_strategy": "steps",
        "save_steps": recipe.save_steps,
        "save_total_limit": 2,
        "seed": recipe.seed,
        "data_seed": recipe.seed,
        "bf16": prec.bf16,
        "fp16": prec.fp16,
        "use_cpu": prec.device == "cpu",
        "activation_checkpointing": True,
        "activation_checkpointing_kwargs": {"use_reentrant": False},
        "remove_unused_columns": False,
        "dataloader_num_workers": 0,
        "report_to": "none",
        "disable_tqdm": True,
    }


def write_model(model: Any, base: Base, run: RunFolder, prec: Precision, lora: bool) -> None:
    """Merge LoRA (if any) and write the model for the converter into the run's staging folder."""
    if lora:
        model = model.merge_and_unload()
    model = model.to(prec.save)
    model.config.use_cache = True
    shutil.rmtree(run.staging, ignore_errors=True)  # a save cut short by an earlier crash
    run.staging.mkdir()
    save_for_convert(model, base, run.staging)


def hush() -> None:
    """The libraries' own chatter (deprecation warnings about their internals, checkpoint-rotation notes,
    progress bars) stays out of the user's terminal unless ``-v`` asked for details."""
    import logging
    import warnings

    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    if not logging.getLogger().isEnabledFor(logging.INFO):
        hf_logging.set_verbosity_error()
        for module in ("transformers", "peft", "trl", "accelerate", "torch"):
            warnings.filterwarnings("ignore", category=FutureWarning, module=module)
            warnings.filterwarnings("ignore", category=UserWarning, module=module)


def quiet(trainer: Any) -> None:
    """The run speaks through :class:`~opening_train.step_log.StepLog` only: no log dicts on stdout (stdout
    is for the output's path), no progress bars of transformers' own."""
    from transformers import PrinterCallback, ProgressCallback

    trainer.remove_callback(PrinterCallback)
    trainer.remove_callback(ProgressCallback)


def frozen(model: Any) -> Any:
    """A model that only answers (DPO's reference): evaluation mode, no gradients."""
    model.eval()
    for parameter in model.parameters():
        parameter.requires_grad_(False)
    return model


def train_and_write(
    trainer: Any, checkpoint: Path | None, base: Base, run: RunFolder, prec: Precision, lora: bool
) -> dict[str, Any]:
    """Train (on from ``checkpoint`` when given), write the model for the converter, and return the
    summary's common part. Running out of GPU memory or disk stops with what to do; the checkpoints
    saved whole stay, so ``--resume`` goes on from the last one."""
    t0 = time.monotonic()
    try:
        result = trainer.train(resume_from_checkpoint=str(checkpoint) if checkpoint else None)
        write_model(trainer.model, base, run, prec, lora)
    except torch.OutOfMemoryError:
        raise ModelError("train.out_of_memory", step=trainer.state.global_step, folder=run.out) from None
    except OSError as exc:
        raise BadInput("train.cannot_save", folder=run.out, reason=describe_os_error(exc)) from None
    except RuntimeError as exc:  # torch.save's writer fails with its own words ("file write failed", "unexpected pos")
        if free_bytes(run.out) < 64 << 20:
            raise BadInput("train.cannot_save", folder=run.out, reason=Message("os.disk_full")) from None
        if "writ" not in str(exc).lower():
            raise
        raise BadInput("train.cannot_save", folder=run.out, reason=Message.verbatim(str(exc).splitlines()[0][:200])) from None
    return {
        "steps": result.global_step,
        "resumed_from": checkpoint.name if checkpoint else None,
        "train_loss": result.training_loss,
        "seconds": round(time.monotonic() - t0, 1),
        "device": prec.device,
    }
