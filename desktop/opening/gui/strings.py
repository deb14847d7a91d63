"""The window's words in English and Chinese. ``tr(key)`` reads the current language."""

from __future__ import annotations

LANGUAGES = {"en": "English", "zh": "中文"}

_EN: dict[str, str] = {
    "title": "OpenING: Open INstruction Generation",
    "subtitle": "Turn real text into instruction-tuning pairs, locally",
    "output_label": "Selected output to generate corresponding instruction",
    "output_placeholder": "Paste or type the text that should be the output of the pair…",
    "temperature": "Temperature",
    "top_p": "Top p",
    "top_k": "Top k",
    "num_return": "Return Sequences Number",
    "max_tokens": "Max tokens",
    "clear": "Clear",
    "submit": "Submit",
    "cancel": "Cancel",
    "candidates": "Candidate instructions",
    "candidate": "Candidate Instruction {n}",
    "chosen": "chosen",
    "rejected": "rejected: {reason}",
    "duplicate": "duplicate of {n}",
    "does_not_help": "does not help (IFD ≥ 1)",
    "instruction": "Instruction",
    "input": "Input",
    "input_placeholder": "(optional) the input part of the instruction",
    "json_label": "Paired instruction and output in json format",
    "dataset": "Dataset file",
    "browse": "Browse…",
    "auto_save": "Save automatically",
    "save": "Save",
    "update": "Update",
    "copy": "Copy",
    "undo": "Undo",
    "model": "Model",
    "open_gguf": "Open GGUF…",
    "threads": "Threads",
    "gpu_layers": "GPU layers",
    "gpu_off_tip": "This llama.cpp build has no GPU support; layers stay on the CPU.",
    "no_model": "No model — use Open GGUF…",
    "loading_model": "Loading {name}…",
    "model_failed": "Could not load the model: {reason}",
    "language": "Language",
    "status_ready": "Ready.",
    "status_generating": "Generating {n} candidates…",
    "status_ranking": "Scoring candidates… {pct:.0f}%",
    "status_cancelling": "Cancelling…",
    "status_cancelled": "Cancelled; nothing saved.",
    "status_done": "Done: {n} candidates in {seconds:.1f} s.",
    "status_all_rejected": "Every candidate was rejected ({reasons}); nothing saved. Try another temperature or a larger model.",
    "status_saved": "Saved pair {n} to {path} — pairs in the file: {count}.",
    "status_updated": "Updated pair {n} in {path} — pairs in the file: {count}.",
    "status_undone": "Removed pair {n} from {path} — pairs in the file: {count}.",
    "status_copied": "Copied the JSON to the clipboard.",
    "status_loaded": "Loaded {name} in {seconds:.1f} s.",
    "error": "Error: {reason}",
    "pick_model": "Open a GGUF model",
    "pick_dataset": "Dataset file to save pairs in",
    "gguf_filter": "GGUF models (*.gguf);;All files (*)",
    "dataset_filter": "JSON datasets (*.json *.jsonl);;All files (*)",
    "busy": "Busy: wait for the current run to finish or cancel it.",
    "models_menu": "Models",
    "download_menu": "Download a model…",
    "dl_title": "Download a model",
    "dl_model": "Model",
    "dl_repo": "Repository",
    "dl_file": "File",
    "dl_other": "Another GGUF on the Hub…",
    "dl_other_note": "Any GGUF file on the Hugging Face Hub: give its repository (owner/name) and file name.",
    "dl_need_repo": "Give a repository as owner/name and a file name.",
    "dl_start": "Download",
    "dl_close": "Close",
    "dl_starting": "Connecting…",
    "dl_resumed": "resumed at {mb:.1f} MB",
    "dl_done": "Done: {path} (SHA-256 {sha}… checked). Loading it.",
    "dl_cancelled": "Cancelled. The part already downloaded is kept; Download continues from there.",
    "fit_warning": "Memory: {warning}",
    "convert_menu": "Convert a checkpoint…",
    "cv_title": "Convert a checkpoint to GGUF",
    "cv_checkpoint": "Checkpoint folder",
    "cv_checkpoint_hint": "a Baichuan-7B or Llama folder: config.json, tokenizer.model, *.safetensors",
    "cv_output": "GGUF file",
    "cv_type": "Type",
    "cv_note": "Baichuan-7B (the OpenING generator) or Llama checkpoints; Q4_K_M suits 8 GB laptops.",
    "cv_need_paths": "Choose the checkpoint folder and the GGUF file to write.",
    "cv_start": "Convert",
    "cv_writing": "Writing tensors… {pct:.0f}%",
    "cv_quantizing": "Quantizing with llama.cpp… {pct:.0f}%",
    "cv_done": "Done: {path}. Loading it.",
}

