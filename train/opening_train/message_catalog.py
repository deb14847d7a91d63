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
        "give at least one source: --sni DIR, --dolly FILE, --firefly FILE or --coig FILE",
        "请至少给出一个数据源：--sni DIR、--dolly FILE、--firefly FILE 或 --coig FILE",
    ),
    "train.empty_mix": (
        "no usable pair in the sources ({detail}): nothing to train on",
        "数据源中没有可用的数据对（{detail}）：没有可训练的内容",
    ),
    "train.bad_mix": (
        "--mix must be SOURCE=WEIGHT,… with sources sni, dolly, firefly, coig and weights ≥ 0 (got {got!r})",
        "--mix 必须写成 SOURCE=WEIGHT,…，数据源为 sni、dolly、firefly、coig，权重 ≥ 0（实际为 {got!r}）",
    ),
    "train.bad_total": (
        "--total must be between 1 and 10000000 (got {got})",
        "--total 必须在 1 到 10000000 之间（实际为 {got}）",
    ),
    "train.no_pairs": (
        "{path} holds no pairs: each line needs {what}",
        "{path} 中没有数据对：每行需要 {what}",
    ),
    "train.base_refused": (
        "{folder} cannot be the base: {reason}. The trainer takes what opening-convert can turn into GGUF"
        " (Baichuan-7B, Llama, Qwen2) and checks it before training starts",
        "{folder} 不能作为基座模型：{reason}。训练器只接受 opening-convert 能转换为 GGUF 的检查点"
        "（Baichuan-7B、Llama、Qwen2），并在训练开始前检查",
    ),
    "train.gguf_base_arch": (
        "{path} cannot be the base: its architecture is {arch!r}; a GGUF base can be {known} (what the trainer"
        " dequantizes and opening-convert writes back). For a Llama or Baichuan base, give its Hugging Face folder",
        "{path} 不能作为基座模型：其架构为 {arch!r}；GGUF 基座可以是 {known}（训练器能反量化、opening-convert 能写回的架构）。"
        "Llama 或 Baichuan 基座请给出其 Hugging Face 文件夹",
    ),
    "train.gguf_base_tokenizer": (
        "{path} cannot be the base: its tokenizer is {detail}, and only Qwen2's byte-level BPE (gpt2/qwen2) is"
        " written back exactly; give the model's Hugging Face folder instead",
        "{path} 不能作为基座模型：其分词器为 {detail}，只有 Qwen2 的字节级 BPE（gpt2/qwen2）能被原样写回；请改用该模型的"
        " Hugging Face 文件夹",
    ),
    "train.gguf_unloadable": (
        "{path} could not be loaded as a float model ({detail}); nothing was trained. Is the file whole? A GGUF"
        " from llama.cpp's converter or the one opening generate runs should load",
        "{path} 无法加载为浮点模型（{detail}）；未进行任何训练。文件完整吗？llama.cpp 转换器生成、opening generate"
        " 能运行的 GGUF 应能加载",
    ),
    "train.gguf_tokenizer_differs": (
        "{path} cannot be the base: its tokenizer does not survive the trip to a checkpoint and back ({detail}"
        " differ), so the generator would be trained on other tokens than the app feeds it",
        "{path} 不能作为基座模型：其分词器经检查点往返后不一致（{detail} 不同），生成器训练所用的词元将与应用实际输入不同",
    ),
    "train.needs_extra": (
        "training needs the train extra ({missing} missing): pip install 'opening-desktop[train]'",
        "训练需要 train 可选依赖（缺少 {missing}）：pip install 'opening-desktop[train]'",
    ),
    "train.out_not_folder": (
        "{folder} is a file: --out must be a folder for the run",
        "{folder} 是文件：--out 必须是训练运行的文件夹",
    ),
    "train.out_not_empty": (
        "{folder} is not empty and holds no run: choose a new or empty folder for --out",
        "{folder} 不是空文件夹，也不是训练运行：请为 --out 选择新的或空的文件夹",
    ),
    "train.run_exists": (
        "{folder} holds an unfinished run: add --resume to continue it from its last checkpoint, or choose another folder",
        "{folder} 中有未完成的训练：加上 --resume 从最后的检查点继续，或选择另一个文件夹",
    ),
    "train.finished": (
        "{folder} holds a finished run, which is never written over: choose another folder",
        "{folder} 中的训练已完成，不会被覆盖：请选择另一个文件夹",
    ),
    "train.resume_differs": (
        "cannot resume the run in {folder} with other inputs or settings ({detail}): run it as it was, or use another folder",
        "无法用不同的输入或设置继续 {folder} 中的训练（{detail}）：请按原样运行，或换一个文件夹",
    ),
    "train.run_unreadable": (
        "{path} is not a readable run record ({detail}): was the folder changed by hand?",
        "{path} 不是可读的训练记录（{detail}）：文件夹是否被手动改动过？",
    ),
    "train.bad_setting": (
        "{name} is out of range (got {got})",
        "{name} 超出范围（实际为 {got}）",
    ),
    "train.all_too_long": (
        "every pair in {path} is longer than {max_length} tokens: nothing to train on (raise --max-length)",
        "{path} 中的每个数据对都超过 {max_length} 个词元：没有可训练的内容（请调大 --max-length）",
    ),
    "train.eval_no_text": (
        "{where}: the prompt is not one of the reverse templates around a text, so the text cannot be recovered",
        "{where}：提示不是包裹文本的反向模板之一，无法还原文本",
    ),
    "train.bad_held_out": (
        "--held-out must leave pairs to train on: at most {most} of the {total} pairs (got {got})",
        "--held-out 必须留下可训练的数据对：{total} 个数据对中最多 {most} 个（实际为 {got}）",
    ),
    "train.bad_hub_name": (
        "{name} is not a Hub file: write hf://OWNER/NAME/FILE.jsonl (a dataset repo), or hub for the published file",
        "{name} 不是 Hub 上的文件：请写 hf://OWNER/NAME/FILE.jsonl（数据集仓库），或写 hub 表示官方发布的文件",
    ),
    "train.out_of_memory": (
        "the GPU ran out of memory at step {step}: lower --batch-size (and raise --grad-accum to keep the same"
        " batch), lower --max-length, or use --lora; then run the same command with --resume to go on from the"
        " last checkpoint in {folder}",
        "GPU 在第 {step} 步时内存不足：请调小 --batch-size（同时调大 --grad-accum 以保持批大小）、调小"
        " --max-length，或使用 --lora；然后用 --resume 运行同一命令，从 {folder} 中最后的检查点继续",
    ),
    "train.cannot_save": (
        "cannot save the run in {folder}: {reason}; free some space, then run the same command with --resume"
        " (the last checkpoint saved whole is kept)",
        "无法在 {folder} 中保存训练：{reason}；请腾出空间，然后用 --resume 运行同一命令（最后一个完整保存的检查点仍在）",
    ),
    "train.too_big": (
        "this run needs about {need} GB ({params} B parameters at this recipe) and {have} GB of {where} are free:"
        " {hint}; --ignore-memory-check tries anyway",
        "本次训练约需 {need} GB（此配方下 {params} B 参数），而可用的 {where} 只有 {have} GB：{hint}；--ignore-memory-check 可仍然尝试",
    ),
    "train.hint_full": (
        "use --lora, a smaller --batch-size or --max-length, or a smaller base",
        "请使用 --lora、调小 --batch-size 或 --max-length，或换更小的基座",
    ),
    "train.hint_lora": (
        "use a smaller --batch-size or --max-length, a GPU with more memory, or a smaller base",
        "请调小 --batch-size 或 --max-length，换显存更大的 GPU，或换更小的基座",
    ),
    "train.where_gpu": (
        "GPU memory",
        "GPU 显存",
    ),
    "train.where_ram": (
        "RAM",
        "内存",
    ),
}
