"""The trainer's messages, by id: ``id: (English, Chinese)`` (added to the core's catalogue when the package
is imported; see :mod:`opening.base.messages`)."""

from __future__ import annotations

TRAIN_MESSAGES: dict[str, tuple[str, str]] = {
    "train.not_json": (
        "{path}, line {line}: not valid JSON ({detail})",
        "{path} 第 {line} 行：不是有效的 JSON（{detail}）",
    ),
    "train.field_missing": (
        "{path}, line {line}: a {source} record needs a text field {field!r}; is this a {source} file?",
        "{path} 第 {line} 行：{source} 记录需要文本字段 {field!r}；这是 {source} 文件吗？",
    ),
    "train.sni_not_task": (
        "{path} is not a Super-NaturalInstructions task file: it needs {field!r} ({detail})",
        "{path} 不是 Super-NaturalInstructions 任务文件：缺少 {field!r}（{detail}）",
    ),
    "train.sni_no_tasks": (
        "{path} holds no Super-NaturalInstructions task files (task*.json)",
        "{path} 中没有 Super-NaturalInstructions 任务文件（task*.json）",
    ),
    "train.no_sources": (
        "give at least one source: --sni DIR, --dolly FILE or --firefly FILE",
        "请至少给出一个数据源：--sni DIR、--dolly FILE 或 --firefly FILE",
    ),
    "train.empty_mix": (
        "no usable pair in the sources ({detail}): nothing to train on",
        "数据源中没有可用的数据对（{detail}）：没有可训练的内容",
    ),
    "train.bad_mix": (
        "--mix must be SOURCE=WEIGHT,… with sources sni, dolly, firefly and weights ≥ 0 (got {got!r})",
        "--mix 必须写成 SOURCE=WEIGHT,…，数据源为 sni、dolly、firefly，权重 ≥ 0（实际为 {got!r}）",
    ),
    "train.bad_total": (
        "--total must be between 1 and 10000000 (got {got})",
        "--total 必须在 1 到 10000000 之间（实际为 {got}）",
    ),
}
