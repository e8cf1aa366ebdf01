"""The ``digits`` demo benchmark: scikit-learn's bundled 8x8 handwritten digits.

Small enough to run real LoadGen in seconds on a laptop CPU, yet a real model with a real
accuracy, so every number in the fixtures is measured rather than invented.
"""

BENCHMARK = "digits"
