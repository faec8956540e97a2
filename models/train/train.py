#!/usr/bin/python3
"""Trains the lesion CNN on the set made by make-dataset.ts and exports it to ONNX (opset 17).

    /usr/bin/python3 models/train/train.py [--data .cache/lesion-cnn] [--out models/lesion-cnn] [--epochs 6]

CPU only, one thread (deterministic: fixed seeds, deterministic algorithms). Writes model.onnx,
manifest.json and metrics.json into --out. The patches arrive windowed to 0..1 (stored as bytes); the
same per-channel mean/std that the manifest lists for inference are applied here.
"""
import argparse
import hashlib
import json
import math
import os
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

TEXTURES = ["solid", "part-solid", "ground-glass"]


def block(a, b):
    return nn.Sequential(nn.Conv2d(a, b, 3, padding=1, bias=False), nn.BatchNorm2d(b), nn.ReLU(inplace=True))


class LesionNet(nn.Module):
    """2.5D patch CNN: 40x40 -> 20 -> 10 (heatmap head) -> 5 (global heads). About 0.3 M parameters."""

    def __init__(self, cin=6):
        super().__init__()
        self.f1 = nn.Sequential(block(cin, 16), block(16, 16))
        self.f2 = nn.Sequential(nn.MaxPool2d(2), block(16, 32), block(32, 32))
        self.f3 = nn.Sequential(nn.MaxPool2d(2), block(32, 64), block(64, 64))
        self.heat = nn.Conv2d(64, 1, 1)
        self.f4 = nn.Sequential(nn.MaxPool2d(2), block(64, 128), block(128, 128))
        self.fc = nn.Sequential(nn.Linear(256, 64), nn.ReLU(inplace=True), nn.Dropout(0.2))
        self.lesion = nn.Linear(64, 1)
        self.texture = nn.Linear(64, 3)
        self.margin = nn.Linear(64, 3)  # smooth / lobulated / spiculated

    def forward(self, x):
        f3 = self.f3(self.f2(self.f1(x)))
        heat = self.heat(f3).squeeze(1)
        f4 = self.f4(f3)
        g = torch.cat([f4.mean((2, 3)), f4.amax((2, 3))], 1)
        h = self.fc(g)
        return self.lesion(h).squeeze(1), self.texture(h), self.margin(h), heat


def irregularity(margin_logits):
    """Expected irregularity 0 smooth, 0.5 lobulated, 1 spiculated from the three-class head."""
    p = torch.softmax(margin_logits, 1)
    return p[:, 1] * 0.5 + p[:, 2]


class Exported(nn.Module):
    """What the ONNX file computes: probabilities, not logits."""

    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, patches):
        lesion, texture, margin, heat = self.net(patches)
        return torch.sigmoid(lesion), torch.softmax(texture, 1), irregularity(margin), torch.sigmoid(heat)


def load_split(d):
    meta = json.load(open(os.path.join(d, "meta.json")))
    n, c, p, h = meta["count"], meta["channels"], meta["size"], meta["heatSize"]
    x = torch.from_numpy(np.fromfile(os.path.join(d, "x.u8"), dtype=np.uint8).reshape(n, c, p, p))
    y = torch.from_numpy(np.fromfile(os.path.join(d, "y.f32"), dtype=np.float32).reshape(n, 4))
    heat = torch.from_numpy(np.fromfile(os.path.join(d, "heat.f32"), dtype=np.float32).reshape(n, h, h))
    cat = torch.tensor(meta["category"], dtype=torch.long)
    return meta, x, y, heat, cat


def to_input(xb, mean, std):
    return (xb.float() / 255.0 - mean) / std


