"""Studies: several models trained in order and compared on one evaluation, with a checked report.

Read in this order: :mod:`.spec` (the study file), :mod:`.runner` (train, evaluate),
:mod:`.claims` (claims against the numbers), :mod:`.report` and :mod:`.figures` (the report folder).
``flamkit study NAME`` runs one; ``flamkit quickstart`` is the ``quickstart`` study plus a detection demo.
"""
