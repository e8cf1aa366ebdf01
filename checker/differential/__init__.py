"""``make differential``: subcheck beside the official tools on the same trees, one table of their verdicts.

Not imported by the checker at run time: it runs the official tools (kept outside the repository) for people and CI.
"""
