#!/usr/bin/env python3
"""Figures for logitrank result folders (run by `logitrank report`, or by hand).

    python3 scripts/figures.py --out OUT/figures RESULTS_DIR [RESULTS_DIR ...]

Reads heads.csv, spectra.safetensors and (if present) softmax.csv of every folder and
writes PNG and SVG files into --out:

  energy.{png,svg}          cumulative energy c_k vs component index k, field vs weight,
                            one panel per model (median and inter-quartile band over heads)
  heatmap_<model>.{png,svg} layer x head maps of field k90 (median over texts/windows)
                            and of the effective-rank gap
  gaps.{png,svg}            histogram of the effective-rank gap over all heads, per model
  softmax.{png,svg}         (softmax.csv present) truncation TV vs rank r: median and max
                            over heads, observed (full and causal rows) vs certified bound

Needs only matplotlib and numpy (Debian: python3-matplotlib python3-numpy); the
safetensors file is parsed with struct + json.
"""
import argparse
import csv
import json
import math
import os
import re
import struct
import sys

import numpy as np
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

DTYPES = {"F64": "<f8", "F32": "<f4", "F16": "<f2", "I64": "<i8", "I32": "<i4"}


def read_safetensors(path):
    """name -> numpy array (F64/F32/F16/I64/I32 only; others are skipped)."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 8:
        raise ValueError(f"{path}: too short for a safetensors file")
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n].decode("utf-8"))
    body = data[8 + n:]
    out = {}
    for name, info in header.items():
        if name == "__metadata__" or info["dtype"] not in DTYPES:
            continue
        b, e = info["data_offsets"]
        arr = np.frombuffer(body[b:e], dtype=DTYPES[info["dtype"]])
        out[name] = arr.reshape(info["shape"]).astype(np.float64)
    return out


def num(s):
    return float(s) if s != "" else math.nan


def read_heads(path):
    rows = []
    with open(path, newline="", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            rows.append({
                "model": r["model"], "text": r["text"], "window": int(r["window"]),
                "layer": int(r["layer"]), "head": int(r["head"]), "head_dim": int(r["head_dim"]),
                "field_k90": num(r["field_k90"]), "weight_k90": num(r["weight_k90"]),
                "erank_gap": num(r["erank_gap"]),
            })
    return rows


def read_softmax(path):
    rows = []
    with open(path, newline="", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            rows.append({
                "model": r["model"], "rank": int(r["rank"]), "tv_full": float(r["tv_full"]),
                "tv_causal": float(r["tv_causal"]), "bound_full": float(r["bound_full"]),
            })
    return rows


def safe_name(model):
    return re.sub(r"[^A-Za-z0-9._-]+", "_", model) or "model"


def save(fig, out, stem, written):
    for ext in ("png", "svg"):
        p = os.path.join(out, f"{stem}.{ext}")
        fig.savefig(p, dpi=150 if ext == "png" else None, bbox_inches="tight")
        written.append(p)
    plt.close(fig)


def cumulative_energy(rows):
    """rows: [n, k] singular values (NaN rows = absent heads) -> [n', kmax] c_k."""
    rows = rows[~np.isnan(rows).any(axis=1)]
    e = rows ** 2
    tot = e.sum(axis=1, keepdims=True)
    keep = tot[:, 0] > 0
    return np.cumsum(e[keep], axis=1) / tot[keep]


def pad_to(curves, width):
    """Pads cumulative curves with 1.0 (all energy already reached) to a common width."""
    out = []
    for c in curves:
        if c.shape[1] < width:
            c = np.hstack([c, np.ones((c.shape[0], width - c.shape[1]))])
        out.append(c)
    return np.vstack(out) if out else np.zeros((0, width))


def spectra_by_model(spectra):
    field, weight = {}, {}
    for name, arr in spectra.items():
        if name.endswith(".weight_sv"):
            model = name.rsplit("/", 1)[0]
            weight.setdefault(model, []).append(cumulative_energy(arr))
        elif name.endswith(".field_sv"):
            model = name.rsplit("/", 3)[0]
            field.setdefault(model, []).append(cumulative_energy(arr))
    return field, weight


def grid(n):
    cols = min(n, 3)
    return (n + cols - 1) // cols, cols


def fig_energy(models, field, weight, out, written):
    shown = [m for m in models if m in field or m in weight]
    if not shown:
        print("figures.py: no spectra.safetensors: energy curves skipped", file=sys.stderr)
        return
    nr, nc = grid(len(shown))
    fig, axes = plt.subplots(nr, nc, figsize=(5.0 * nc, 3.8 * nr), squeeze=False)
    for ax, m in zip(axes.flat, shown):
        width = max([c.shape[1] for c in field.get(m, []) + weight.get(m, [])] or [1])
        for label, curves, color in (("logit field Ẽ", field.get(m, []), "tab:blue"),
                                     ("interaction W_Qᵀ W_K", weight.get(m, []), "tab:orange")):
            c = pad_to(curves, width)
            if c.shape[0] == 0:
                continue
            k = np.arange(1, width + 1)
            q25, q50, q75 = np.percentile(c, [25, 50, 75], axis=0)
            ax.plot(k, q50, color=color, label=f"{label} (median, n={c.shape[0]})")
            ax.fill_between(k, q25, q75, color=color, alpha=0.25, linewidth=0)
        ax.axhline(0.9, color="gray", linestyle="--", linewidth=1, label="90% of variance")
        ax.set_title(m)
        ax.set_xlabel("number of components k")
        ax.set_ylabel("cumulative energy c_k (fraction of variance)")
        ax.set_ylim(0, 1.02)
        ax.set_xlim(1, width)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, loc="lower right")
    for ax in list(axes.flat)[len(shown):]:
        ax.axis("off")
    fig.suptitle("Cumulative energy: logit field vs learned interaction (band: inter-quartile range over heads)")
    fig.tight_layout()
    save(fig, out, "energy", written)


