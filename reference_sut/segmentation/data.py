"""Synthetic images of a bright square (class 1) and a dimmer disk (class 2) on a dark, noisy background.

``numpy.random.RandomState`` is used because its streams are frozen across numpy versions, so the data set (and
every number in the fixtures) is the same on every machine. The QSL is the test split of ``TEST_SAMPLES`` images.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SIZE = 12
CLASSES = 3  # 0 background, 1 square, 2 disk
TEST_SAMPLES = 24
TRAIN_SAMPLES = 96
SEED = 20250601
LEVELS = (0.1, 0.8, 0.5)  # mean intensity of background, square and disk
NOISE = 0.17


@dataclass(frozen=True)
class Split:
    """Images float32 [n, SIZE, SIZE] and masks uint8 [n, SIZE, SIZE]."""

    x: np.ndarray
    y: np.ndarray


def _draw(rng: np.random.RandomState) -> tuple[np.ndarray, np.ndarray]:
    mask = np.zeros((SIZE, SIZE), dtype=np.uint8)
    side = rng.randint(3, 6)
    top, left = rng.randint(0, SIZE - side + 1, size=2)
    mask[top : top + side, left : left + side] = 1
    radius = rng.uniform(1.6, 3.0)
    cy, cx = rng.uniform(radius, SIZE - radius, size=2)
    yy, xx = np.mgrid[0:SIZE, 0:SIZE]
    mask[(yy - cy) ** 2 + (xx - cx) ** 2 <= radius**2] = 2  # the disk is drawn over the square
    image = np.asarray(LEVELS, dtype=np.float64)[mask] + rng.normal(0.0, NOISE, size=(SIZE, SIZE))
    return image.astype(np.float32), mask


def make(count: int, seed: int) -> Split:
    rng = np.random.RandomState(seed)
    pairs = [_draw(rng) for _ in range(count)]
    return Split(np.stack([p[0] for p in pairs]), np.stack([p[1] for p in pairs]))


def test_split() -> Split:
    """The QSL: ``TEST_SAMPLES`` images, independent of the training images."""
    return make(TEST_SAMPLES, SEED)


def train_split() -> Split:
    return make(TRAIN_SAMPLES, SEED + 1)


def test_masks() -> list[list[int]]:
    """Ground truth for the Dice plugin: each QSL sample's mask as a flat list of class ids (row-major)."""
    return [[int(v) for v in mask.ravel()] for mask in test_split().y]


def encode(mask: np.ndarray) -> bytes:
    """A mask as LoadGen's response bytes: 2 bits per pixel, four pixels per byte, first pixel in the low bits."""
    flat = np.asarray(mask, dtype=np.uint8).ravel()
    flat = np.concatenate([flat, np.zeros((-len(flat)) % 4, dtype=np.uint8)]).reshape(-1, 4)
    return bytes((flat[:, 0] | flat[:, 1] << 2 | flat[:, 2] << 4 | flat[:, 3] << 6).astype(np.uint8))