def augment(xb, hb, g, n_slices, n_windows, spec):
    """Flips, 90-degree turns, z reversal, HU noise and offset: the same for image and heatmap target."""
    x = xb.float() / 255.0
    if torch.rand(1, generator=g).item() < 0.5:
        x, hb = x.flip(3), hb.flip(2)
    if torch.rand(1, generator=g).item() < 0.5:
        x, hb = x.flip(2), hb.flip(1)
    k = int(torch.randint(0, 4, (1,), generator=g).item())
    x, hb = torch.rot90(x, k, (2, 3)), torch.rot90(hb, k, (1, 2))
    if torch.rand(1, generator=g).item() < 0.5:
        idx = [w * n_slices + (n_slices - 1 - s) for w in range(n_windows) for s in range(n_slices)]
        x = x[:, idx]
    # HU noise (sigma 0..25 HU) and offset (+-25 HU), through each channel's window width.
    widths = torch.tensor([w["width"] for w in spec["windows"] for _ in range(n_slices)]).view(1, -1, 1, 1)
    b = x.shape[0]
    sigma = torch.rand(b, 1, 1, 1, generator=g) * 25.0
    offset = (torch.rand(b, 1, 1, 1, generator=g) - 0.5) * 50.0
    inside = (x > 0) & (x < 1)
    x = torch.where(inside, x + (torch.randn(x.shape, generator=g) * sigma + offset) / widths, x).clamp(0, 1)
    return x, hb


def auc(scores, labels):
    order = np.argsort(-scores, kind="stable")
    l = labels[order]
    pos, neg = l.sum(), (1 - l).sum()
    if pos == 0 or neg == 0:
        return float("nan")
    # Mann-Whitney U via ranks (ties broken by order; scores are continuous).
    ranks = np.empty(len(scores))
    ranks[np.argsort(scores, kind="stable")] = np.arange(1, len(scores) + 1)
    return float((ranks[labels == 1].sum() - pos * (pos + 1) / 2) / (pos * neg))


@torch.no_grad()
def evaluate(net, x, y, heat, cat, meta, mean, std):
    net.eval()
    outs = [[], [], [], []]
    for i in range(0, len(x), 256):
        o = net(to_input(x[i : i + 256], mean, std))
        outs[0].append(torch.sigmoid(o[0]))
        outs[1].append(o[1].argmax(1))
        outs[2].append(irregularity(o[2]))
        outs[3].append(torch.sigmoid(o[3]))
    p, tex, mar, hm = (torch.cat(o).numpy() for o in outs)
    lab = y[:, 0].numpy()
    cats = meta["categories"]
    c = cat.numpy()
    neg = lab == 0
    res = {"samples": int(len(lab)), "auc": auc(p, lab), "accuracy@0.5": float(((p > 0.5) == (lab == 1)).mean())}
    per = {}
    for k, name in enumerate(cats):
        m = c == k
        if not m.any():
            continue
        if name.startswith("lesion"):
            sel = m | neg
            per[name] = {"n": int(m.sum()), "auc_vs_all_negatives": auc(p[sel], lab[sel]), "recall@0.5": float((p[m] > 0.5).mean())}
        else:
            per[name] = {"n": int(m.sum()), "false_positive_rate@0.5": float((p[m] > 0.5).mean())}
    res["per_category"] = per
    pos = lab == 1
    res["texture_accuracy"] = float((tex[pos] == y[pos, 1].numpy()).mean())
    res["margin_mae"] = float(np.abs(mar[pos] - y[pos, 2].numpy()).mean())
    spic = pos & (y[:, 2].numpy() == 1)
    smooth = pos & (y[:, 2].numpy() == 0)
    res["margin_auc_spiculated_vs_smooth"] = auc(np.concatenate([mar[spic], mar[smooth]]), np.concatenate([np.ones(spic.sum()), np.zeros(smooth.sum())]))
    vis = (y[:, 1].numpy() != 2) & (y[:, 3].numpy() >= 8)
    res["margin_auc_spiculated_vs_smooth_visible"] = auc(
        np.concatenate([mar[spic & vis], mar[smooth & vis]]), np.concatenate([np.ones((spic & vis).sum()), np.zeros((smooth & vis).sum())])
    )
    irregular = pos & vis & (y[:, 2].numpy() > 0)
    res["margin_auc_irregular_vs_smooth_visible"] = auc(
        np.concatenate([mar[irregular], mar[smooth & vis]]), np.concatenate([np.ones(irregular.sum()), np.zeros((smooth & vis).sum())])
    )
    t = heat.numpy()[pos] > 0.5
    pr = hm[pos] > 0.5
    inter = (t & pr).sum((1, 2))
    union = (t | pr).sum((1, 2))
    ok = union > 0
    res["heatmap_iou"] = float((inter[ok] / union[ok]).mean())
    net.train()
    return res


