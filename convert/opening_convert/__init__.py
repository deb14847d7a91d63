"""``opening-convert``: a Hugging Face Baichuan-7B / Llama checkpoint → GGUF (F32/F16/BF16) → K-quants.

Streaming and torch-free for safetensors checkpoints; see ``cli.py`` for the command and REFERENCE.md §4.
"""
