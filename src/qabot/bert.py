"""A fast-starting encoder for plain BERT sentence-transformers models (such as all-MiniLM-L6-v2).

Importing sentence-transformers costs about 3 s (transformers and scikit-learn come with it), more
than the whole `qabot ask` budget. A BERT sentence model is token, position and type embeddings,
then a stack of post-norm GELU encoder layers (`torch.nn.TransformerEncoderLayer`), then mean
pooling and L2 normalisation: the same weights run here with torch, tokenizers and safetensors
only, and give the same vectors (tests compare with sentence-transformers). For a model of any
other shape `supported` is False and `embedding.Embedder` runs it on sentence-transformers.

`encode_rows` runs questions for the micro-batcher (batching.py): without padding, and with each
text's vector bit-for-bit the same whichever texts share the call, so a question answered in a batch
gets exactly the answer it would get alone.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

# The modules a sentence-transformers model directory must list, in order, for this encoder to apply.
# Stacked token rows are padded to a multiple of this: with fewer than about 12 rows MKL's GEMM takes
# another code path whose rounding differs; from 12 rows on, each row's result is independent of
# the others (tests/test_batching.py checks the vectors bit for bit).
_ROWS = 16
_MODULES = ["sentence_transformers.models.Transformer", "sentence_transformers.models.Pooling",
            "sentence_transformers.models.Normalize"]


def _json(path: Path) -> dict | list | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def supported(model_dir: Path) -> bool:
    modules = _json(model_dir / "modules.json")
    config = _json(model_dir / "config.json")
    pooling = _json(model_dir / "1_Pooling" / "config.json")
    return (isinstance(modules, list) and [m.get("type") for m in modules] == _MODULES
            and isinstance(config, dict) and config.get("model_type") == "bert"
            and config.get("hidden_act") == "gelu"
            and config.get("position_embedding_type", "absolute") == "absolute"
            and isinstance(pooling, dict) and pooling.get("pooling_mode_mean_tokens") is True
            and not any(v for k, v in pooling.items() if k.startswith("pooling_mode_") and
                        k != "pooling_mode_mean_tokens")
            and (model_dir / "tokenizer.json").is_file() and (model_dir / "model.safetensors").is_file())


class BertEncoder:
    def __init__(self, model_dir: Path) -> None:
        import torch
        from safetensors.torch import load_file
        from tokenizers import Tokenizer

        config = _json(model_dir / "config.json")
        settings = _json(model_dir / "sentence_bert_config.json") or {}
        assert isinstance(config, dict) and isinstance(settings, dict)
        self.dim = int(config["hidden_size"])
        max_len = int(settings.get("max_seq_length") or config["max_position_embeddings"])
        self.tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self.tokenizer.enable_truncation(max_len)
        self.tokenizer.enable_padding(pad_id=int(config.get("pad_token_id", 0)))
        w = {k.removeprefix("bert."): v for k, v in load_file(str(model_dir / "model.safetensors")).items()}
        nn, eps = torch.nn, float(config["layer_norm_eps"])
        self.word = nn.Embedding.from_pretrained(w["embeddings.word_embeddings.weight"])
        self.position = nn.Embedding.from_pretrained(w["embeddings.position_embeddings.weight"])
        self.type = nn.Embedding.from_pretrained(w["embeddings.token_type_embeddings.weight"])
        self.norm = nn.LayerNorm(self.dim, eps=eps)
        self.norm.load_state_dict({"weight": w["embeddings.LayerNorm.weight"],
                                   "bias": w["embeddings.LayerNorm.bias"]})
        self.layers = []
        for i in range(int(config["num_hidden_layers"])):
            p = f"encoder.layer.{i}."
            layer = nn.TransformerEncoderLayer(
                self.dim, int(config["num_attention_heads"]), int(config["intermediate_size"]),
                dropout=0.0, activation="gelu", layer_norm_eps=eps, batch_first=True, norm_first=False)
            qkv = [p + f"attention.self.{n}." for n in ("query", "key", "value")]
            layer.load_state_dict({
                "self_attn.in_proj_weight": torch.cat([w[n + "weight"] for n in qkv]),
                "self_attn.in_proj_bias": torch.cat([w[n + "bias"] for n in qkv]),
                "self_attn.out_proj.weight": w[p + "attention.output.dense.weight"],
                "self_attn.out_proj.bias": w[p + "attention.output.dense.bias"],
                "linear1.weight": w[p + "intermediate.dense.weight"],
                "linear1.bias": w[p + "intermediate.dense.bias"],
                "linear2.weight": w[p + "output.dense.weight"],
                "linear2.bias": w[p + "output.dense.bias"],
                "norm1.weight": w[p + "attention.output.LayerNorm.weight"],
                "norm1.bias": w[p + "attention.output.LayerNorm.bias"],
                "norm2.weight": w[p + "output.LayerNorm.weight"],
                "norm2.bias": w[p + "output.LayerNorm.bias"],
            })
            self.layers.append(layer.eval())
        self.norm.eval()

    def encode(self, texts: list[str], batch_size: int = 64) -> np.ndarray:
        import torch  # imported once by __init__; here only a name lookup
        # Similar lengths batched together pad little, as sentence-transformers does.
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        with torch.inference_mode():
            for start in range(0, len(order), batch_size):
                rows = order[start:start + batch_size]
                encodings = self.tokenizer.encode_batch([texts[i] for i in rows])
                ids = torch.tensor([e.ids for e in encodings])
                mask = torch.tensor([e.attention_mask for e in encodings], dtype=torch.bool)
                types = torch.tensor([e.type_ids for e in encodings])
                positions = torch.arange(ids.shape[1]).unsqueeze(0)
                x = self.norm(self.word(ids) + self.position(positions) + self.type(types))
                for layer in self.layers:
                    x = layer(x, src_key_padding_mask=~mask)
                weights = mask.unsqueeze(-1).to(x.dtype)
                pooled = (x * weights).sum(1) / weights.sum(1).clamp(min=1e-9)
                pooled = torch.nn.functional.normalize(pooled, dim=-1)
                out[rows] = pooled.numpy()
        return out

    def encode_rows(self, texts: list[str]) -> np.ndarray:
        """`encode` for questions, each row independent of the others: the tokens of all texts are
        stacked as rows for the per-token layers (embeddings, projections, feed-forward, layer norms)
        and attention and pooling run per text on exactly its own tokens, so nothing is padded and a
        text's vector is the same in any batch. Equal to `encode` within float rounding (~2e-7)."""
        import torch
        from torch.nn import functional as F

        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        encodings = self.tokenizer.encode_batch(texts)
        lengths = [sum(e.attention_mask) for e in encodings]
        starts = np.concatenate([[0], np.cumsum(lengths)]).tolist()
        rows = max(_ROWS, -(-starts[-1] // _ROWS) * _ROWS)
        ids, positions, types = (np.zeros(rows, dtype=np.int64) for _ in range(3))
        for e, n, s in zip(encodings, lengths, starts):
            ids[s:s + n], types[s:s + n], positions[s:s + n] = e.ids[:n], e.type_ids[:n], range(n)
        spans = [(s, s + n) for s, n in zip(starts, lengths)]
        out = torch.zeros(len(texts), self.dim)
        with torch.inference_mode():
            x = self.norm(self.word(torch.from_numpy(ids)) + self.position(torch.from_numpy(positions))
                          + self.type(torch.from_numpy(types)))
            for layer in self.layers:
                attention = layer.self_attn
                heads = attention.num_heads
                qkv = F.linear(x, attention.in_proj_weight, attention.in_proj_bias)
                mixed = torch.zeros_like(x)
                for s, e in spans:
                    q, k, v = qkv[s:e].view(e - s, 3, heads, -1).permute(1, 2, 0, 3).unsqueeze(1)
                    mixed[s:e] = F.scaled_dot_product_attention(q, k, v)[0].transpose(0, 1).reshape(e - s, -1)
                x = layer.norm1(x + F.linear(mixed, attention.out_proj.weight, attention.out_proj.bias))
                x = layer.norm2(x + layer.linear2(F.gelu(layer.linear1(x))))
            for i, (s, e) in enumerate(spans):
                out[i] = x[s:e].mean(0)
            out = F.normalize(out, dim=-1)
        return out.numpy()