def main():
    ap = argparse.ArgumentParser()
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.dirname(os.path.dirname(here))
    ap.add_argument("--data", default=os.path.join(root, ".cache", "lesion-cnn"))
    ap.add_argument("--out", default=os.path.join(root, "models", "lesion-cnn"))
    ap.add_argument("--epochs", type=int, default=6)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--limit", type=int, default=0, help="use only the first N training samples (smoke runs)")
    ap.add_argument("--max-minutes", type=float, default=0, help="stop after the epoch that passes this wall time (0: no limit)")
    a = ap.parse_args()

    torch.set_num_threads(1)
    torch.manual_seed(1234)
    np.random.seed(1234)
    torch.use_deterministic_algorithms(True)

    meta, x, y, heat, cat = load_split(os.path.join(a.data, "train"))
    if a.limit:
        x, y, heat, cat = x[: a.limit], y[: a.limit], heat[: a.limit], cat[: a.limit]
    test_dir = os.path.join(a.data, "test")
    held = None  # loaded when present (make-dataset writes meta.json last); training does not depend on it
    spec = meta["spec"]
    n_slices, n_windows = len(spec["sliceOffsetsMm"]), len(spec["windows"])
    mean = torch.tensor(spec["mean"]).view(1, -1, 1, 1)
    std = torch.tensor(spec["std"]).view(1, -1, 1, 1)

    net = LesionNet(cin=meta["channels"])
    n_params = sum(p.numel() for p in net.parameters())
    print(f"params {n_params}, train {len(x)}", flush=True)
    opt = torch.optim.AdamW(net.parameters(), lr=a.lr, weight_decay=1e-4)
    steps_per_epoch = math.ceil(len(x) / a.batch)
    total = steps_per_epoch * a.epochs
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=a.lr, total_steps=total, pct_start=0.15)
    g = torch.Generator().manual_seed(99)
    t0 = time.time()
    step = 0
    epochs_done = 0
    for epoch in range(a.epochs):
        perm = torch.randperm(len(x), generator=g)
        run = 0.0
        for i in range(0, len(x), a.batch):
            idx = perm[i : i + a.batch]
            xb, hb = augment(x[idx], heat[idx], g, n_slices, n_windows, spec)
            xb = (xb - mean) / std
            yb = y[idx]
            lesion, texture, margin, hm = net(xb)
            is_pos = yb[:, 0] == 1
            loss = F.binary_cross_entropy_with_logits(lesion, yb[:, 0])
            if is_pos.any():
                loss = loss + 0.5 * F.cross_entropy(texture[is_pos], yb[is_pos, 1].long())
            # Margin is only judged where it can be seen: solid or part-solid lesions of 8 mm or more
            # (a small or pure ground-glass lesion's margin is lost in the parenchyma).
            visible = is_pos & (yb[:, 1] != 2) & (yb[:, 3] >= 8)
            if visible.any():
                loss = loss + F.cross_entropy(margin[visible], (yb[visible, 2] * 2).round().long())
            loss = loss + 0.5 * F.binary_cross_entropy_with_logits(hm, hb.clamp(0, 1))
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            step += 1
            run += loss.item()
            if step % 50 == 0:
                print(f"epoch {epoch} step {step}/{total} loss {run / 50:.4f} {time.time() - t0:.0f}s", flush=True)
                run = 0.0
        if held is None and os.path.exists(os.path.join(test_dir, "meta.json")):
            held = load_split(test_dir)
        if held is None:
            print(f"epoch {epoch}: done ({time.time() - t0:.0f}s)", flush=True)
        else:
            m = evaluate(net, held[1], held[2], held[3], held[4], held[0], mean, std)
            print(f"epoch {epoch}: held-out auc {m['auc']:.4f} texture {m['texture_accuracy']:.3f} heat-iou {m['heatmap_iou']:.3f}", flush=True)
        epochs_done = epoch + 1
        if a.max_minutes and time.time() - t0 > a.max_minutes * 60 and epochs_done < a.epochs:
            print(f"stopping after epoch {epoch}: past --max-minutes {a.max_minutes}", flush=True)
            break

    train_s = time.time() - t0
    while held is None:
        if os.path.exists(os.path.join(test_dir, "meta.json")):
            held = load_split(test_dir)
        else:
            print("waiting for the held-out split", flush=True)
            time.sleep(10)
    tmeta, tx, ty, theat, tcat = held
    metrics = evaluate(net, tx, ty, theat, tcat, tmeta, mean, std)
    metrics["train_seconds"] = round(train_s, 1)
    metrics["epochs"] = epochs_done
    metrics["epochs_planned"] = a.epochs
    metrics["train_samples"] = int(len(x))
    metrics["parameters"] = int(n_params)
    print(json.dumps(metrics, indent=1), flush=True)

    os.makedirs(a.out, exist_ok=True)
    net.eval()
    onnx_path = os.path.join(a.out, "model.onnx")
    dummy = torch.zeros(2, meta["channels"], meta["size"], meta["size"])
    torch.onnx.export(
        Exported(net),
        dummy,
        onnx_path,
        opset_version=17,
        input_names=["patches"],
        output_names=["lesion", "texture", "margin", "heatmap"],
        dynamic_axes={"patches": {0: "batch"}, "lesion": {0: "batch"}, "texture": {0: "batch"}, "margin": {0: "batch"}, "heatmap": {0: "batch"}},
        do_constant_folding=True,
    )
    sha = hashlib.sha256(open(onnx_path, "rb").read()).hexdigest()
    c, p, h = meta["channels"], meta["size"], meta["heatSize"]
    manifest = {
        "id": "lesion-cnn",
        "kind": "lesion-cnn",
        "version": "1.1.0",
        "description": "2.5D patch CNN trained by the project on synthetic lesions in real lung CT: lesion probability, texture, margin irregularity and a coarse heatmap per candidate.",
        "files": {"model": "model.onnx"},
        "sha256": {"model.onnx": sha},
        "inputs": [{"name": "patches", "role": "patches", "file": "model", "dtype": "float32", "shape": ["batch", c, p, p]}],
        "outputs": [
            {"name": "lesion", "role": "lesion-probability", "file": "model", "dtype": "float32", "shape": ["batch"]},
            {"name": "texture", "role": "texture-probabilities", "file": "model", "dtype": "float32", "shape": ["batch", 3], "labels": TEXTURES},
            {
                "name": "margin",
                "role": "margin-irregularity",
                "file": "model",
                "dtype": "float32",
                "shape": ["batch"],
                # A head that does not separate spiculated from smooth on held-out lesions is exported but not fused.
                "fuse": bool(metrics["margin_auc_spiculated_vs_smooth_visible"] >= 0.7),
            },
            {"name": "heatmap", "role": "heatmap", "file": "model", "dtype": "float32", "shape": ["batch", h, h]},
        ],
        "preprocessing": {"patch": spec},
        "licence": {
            "weights": "MIT (trained by the Slice Finder project)",
            "data": "Synthetic lesions inserted into LIDC-IDRI-0001 (TCIA, CC BY 3.0; Armato SG III et al., Med Phys 38(2), 2011; doi:10.7937/K9/TCIA.2015.LO9QL9SX)",
        },
        "provenance": {
            "script": "models/train/make-dataset.ts + models/train/train.py",
            "framework": f"torch {torch.__version__}, CPU, 1 thread",
            "data": {"train": meta.get("files"), "heldOut": tmeta.get("files"), "excludedFiles": "1-033..1-053 (evaluation lesion 1-039..1-047 plus 6 slices each side)"},
            "seeds": {"dataset": [20260101, 777001], "torch": 1234},
            "epochs": epochs_done,
            "epochsPlanned": a.epochs,
            "command": "npx tsx models/train/make-dataset.ts && /usr/bin/python3 models/train/train.py --epochs %d" % a.epochs,
        },
        "metrics": {
            k: metrics[k]
            for k in ["auc", "accuracy@0.5", "texture_accuracy", "margin_auc_spiculated_vs_smooth", "margin_auc_spiculated_vs_smooth_visible", "heatmap_iou"]
        },
    }
    json.dump(manifest, open(os.path.join(a.out, "manifest.json"), "w"), indent=2)
    json.dump(metrics, open(os.path.join(a.out, "metrics.json"), "w"), indent=2)
    print(f"wrote {onnx_path} ({os.path.getsize(onnx_path)} bytes), sha256 {sha}", flush=True)


if __name__ == "__main__":
    main()
