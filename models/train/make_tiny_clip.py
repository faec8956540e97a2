#!/usr/bin/python3
"""Generates a TINY random-weight clip-dual model for the adapter's tests (plumbing, not quality).

    /usr/bin/python3 models/train/make_tiny_clip.py [--out tests/fixtures/tiny-clip]

Writes vision.onnx (pixels [batch,3,32,32] -> image_embeds [batch,16], patch_embeds [batch,16,16]),
text.onnx (input_ids, attention_mask [batch,seq] int64 -> text_embeds [batch,16]), a BERT-style WordPiece
tokenizer.json (the format BiomedCLIP's PubMedBERT tokenizer uses) and manifest.json. Fixed seed, so
the files are the same on every run; they are committed because CI has no torch.
"""
import argparse
import json
import os

import torch
import torch.nn as nn

DIM = 16
WIDTH = 32
SIZE = 32
PATCH = 8
GRID = SIZE // PATCH

SPECIAL = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
WORDS = """a an the of in on with and no left right upper lower middle lobe lung lungs nodule nodules mass
solid part ground glass opacity spiculated lobulated smooth margin margins irregular pleural effusion
consolidation cavity calcification mm cm about posterior anterior apex base ct slice showing chest
""".split()
PIECES = ["##s", "##ed", "##ing", "##al", "##ar", "##ous", "##ion", "##ly", "##er", "##ity"]
CHARS = list("abcdefghijklmnopqrstuvwxyz0123456789.,-()/%") + [f"##{c}" for c in "abcdefghijklmnopqrstuvwxyz0123456789"]
CJK = list("左右肺上中下叶结节磨玻璃影实性毛刺分叶状伴见一大小约边缘直径后部肿块胸腔积液侧量空泡征")


class Vision(nn.Module):
    def __init__(self):
        super().__init__()
        self.patch = nn.Conv2d(3, WIDTH, PATCH, stride=PATCH)
        self.pos = nn.Parameter(torch.randn(1, GRID * GRID, WIDTH) * 0.1)
        self.mlp = nn.Sequential(nn.LayerNorm(WIDTH), nn.Linear(WIDTH, WIDTH), nn.GELU(), nn.Linear(WIDTH, WIDTH))
        self.proj = nn.Linear(WIDTH, DIM)

    def forward(self, pixel_values):
        t = self.patch(pixel_values).flatten(2).transpose(1, 2) + self.pos
        t = t + self.mlp(t)
        tokens = self.proj(t)
        return self.proj(t.mean(1)), tokens


class Text(nn.Module):
    def __init__(self, vocab):
        super().__init__()
        self.emb = nn.Embedding(vocab, WIDTH)
        self.mlp = nn.Sequential(nn.LayerNorm(WIDTH), nn.Linear(WIDTH, WIDTH), nn.GELU())
        self.proj = nn.Linear(WIDTH, DIM)

    def forward(self, input_ids, attention_mask):
        m = attention_mask.unsqueeze(-1).float()
        h = self.emb(input_ids)
        h = h + self.mlp(h)
        pooled = (h * m).sum(1) / m.sum(1).clamp(min=1.0)
        return self.proj(pooled)


def tokenizer_json(vocab):
    special = [{"id": vocab[t], "content": t, "single_word": False, "lstrip": False, "rstrip": False, "normalized": False, "special": True} for t in SPECIAL]
    tok = lambda t: {"id": t, "ids": [vocab[t]], "tokens": [t]}
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": special,
        "normalizer": {"type": "BertNormalizer", "clean_text": True, "handle_chinese_chars": True, "strip_accents": None, "lowercase": True},
        "pre_tokenizer": {"type": "BertPreTokenizer"},
        "post_processor": {
            "type": "TemplateProcessing",
            "single": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": "[SEP]", "type_id": 0}}],
            "pair": [
                {"SpecialToken": {"id": "[CLS]", "type_id": 0}},
                {"Sequence": {"id": "A", "type_id": 0}},
                {"SpecialToken": {"id": "[SEP]", "type_id": 0}},
                {"Sequence": {"id": "B", "type_id": 1}},
                {"SpecialToken": {"id": "[SEP]", "type_id": 1}},
            ],
            "special_tokens": {"[CLS]": tok("[CLS]"), "[SEP]": tok("[SEP]")},
        },
        "decoder": {"type": "WordPiece", "prefix": "##", "cleanup": True},
        "model": {"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##", "max_input_chars_per_word": 100, "vocab": vocab},
    }


