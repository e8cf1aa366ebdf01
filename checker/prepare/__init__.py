"""``subcheck prepare``: turn a working tree into the tree to submit, in a copy, never touching the original.

One plan, worked out read-only on SRC (the engine judges it; nothing is judged twice), is either listed
(``--dry-run``) or applied to OUT: copy, truncate accuracy logs, infer results, then check OUT.
"""
