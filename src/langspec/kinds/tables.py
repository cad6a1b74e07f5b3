"""The comparison's tables: their columns and names (no torch: light steps read them).

Three tables per replicate (``results/neurons/{task}/rep{r}/kinds/``), gathered per task with a ``rep`` column:

- :data:`PROFILE` (``profile.csv``): per kind, language and layer, the share (%) of the language's positive
  specificity that lies in the layer, parameters weighted (:mod:`langspec.kinds.specificity`);
- :data:`OVERLAP` (``overlap.csv``): per language and overlap measure, the share (%) and its random expectation
  (:mod:`langspec.kinds.overlap`);
- :data:`REMOVAL` (``removal.csv``): per removal (kind and language) and test language, the dev loss (nats) and
  metric, the intact model's rows first (:mod:`langspec.kinds.removal`).
"""

from __future__ import annotations

#: The kinds, in the order of tables and figures.
KINDS = ("heads", "weights", "neurons")
#: The intact model's rows of a removal table (nothing removed): its ``kind`` and ``removed``.
INTACT = "intact"
PROFILE = ("kind", "lang", "layer", "share_pct", "layers")
OVERLAP = ("lang", "overlap", "share_pct", "expected_pct")
REMOVAL = ("kind", "removed", "units", "specific", "params", "test_lang", "metric_name", "higher_is_better", "metric",
           "loss", "n")