_ZH: dict[str, str] = {
    "title": "OpenING：指令微调数据生成工具",
    "subtitle": "把真实文本变成指令微调数据，全部在本地完成",
    "output_label": "选定的输出文本（将为它生成对应的指令）",
    "output_placeholder": "粘贴或输入作为数据对输出的文本……",
    "temperature": "温度",
    "top_p": "Top p",
    "top_k": "Top k",
    "num_return": "返回候选数",
    "max_tokens": "最大词元数",
    "clear": "清空",
    "submit": "提交",
    "cancel": "取消",
    "candidates": "候选指令",
    "candidate": "候选指令 {n}",
    "chosen": "已选",
    "rejected": "已过滤：{reason}",
    "duplicate": "与 {n} 重复",
    "does_not_help": "无帮助（IFD ≥ 1）",
    "instruction": "指令",
    "input": "输入",
    "input_placeholder": "（可选）指令的输入部分",
    "json_label": "JSON 格式的指令-输出对",
    "dataset": "数据集文件",
    "browse": "浏览…",
    "auto_save": "自动保存",
    "save": "保存",
    "update": "更新",
    "copy": "复制",
    "undo": "撤销",
    "model": "模型",
    "open_gguf": "打开 GGUF…",
    "threads": "线程",
    "gpu_layers": "GPU 层数",
    "gpu_off_tip": "此 llama.cpp 版本不支持 GPU，所有层都在 CPU 上运行。",
    "no_model": "没有模型——请用“打开 GGUF……”",
    "loading_model": "正在加载 {name}……",
    "model_failed": "无法加载模型：{reason}",
    "language": "语言",
    "status_ready": "就绪。",
    "status_generating": "正在生成 {n} 条候选指令……",
    "status_ranking": "正在为候选指令打分…… {pct:.0f}%",
    "status_cancelling": "正在取消……",
    "status_cancelled": "已取消，未保存任何内容。",
    "status_done": "完成：{n} 条候选指令，用时 {seconds:.1f} 秒。",
    "status_all_rejected": "所有候选指令都被过滤（{reasons}），未保存。请调整温度或换用更大的模型。",
    "status_saved": "已将第 {n} 条数据保存到 {path}，文件共 {count} 条。",
    "status_updated": "已更新 {path} 中的第 {n} 条数据，文件共 {count} 条。",
    "status_undone": "已从 {path} 删除第 {n} 条数据，文件共 {count} 条。",
    "status_copied": "已将 JSON 复制到剪贴板。",
    "status_loaded": "已加载 {name}，用时 {seconds:.1f} 秒。",
    "error": "错误：{reason}",
    "pick_model": "打开 GGUF 模型",
    "pick_dataset": "保存数据的文件",
    "gguf_filter": "GGUF 模型 (*.gguf);;所有文件 (*)",
    "dataset_filter": "JSON 数据集 (*.json *.jsonl);;所有文件 (*)",
    "busy": "正在运行：请等待完成或取消。",
    "models_menu": "模型",
    "download_menu": "下载模型…",
    "dl_title": "下载模型",
    "dl_model": "模型",
    "dl_repo": "仓库",
    "dl_file": "文件",
    "dl_other": "Hub 上的其他 GGUF…",
    "dl_other_note": "Hugging Face Hub 上的任意 GGUF 文件：填写仓库（owner/name）和文件名。",
    "dl_need_repo": "请按 owner/name 填写仓库，并填写文件名。",
    "dl_start": "下载",
    "dl_close": "关闭",
    "dl_starting": "正在连接…",
    "dl_resumed": "从 {mb:.1f} MB 处继续",
    "dl_done": "完成：{path}（SHA-256 {sha}… 已校验）。正在加载。",
    "dl_cancelled": "已取消。已下载的部分会保留，再次下载将从断点继续。",
    "fit_warning": "内存：{warning}",
    "convert_menu": "转换检查点…",
    "cv_title": "把检查点转换为 GGUF",
    "cv_checkpoint": "检查点文件夹",
    "cv_checkpoint_hint": "Baichuan-7B 或 Llama 文件夹：config.json、tokenizer.model、*.safetensors",
    "cv_output": "GGUF 文件",
    "cv_type": "类型",
    "cv_note": "支持 Baichuan-7B（OpenING 生成模型）和 Llama 检查点；8 GB 内存的笔记本建议 Q4_K_M。",
    "cv_need_paths": "请选择检查点文件夹和要写入的 GGUF 文件。",
    "cv_start": "转换",
    "cv_writing": "正在写入张量… {pct:.0f}%",
    "cv_quantizing": "正在用 llama.cpp 量化… {pct:.0f}%",
    "cv_done": "完成：{path}。正在加载。",
}

# the core's rejection reasons (candidate_filter.py), shown in the candidate list
_ZH_REASONS = {
    "empty": "空", "echo of the output": "复述了输出", "repeats the prompt": "重复了提示词",
    "degenerate repetition": "退化重复", "over-long": "过长", "over-long (still going at max tokens)": "过长（达到最大词元数仍未结束）",
    "cancelled": "已取消",
}

_TABLES = {"en": _EN, "zh": _ZH}
_current = "en"


def set_language(code: str) -> None:
    global _current
    if code not in _TABLES:
        raise ValueError(f"unknown language {code!r}; known: {', '.join(_TABLES)}")
    _current = code


def language() -> str:
    return _current


def system_language(locale_name: str) -> str:
    """``zh`` for any Chinese locale name (zh_CN, zh_TW, zh-Hans…), else ``en``."""
    return "zh" if locale_name.lower().startswith("zh") else "en"


def tr(key: str, **values: object) -> str:
    text = _TABLES[_current].get(key) or _EN[key]
    return text.format(**values) if values else text


def reason(text: str) -> str:
    """A core rejection reason in the current language (unknown reasons stay as they are)."""
    return _ZH_REASONS.get(text, text) if _current == "zh" else text
