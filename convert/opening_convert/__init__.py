"""``opening-convert``: a Hugging Face Baichuan-7B / Llama / Qwen2 checkpoint → GGUF (F32/F16/BF16) →
K-quants.

Streaming and torch-free for safetensors checkpoints; ``job.py`` is the whole conversion, ``cli.py``
the command. llama.cpp runs Baichuan with RoPE only at 32 layers (7B); Q and K are un-permuted from
HF's rotate-half layout (not Qwen2's); Baichuan2's lm_head rows are normalised. Tokenizers: SentencePiece
``tokenizer.model`` (Baichuan, Llama) or byte-level BPE ``tokenizer.json`` (Qwen2), read without their
libraries.
"""

from opening.base.messages import add_messages
from opening_convert.message_catalog import CONVERT_MESSAGES

add_messages(CONVERT_MESSAGES)
