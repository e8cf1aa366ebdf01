"""A per-pixel softmax classifier on each pixel's 3x3 neighbourhood (and its square), trained in numpy.

Weights are checked in (``weights.npz``, under 1 KB); ``python -m reference_sut.segmentation.model`` rebuilds them.
``class_bias`` shifts one class's logit: the fixture where one class falls below its per-class minimum is a real
model whose disk class is under-predicted, not an edited number.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from .data import CLASSES, test_split, train_split

WEIGHTS = Path(__file__).with_name("weights.npz")
STEPS = 1500
LR = 0.5


def features(x: np.ndarray) -> np.ndarray:
    """[n, H, W] images -> [n*H*W, 19]: the 3x3 neighbourhood (edge-padded), its squares, and a bias."""
    n, h, w = x.shape
    padded = np.pad(x, ((0, 0), (1, 1), (1, 1)), mode="edge")
    patches = [padded[:, dy : dy + h, dx : dx + w] for dy in range(3) for dx in range(3)]
    stack = np.stack(patches, axis=-1).reshape(n * h * w, 9).astype(np.float64)
    return np.concatenate([stack, stack**2, np.ones((len(stack), 1))], axis=1)


def train() -> np.ndarray:
    """Full-batch gradient descent on softmax cross-entropy; deterministic (no random initialisation)."""
    data = train_split()
    f = features(data.x)
    target = np.eye(CLASSES)[data.y.ravel()]
    weights = np.zeros((f.shape[1], CLASSES))
    for _ in range(STEPS):
        logits = f @ weights
        logits -= logits.max(axis=1, keepdims=True)
        prob = np.exp(logits)
        prob /= prob.sum(axis=1, keepdims=True)
        weights -= LR * f.T @ (prob - target) / len(f)
    return weights.astype(np.float32)


def load_weights(path: Path = WEIGHTS) -> np.ndarray:
    if not path.is_file():
        np.savez_compressed(path, w=train())
    with np.load(path) as data:
        return data["w"].astype(np.float32)


def predict(weights: np.ndarray, x: np.ndarray, class_bias: dict[int, float] | None = None) -> np.ndarray:
    """[n, H, W] images -> [n, H, W] uint8 masks."""
    logits = features(x) @ weights.astype(np.float64)
    for cls, shift in (class_bias or {}).items():
        logits[:, int(cls)] += shift
    return logits.argmax(axis=1).astype(np.uint8).reshape(x.shape)


def main() -> None:
    parser = argparse.ArgumentParser(description="Rebuild reference_sut/segmentation/weights.npz")
    parser.add_argument("--out", type=Path, default=WEIGHTS)
    args = parser.parse_args()
    weights = train()
    np.savez_compressed(args.out, w=weights)
    test = test_split()
    pixel = float((predict(weights, test.x) == test.y).mean() * 100)
    print(f"wrote {args.out} ({args.out.stat().st_size} bytes) pixel accuracy={pixel:.2f}%")


if __name__ == "__main__":
    main()
