#!/usr/bin/python3
"""Trains the lesion CNN on the set made by make-dataset.ts and exports it to ONNX (opset 17).

    /usr/bin/python3 models/train/train.py [--data .cache/lesion-cnn] [--out models/lesion-cnn] [--epochs 7]

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


def rates(p, lab, m):
    """AUC of these samples against the other class, and the share called a lesion at 0.5."""
    pos = lab == 1
    if pos[m].all():
        sel = m | ~pos
        return {"n": int(m.sum()), "auc_vs_all_negatives": auc(p[sel], lab[sel]), "recall@0.5": float((p[m] > 0.5).mean())}
    sel = m | pos
    return {"n": int(m.sum()), "auc_vs_all_positives": auc(p[sel], lab[sel]), "false_positive_rate@0.5": float((p[m] > 0.5).mean())}


@torch.no_grad()
def evaluate(net, x, y, heat, cat, meta, mean, std, detail=True):
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
    pos = lab == 1
    res = {"samples": int(len(lab)), "positives": int(pos.sum()), "auc": auc(p, lab), "accuracy@0.5": float(((p > 0.5) == pos).mean())}
    res["recall@0.5"] = float((p[pos] > 0.5).mean())
    res["false_positive_rate@0.5"] = float((p[~pos] > 0.5).mean())
    tex_true = y[:, 1].numpy()
    res["texture_accuracy"] = float((tex[pos] == tex_true[pos]).mean())
    t = heat.numpy()[pos] > 0.5
    pr = hm[pos] > 0.5
    inter = (t & pr).sum((1, 2))
    union = (t | pr).sum((1, 2))
    ok = union > 0
    res["heatmap_iou"] = float((inter[ok] / union[ok]).mean())
    if not detail:
        net.train()
        return res
    per = {}
    for k, name in enumerate(cats):
        m = c == k
        if not m.any():
            continue
        per[name] = rates(p, lab, m)
        if name.startswith("pos"):
            per[name]["texture_accuracy"] = float((tex[m] == tex_true[m]).mean())
            tm, pm = heat.numpy()[m] > 0.5, hm[m] > 0.5
            u = (tm | pm).sum((1, 2))
            per[name]["heatmap_iou"] = float(((tm & pm).sum((1, 2))[u > 0] / u[u > 0]).mean())
    res["per_category"] = per
    size = y[:, 3].numpy()
    flags = np.array(meta.get("flags", [0] * len(lab)))
    bits = meta.get("flagBits", {"rim": 1, "stretched": 2})
    groups = {
        "size 4-8 mm": pos & (size < 8),
        "size 8-20 mm": pos & (size >= 8) & (size < 20),
        "size 20-40 mm": pos & (size >= 20) & (size < 40),
        "size 40-70 mm": pos & (size >= 40),
        "solid": pos & (tex_true == 0),
        "part-solid": pos & (tex_true == 1),
        "ground-glass": pos & (tex_true == 2),
        "graded ground glass (faint rim)": pos & ((flags & bits["rim"]) > 0),
        "stretched (plate / cigar)": pos & ((flags & bits["stretched"]) > 0),
    }
    res["per_group"] = {}
    for name, m in groups.items():
        if m.any():
            g = rates(p, lab, m)
            g["texture_accuracy"] = float((tex[m] == tex_true[m]).mean())
            res["per_group"][name] = g
    # texture confusion (rows: true solid / part-solid / ground-glass; columns: predicted)
    res["texture_confusion"] = [[int(((tex_true == a) & (tex == b) & pos).sum()) for b in range(3)] for a in range(3)]
    if "case" in meta:
        names = [cs["name"] for cs in meta.get("cases", [])]
        case = np.array(meta["case"])
        res["per_case"] = {}
        for k in sorted(set(case.tolist())):
            m = case == k
            res["per_case"][names[k] if k < len(names) else str(k)] = {
                "n": int(m.sum()),
                "auc": auc(p[m], lab[m]),
                "recall@0.5": float((p[m & pos] > 0.5).mean()),
                "false_positive_rate@0.5": float((p[m & ~pos] > 0.5).mean()),
            }
    res["margin_mae"] = float(np.abs(mar[pos] - y[pos, 2].numpy()).mean())
    spic = pos & (y[:, 2].numpy() == 1)
    smooth = pos & (y[:, 2].numpy() == 0)
    res["margin_auc_spiculated_vs_smooth"] = auc(np.concatenate([mar[spic], mar[smooth]]), np.concatenate([np.ones(spic.sum()), np.zeros(smooth.sum())]))
    vis = (tex_true != 2) & (size >= 8)
    res["margin_auc_spiculated_vs_smooth_visible"] = auc(
        np.concatenate([mar[spic & vis], mar[smooth & vis]]), np.concatenate([np.ones((spic & vis).sum()), np.zeros((smooth & vis).sum())])
    )
    irregular = pos & vis & (y[:, 2].numpy() > 0)
    res["margin_auc_irregular_vs_smooth_visible"] = auc(
        np.concatenate([mar[irregular], mar[smooth & vis]]), np.concatenate([np.ones(irregular.sum()), np.zeros((smooth & vis).sum())])
    )
    res["_scores"] = p.tolist()
    net.train()
    return res


def main():
    ap = argparse.ArgumentParser()
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.dirname(os.path.dirname(here))
    ap.add_argument("--data", default=os.path.join(root, ".cache", "lesion-cnn"))
    ap.add_argument("--out", default=os.path.join(root, "models", "lesion-cnn"))
    ap.add_argument("--epochs", type=int, default=7)
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
    c0 = time.process_time()
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
            m = evaluate(net, held[1], held[2], held[3], held[4], held[0], mean, std, detail=False)
            print(
                f"epoch {epoch}: held-out auc {m['auc']:.4f} recall {m['recall@0.5']:.3f} fpr {m['false_positive_rate@0.5']:.3f} "
                f"texture {m['texture_accuracy']:.3f} heat-iou {m['heatmap_iou']:.3f} ({time.time() - t0:.0f}s)",
                flush=True,
            )
        epochs_done = epoch + 1
        if a.max_minutes and time.time() - t0 > a.max_minutes * 60 and epochs_done < a.epochs:
            print(f"stopping after epoch {epoch}: past --max-minutes {a.max_minutes}", flush=True)
            break

    train_s = time.time() - t0
    train_cpu_s = time.process_time() - c0
    while held is None:
        if os.path.exists(os.path.join(test_dir, "meta.json")):
            held = load_split(test_dir)
        else:
            print("waiting for the held-out split", flush=True)
            time.sleep(10)
    tmeta, tx, ty, theat, tcat = held
    metrics = evaluate(net, tx, ty, theat, tcat, tmeta, mean, std)
    # the held-out scores per sample, for looking at what the model gets wrong (not part of the model)
    json.dump(metrics.pop("_scores"), open(os.path.join(test_dir, "scores.json"), "w"))
    metrics["train_seconds"] = round(train_s, 1)
    metrics["train_cpu_seconds"] = round(train_cpu_s, 1)
    metrics["held_out_counts"] = tmeta.get("counts")
    metrics["train_counts"] = meta.get("counts")
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
        "version": "2.0.0",
        "description": "2.5D patch CNN trained by the project on synthetic lesions at every thoracic site (lung, fissure, pleura, mediastinum, hilum, diaphragm, beside vessels) in three real chest CTs, against their own candidates and anatomy: lesion probability, texture, margin irregularity and a coarse heatmap per candidate.",
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
            "data": (
                "Synthetic lesions inserted into three TCIA chest CTs: LIDC-IDRI-0001 (CC BY 3.0; Armato SG III et al., Med Phys 38(2), 2011; "
                "doi:10.7937/K9/TCIA.2015.LO9QL9SX), 4D-Lung 113_HM10395 (CC BY 3.0; Hugo GD et al., doi:10.7937/K9/TCIA.2016.ELN8YGLE), "
                "Lung-PET-CT-Dx Lung_Dx-A0001 (CC BY 4.0; Li P et al., doi:10.7937/TCIA.2020.NNC2-0461)"
            ),
        },
        "provenance": {
            "script": "models/train/make-dataset.ts + models/train/train.py",
            "framework": f"torch {torch.__version__}, CPU, 1 thread",
            "data": {
                "train": meta.get("split"),
                "heldOut": tmeta.get("split"),
                "scans": [
                    {"name": cs["name"], "trainSlices": len(cs.get("trainSlices", [])), "heldOutSlices": len(cs.get("testSlices", [])), "candidates": cs.get("candidates")}
                    for cs in meta.get("cases", [])
                ],
                "excluded": "nothing within 15 mm in-plane / 3 slices of a real nodule, mass or lymph node (ground-truth.json, LIDC reader marks)",
                "analysis": meta.get("analysis"),
            },
            "seeds": {"dataset": meta.get("seeds"), "torch": 1234},
            "trainSamples": int(len(x)),
            "heldOutSamples": int(len(tx)),
            "epochs": epochs_done,
            "epochsPlanned": a.epochs,
            "command": "npx tsx models/train/make-dataset.ts --train %d --test %d && /usr/bin/python3 models/train/train.py --epochs %d"
            % (meta["count"], tmeta["count"], a.epochs),
        },
        "metrics": {
            k: metrics[k]
            for k in ["auc", "accuracy@0.5", "recall@0.5", "false_positive_rate@0.5", "texture_accuracy", "margin_auc_spiculated_vs_smooth", "margin_auc_spiculated_vs_smooth_visible", "heatmap_iou"]
        },
    }
    json.dump(manifest, open(os.path.join(a.out, "manifest.json"), "w"), indent=2)
    json.dump(metrics, open(os.path.join(a.out, "metrics.json"), "w"), indent=2)
    print(f"wrote {onnx_path} ({os.path.getsize(onnx_path)} bytes), sha256 {sha}", flush=True)


if __name__ == "__main__":
    main()
