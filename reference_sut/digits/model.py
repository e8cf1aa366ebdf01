"""A two-layer MLP for digits, trained in plain numpy with a fixed seed.

The weights are checked in (``weights.npz``, a few KB) so runs never depend on training;
``python -m reference_sut.digits.model`` rebuilds them deterministically.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from .data import split

WEIGHTS = Path(__file__).with_name("weights.npz")
HIDDEN = 32
SEED = 20240601
EPOCHS = 60
BATCH = 32
LR = 0.1
L2 = 1e-4


def _init(rng: np.random.Generator) -> dict[str, np.ndarray]:
    return {
        "w1": (rng.standard_normal((64, HIDDEN)) * np.sqrt(2.0 / 64)).astype(np.float64),
        "b1": np.zeros(HIDDEN),
        "w2": (rng.standard_normal((HIDDEN, 10)) * np.sqrt(2.0 / HIDDEN)).astype(np.float64),
        "b2": np.zeros(10),
    }


def logits(params: dict[str, np.ndarray], x: np.ndarray) -> np.ndarray:
    """Forward pass: relu(x W1 + b1) W2 + b2."""
    h = np.maximum(x @ params["w1"] + params["b1"], 0.0)
    return h @ params["w2"] + params["b2"]


def train(seed: int = SEED) -> dict[str, np.ndarray]:
    """Mini-batch SGD with momentum on softmax cross-entropy; deterministic for a given seed."""
    train_split, _ = split()
    x, y = train_split.x.astype(np.float64), train_split.y
    rng = np.random.default_rng(seed)
    params = _init(rng)
    velocity = {k: np.zeros_like(v) for k, v in params.items()}
    onehot = np.eye(10)[y]
    for _ in range(EPOCHS):
        order = rng.permutation(len(x))
        for start in range(0, len(x), BATCH):
            idx = order[start : start + BATCH]
            xb, tb = x[idx], onehot[idx]
            pre = xb @ params["w1"] + params["b1"]
            h = np.maximum(pre, 0.0)
            out = h @ params["w2"] + params["b2"]
            out -= out.max(axis=1, keepdims=True)
            prob = np.exp(out)
            prob /= prob.sum(axis=1, keepdims=True)
            d_out = (prob - tb) / len(idx)
            grads = {"w2": h.T @ d_out + L2 * params["w2"], "b2": d_out.sum(axis=0)}
            d_h = (d_out @ params["w2"].T) * (pre > 0)
            grads["w1"] = xb.T @ d_h + L2 * params["w1"]
            grads["b1"] = d_h.sum(axis=0)
            for key, grad in grads.items():
                velocity[key] = 0.9 * velocity[key] - LR * grad
                params[key] += velocity[key]
    return {k: v.astype(np.float32) for k, v in params.items()}


def load_weights(path: Path = WEIGHTS) -> dict[str, np.ndarray]:
    """Load the checked-in float32 weights, training them first if the file is missing."""
    if not path.is_file():
        save_weights(train(), path)
    with np.load(path) as data:
        return {k: data[k].astype(np.float32) for k in ("w1", "b1", "w2", "b2")}


def save_weights(params: dict[str, np.ndarray], path: Path = WEIGHTS) -> None:
    np.savez_compressed(path, **params)


def degrade(params: dict[str, np.ndarray], scale: float, seed: int = 7) -> dict[str, np.ndarray]:
    """Add Gaussian noise to every weight; used only to build the accuracy-below-target fixture."""
    rng = np.random.default_rng(seed)
    return {
        k: (v + rng.standard_normal(v.shape) * scale * float(np.abs(v).mean())).astype(np.float32)
        for k, v in params.items()
    }


def main() -> None:
    parser = argparse.ArgumentParser(description="Rebuild reference_sut/digits/weights.npz")
    parser.add_argument("--out", type=Path, default=WEIGHTS)
    args = parser.parse_args()
    params = train()
    save_weights(params, args.out)
    _, test = split()
    acc = float((logits(params, test.x).argmax(axis=1) == test.y).mean() * 100)
    print(f"wrote {args.out} ({args.out.stat().st_size} bytes) test accuracy={acc:.3f}")


if __name__ == "__main__":
    main()
