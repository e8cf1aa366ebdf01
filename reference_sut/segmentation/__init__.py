"""The ``segmentation`` demo benchmark: per-pixel segmentation of synthetic shapes, judged by Dice.

The images are drawn deterministically with numpy (no download, nothing to ship), the model is a small per-pixel
softmax classifier on each pixel's 3x3 neighbourhood, and the metric is computed by the example plugin
``examples/subcheck-dice`` (entry point ``subcheck.metrics: dice``) from the masks LoadGen logged.
"""

BENCHMARK = "segmentation"
