"""The converter's messages, by id: ``id: (English, Chinese)`` (added to the core's catalogue when
the package is imported; see :mod:`opening.base.messages`)."""

from __future__ import annotations

CONVERT_MESSAGES: dict[str, tuple[str, str]] = {
    "what.safetensors_file": (
        "safetensors file",
        "safetensors 文件",
    ),
    "what.output_gguf": (
        "output GGUF file",
        "输出的 GGUF 文件",
    ),
    "what.shard": (
        "shard {shard} in {index}",
        "{index} 中的分片 {shard}",
    ),
    "convert.need_paths": (
        "give the checkpoint folder and --out FILE.gguf",
        "请给出检查点文件夹和 --out FILE.gguf",
    ),
    "convert.not_sentencepiece": (
        "{name} is not a SentencePiece model ({detail})",
        "{name} 不是 SentencePiece 模型（{detail}）",
    ),
    "convert.no_pieces": (
        "{name} holds no SentencePiece pieces: is it a tokenizer.model?",
        "{name} 中没有 SentencePiece 词片：它是 tokenizer.model 吗？",
    ),
    "convert.bad_special": (
        "{name} is damaged: {field} {value} is not one of its {n} pieces",
        "{name} 已损坏：{field} {value} 不在它的 {n} 个词片之中",
    ),
    "convert.bad_piece_type": (
        "{name} is damaged: a piece has an unknown type",
        "{name} 已损坏：有词片的类型未知",
    ),
    "convert.no_tensor_shape": (
        "the checkpoint has no tensor {name} (expected shape {shape})",
        "检查点中没有张量 {name}（应为形状 {shape}）",
    ),
    "convert.bad_shape": (
        "tensor {name} has shape {got}, expected {shape} from config.json",
        "张量 {name} 的形状是 {got}，按 config.json 应为 {shape}",
    ),
    "convert.vocab_mismatch": (
        "tokenizer.model has {pieces} pieces but the model's vocabulary is {n_vocab}",
        "tokenizer.model 有 {pieces} 个词片，而模型词表大小为 {n_vocab}",
    ),
    "convert.cannot_write": (
        "could not write {path}: {reason}; nothing was left under that name",
        "无法写入 {path}：{reason}；没有留下该名称的文件",
    ),
    "convert.quantize_failed": (
        "llama.cpp could not quantize to {type}: {reason}; nothing was left under {name}",
        "llama.cpp 无法量化为 {type}：{reason}；没有留下 {name}",
    ),
    "convert.st_bad_entry": (
        "{file}: damaged entry for tensor {name}",
        "{file}：张量 {name} 的条目已损坏",
    ),
    "convert.st_dtype": (
        "{file}: tensor {name} has unsupported type {dtype}",
        "{file}：张量 {name} 的类型 {dtype} 不受支持",
    ),
    "convert.st_bad_shape": (
        "{file}: damaged entry for tensor {name} (shape or offsets)",
        "{file}：张量 {name} 的条目已损坏（形状或偏移）",
    ),
    "convert.st_truncated": (
        "{file} is truncated: tensor {name} ends at byte {end}, the file has {size} (download it again)",
        "{file} 不完整：张量 {name} 结束于第 {end} 字节，而文件只有 {size} 字节（请重新下载）",
    ),
    "convert.st_bad_offsets": (
        "{file}: damaged entry for tensor {name} (offsets {start}..{end})",
        "{file}：张量 {name} 的条目已损坏（偏移 {start}..{end}）",
    ),
    "convert.st_size": (
        "{file}: tensor {name} has {got} bytes, its shape {shape} needs {need}",
        "{file}：张量 {name} 有 {got} 字节，其形状 {shape} 需要 {need} 字节",
    ),
    "convert.st_too_small": (
        "{name} is not a safetensors file (it is {size} bytes long)",
        "{name} 不是 safetensors 文件（只有 {size} 字节）",
    ),
    "convert.st_header_len": (
        "{name} is truncated or not a safetensors file (header length {length})",
        "{name} 不完整或不是 safetensors 文件（头部长度 {length}）",
    ),
    "convert.st_header_json": (
        "{name} has a damaged header (not JSON)",
        "{name} 的头部已损坏（不是 JSON）",
    ),
    "convert.st_header": (
        "{name} has a damaged header",
        "{name} 的头部已损坏",
    ),
    "convert.st_overlap": (
        "{name} is damaged: tensors {first} and {second} overlap",
        "{name} 已损坏：张量 {first} 和 {second} 重叠",
    ),
    "convert.st_ended": (
        "{name} ended while reading tensor {tensor} (truncated?)",
        "读取张量 {tensor} 时 {name} 已结束（文件不完整？）",
    ),
    "convert.config_deep": (
        "{path} is nested too deeply to be a config file",
        "{path} 嵌套太深，不像配置文件",
    ),
    "convert.config_lacks": (
        "{path} lacks {key}, which the converter needs",
        "{path} 缺少转换所需的 {key}",
    ),
    "convert.config_int": (
        "{path}: {key} must be a whole number from {low} to {high} (got {got})",
        "{path}：{key} 必须是 {low} 到 {high} 之间的整数（实际为 {got}）",
    ),
    "convert.config_float": (
        "{path}: {key} must be a number above {low} and at most {high} (got {got})",
        "{path}：{key} 必须大于 {low} 且不超过 {high}（实际为 {got}）",
    ),
    "convert.cannot_use": (
        "cannot use {folder}: {reason}",
        "无法使用 {folder}：{reason}",
    ),
    "convert.not_folder": (
        "{folder} is not a folder: give the checkpoint folder (with config.json)",
        "{folder} 不是文件夹：请给出检查点文件夹（含 config.json）",
    ),
    "convert.no_config": (
        "{folder} has no config.json: is it a Hugging Face checkpoint folder?",
        "{folder} 中没有 config.json：它是 Hugging Face 检查点文件夹吗？",
    ),
    "convert.config_not_object": (
        "{path} is not a JSON object",
        "{path} 不是 JSON 对象",
    ),
    "convert.config_archs": (
        "{path}: 'architectures' must be a list of names",
        "{path}：“architectures”必须是名称列表",
    ),
    "convert.unsupported_arch": (
        "unsupported architecture {archs} in {path}: this converter handles Baichuan-7B (BaichuanForCausalLM), Llama (LlamaForCausalLM) and Qwen2 (Qwen2ForCausalLM) checkpoints",
        "{path} 中的架构 {archs} 不受支持：本转换器支持 Baichuan-7B（BaichuanForCausalLM）、Llama（LlamaForCausalLM）和 Qwen2（Qwen2ForCausalLM）检查点",
    ),
    "convert.heads": (
        "{path}: hidden_size {n_embd} is not an even multiple of num_attention_heads {n_head}",
        "{path}：hidden_size {n_embd} 不是 num_attention_heads {n_head} 的偶数倍",
    ),
    "convert.kv_heads": (
        "{path}: num_attention_heads {n_head} is not a multiple of num_key_value_heads {n_head_kv}",
        "{path}：num_attention_heads {n_head} 不是 num_key_value_heads {n_head_kv} 的倍数",
    ),
    "convert.baichuan_layers": (
        "{path}: {n_layer} layers — llama.cpp runs Baichuan with RoPE only at 32 layers (7B); 40 layers (13B) uses ALiBi, which this converter does not handle",
        "{path}：{n_layer} 层——llama.cpp 只在 32 层（7B）时以 RoPE 运行 Baichuan；40 层（13B）使用 ALiBi，本转换器不支持",
    ),
    "convert.no_weights": (
        "{folder} has no weights (*.safetensors or pytorch_model*.bin)",
        "{folder} 中没有权重（*.safetensors 或 pytorch_model*.bin）",
    ),
    "convert.no_weight_map": (
        "{name} has no 'weight_map' of tensor names to shard files",
        "{name} 中没有张量名到分片文件的“weight_map”",
    ),
    "convert.shard_missing": (
        "shard {shard} listed in {index} is missing from {folder}",
        "{index} 中列出的分片 {shard} 不在 {folder} 中",
    ),
    "convert.tensor_unplaced": (
        "{index} lists {name}, which none of the shards holds",
        "{index} 列出了 {name}，但没有分片包含它",
    ),
    "convert.needs_torch": (
        "{folder} holds PyTorch .bin weights; reading them safely needs torch (pip install torch), or convert them to safetensors first. They are never unpickled without torch's weights_only guard.",
        "{folder} 中是 PyTorch .bin 权重；安全读取需要 torch（pip install torch），或先转换为 safetensors。没有 torch 的 weights_only 保护时绝不会反序列化它们。",
    ),
    "convert.bin_unsafe": (
        "cannot read {name} safely: {detail}",
        "无法安全读取 {name}：{detail}",
    ),
    "convert.no_tensor": (
        "the checkpoint has no tensor {name}",
        "检查点中没有张量 {name}",
    ),
    "convert.exists": (
        "{path} exists; pass --force to overwrite it",
        "{path} 已存在；要覆盖请加 --force",
    ),
    "convert.onto_input": (
        "{path} is one of the checkpoint's own files; choose another output name",
        "{path} 是检查点自身的文件；请换一个输出文件名",
    ),
    "convert.cannot_write_in": (
        "cannot write in {folder}: {reason}",
        "无法在 {folder} 中写入：{reason}",
    ),
    "convert.no_tokenizer": (
        "{folder} has no tokenizer: neither tokenizer.model (SentencePiece) nor tokenizer.json (byte-level BPE)",
        "{folder} 中没有分词器：既没有 tokenizer.model（SentencePiece），也没有 tokenizer.json（字节级 BPE）",
    ),
    "convert.bpe_unsupported": (
        "{path} is not a byte-level BPE tokenizer as Qwen2 has ({detail})",
        "{path} 不是 Qwen2 那样的字节级 BPE 分词器（{detail}）",
    ),
    "convert.bpe_no_eos": (
        "{path}: no end-of-text token (eos_token in tokenizer_config.json, or <|endoftext|>)",
        "{path}：没有文本结束词元（tokenizer_config.json 中的 eos_token，或 <|endoftext|>）",
    ),
    "convert.tokenizer_family": (
        "{folder}: a {family} checkpoint needs {needed}",
        "{folder}：{family} 检查点需要 {needed}",
    ),
}