def median_map(rows, key):
    layers = sorted({r["layer"] for r in rows})
    heads = max(r["head"] for r in rows) + 1
    vals = {}
    for r in rows:
        vals.setdefault((r["layer"], r["head"]), []).append(r[key])
    m = np.full((len(layers), heads), np.nan)
    for (l, h), v in vals.items():
        v = [x for x in v if not math.isnan(x)]
        if v:
            m[layers.index(l), h] = float(np.median(v))
    return layers, m


def fig_heatmaps(models, heads, out, written):
    for m in models:
        rows = [r for r in heads if r["model"] == m]
        panels = [("field_k90", "field k90 (components), median over texts/windows", "viridis"),
                  ("erank_gap", "effective-rank gap erank(W_Qᵀ W_K) / erank(Ẽ)", "magma")]
        panels = [p for p in panels if not all(math.isnan(r[p[0]]) for r in rows)]
        fig, axes = plt.subplots(1, len(panels), figsize=(6.0 * len(panels), max(3.0, 1.2 + 0.3 * len({r["layer"] for r in rows}))),
                                 squeeze=False)
        for ax, (key, title, cmap) in zip(axes.flat, panels):
            layers, mat = median_map(rows, key)
            im = ax.imshow(mat, aspect="auto", cmap=cmap, origin="upper", interpolation="nearest")
            ax.set_title(title, fontsize=10)
            ax.set_xlabel("head")
            ax.set_ylabel("layer")
            ax.set_yticks(range(len(layers)))
            ax.set_yticklabels([str(l) for l in layers], fontsize=7)
            step = max(1, mat.shape[1] // 16)
            ax.set_xticks(range(0, mat.shape[1], step))
            fig.colorbar(im, ax=ax, label="components" if key == "field_k90" else "ratio (×)")
        fig.suptitle(f"{m}: per-head field k90 and effective-rank gap")
        fig.tight_layout()
        save(fig, out, f"heatmap_{safe_name(m)}", written)


def fig_gaps(models, heads, out, written):
    data = {m: np.array([r["erank_gap"] for r in heads if r["model"] == m and not math.isnan(r["erank_gap"])])
            for m in models}
    data = {m: v for m, v in data.items() if v.size}
    if not data:
        print("figures.py: no weight columns (--qk input): gap histogram skipped", file=sys.stderr)
        return
    fig, axes = plt.subplots(len(data), 1, figsize=(7, 2.2 * len(data) + 0.8), squeeze=False)
    for ax, (m, v) in zip(axes[:, 0], data.items()):
        ax.hist(v, bins=30, color="tab:purple", alpha=0.8)
        ax.set_xlabel("effective-rank gap erank(W_Qᵀ W_K) / erank(Ẽ)  (×)", fontsize=8)
        ax.axvline(float(np.median(v)), color="black", linestyle="--", linewidth=1, label=f"median {np.median(v):.1f}×")
        ax.set_ylabel("heads (rows)")
        ax.set_title(f"{m} (n={v.size})", fontsize=10)
        ax.legend(fontsize=8)
    fig.suptitle("Distribution of the effective-rank gap across heads")
    fig.tight_layout()
    save(fig, out, "gaps", written)


def fig_softmax(models, softmax, out, written):
    shown = [m for m in models if any(r["model"] == m for r in softmax)]
    if not shown:
        return
    nr, nc = grid(len(shown))
    fig, axes = plt.subplots(nr, nc, figsize=(5.0 * nc, 3.8 * nr), squeeze=False)
    tiny = 1e-18
    for ax, m in zip(axes.flat, shown):
        rows = [r for r in softmax if r["model"] == m]
        ranks = sorted({r["rank"] for r in rows})
        for key, label, color in (("tv_full", "observed TV (full rows)", "tab:blue"),
                                  ("tv_causal", "observed TV (causal rows)", "tab:green"),
                                  ("bound_full", "certified bound tanh(osc/4)", "tab:red")):
            med, mx = [], []
            for k in ranks:
                v = np.array([r[key] for r in rows if r["rank"] == k])
                med.append(max(float(np.median(v)), tiny))
                mx.append(max(float(v.max()), tiny))
            ax.plot(ranks, med, color=color, marker="o", markersize=3, label=f"{label}, median")
            ax.plot(ranks, mx, color=color, linestyle="--", linewidth=1, label=f"{label}, max")
        ax.set_yscale("log")
        ax.set_title(m)
        ax.set_xlabel("truncation rank r")
        ax.set_ylabel("total variation distance (max over rows)")
        ax.grid(alpha=0.3, which="both")
        ax.legend(fontsize=6)
    for ax in list(axes.flat)[len(shown):]:
        ax.axis("off")
    fig.suptitle("Softmax stability of rank-r truncation of the logit field (over heads)")
    fig.tight_layout()
    save(fig, out, "softmax", written)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True, help="folder for the figures (created)")
    ap.add_argument("dirs", nargs="+", help="logitrank results folders")
    a = ap.parse_args(argv)

    heads, softmax, spectra = [], [], {}
    for d in a.dirs:
        hp = os.path.join(d, "heads.csv")
        if not os.path.exists(hp):
            print(f"figures.py: {hp}: missing", file=sys.stderr)
            return 2
        heads += read_heads(hp)
        sp = os.path.join(d, "softmax.csv")
        if os.path.exists(sp):
            softmax += read_softmax(sp)
        st = os.path.join(d, "spectra.safetensors")
        if os.path.exists(st):
            spectra.update(read_safetensors(st))
    if not heads:
        print("figures.py: no rows in heads.csv", file=sys.stderr)
        return 2
    models = sorted({r["model"] for r in heads})
    os.makedirs(a.out, exist_ok=True)
    written = []
    field, weight = spectra_by_model(spectra)
    fig_energy(models, field, weight, a.out, written)
    fig_heatmaps(models, heads, a.out, written)
    fig_gaps(models, heads, a.out, written)
    fig_softmax(models, softmax, a.out, written)
    for p in written:
        print(f"wrote {p}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
