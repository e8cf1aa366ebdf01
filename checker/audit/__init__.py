"""Reviewer audits across a round: plausibility, outliers, duplicated evidence and history (``subcheck audit``).

A check says whether one result follows the rules; an audit asks whether a result is believable next to
everything else in the round. Audit findings carry the code family AU and the ``review`` severity, which
never fails a run on its own.
"""

from __future__ import annotations