def main():
    ap = argparse.ArgumentParser()
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    ap.add_argument("--out", default=os.path.join(root, "tests", "fixtures", "tiny-clip"))
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    torch.manual_seed(7)

    tokens = []
    for t in SPECIAL + WORDS + PIECES + CHARS + CJK:
        if t not in tokens:
            tokens.append(t)
    vocab = {t: i for i, t in enumerate(tokens)}

    vision, text = Vision().eval(), Text(len(vocab)).eval()
    torch.onnx.export(
        vision,
        torch.zeros(1, 3, SIZE, SIZE),
        os.path.join(a.out, "vision.onnx"),
        opset_version=17,
        input_names=["pixel_values"],
        output_names=["image_embeds", "patch_embeds"],
        dynamic_axes={"pixel_values": {0: "batch"}, "image_embeds": {0: "batch"}, "patch_embeds": {0: "batch"}},
    )
    torch.onnx.export(
        text,
        (torch.zeros(1, 8, dtype=torch.long), torch.ones(1, 8, dtype=torch.long)),
        os.path.join(a.out, "text.onnx"),
        opset_version=17,
        input_names=["input_ids", "attention_mask"],
        output_names=["text_embeds"],
        dynamic_axes={"input_ids": {0: "batch", 1: "seq"}, "attention_mask": {0: "batch", 1: "seq"}, "text_embeds": {0: "batch"}},
    )
    json.dump(tokenizer_json(vocab), open(os.path.join(a.out, "tokenizer.json"), "w"), ensure_ascii=False, indent=1)
    manifest = {
        "id": "tiny-clip",
        "kind": "clip-dual",
        "version": "0.0.1-test",
        "description": "Random-weight clip-dual model for tests of the adapter's plumbing. Scores mean nothing.",
        "files": {"vision": "vision.onnx", "text": "text.onnx", "tokenizer": "tokenizer.json"},
        "inputs": [
            {"name": "pixel_values", "role": "pixels", "file": "vision", "dtype": "float32", "shape": ["batch", 3, SIZE, SIZE]},
            {"name": "input_ids", "role": "input-ids", "file": "text", "dtype": "int64", "shape": ["batch", "seq"]},
            {"name": "attention_mask", "role": "attention-mask", "file": "text", "dtype": "int64", "shape": ["batch", "seq"]},
        ],
        "outputs": [
            {"name": "image_embeds", "role": "image-embedding", "file": "vision", "dtype": "float32", "shape": ["batch", DIM]},
            {"name": "patch_embeds", "role": "patch-embeddings", "file": "vision", "dtype": "float32", "shape": ["batch", GRID * GRID, DIM]},
            {"name": "text_embeds", "role": "text-embedding", "file": "text", "dtype": "float32", "shape": ["batch", DIM]},
        ],
        "preprocessing": {
            "image": {"window": {"center": -600, "width": 1500}, "size": SIZE, "mean": [0.5, 0.5, 0.5], "std": [0.25, 0.25, 0.25], "patchGrid": GRID}
        },
        "tokenizer": {"file": "tokenizer", "maxLength": 16, "padId": 0, "prompt": "a chest ct slice showing {}"},
        "licence": {"weights": "MIT (random weights generated by models/train/make_tiny_clip.py)"},
        "provenance": {"script": "models/train/make_tiny_clip.py", "seed": 7, "framework": f"torch {torch.__version__}"},
    }
    json.dump(manifest, open(os.path.join(a.out, "manifest.json"), "w"), indent=2)
    for f in sorted(os.listdir(a.out)):
        print(f, os.path.getsize(os.path.join(a.out, f)))


if __name__ == "__main__":
    main()
