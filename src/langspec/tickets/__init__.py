"""Paper 003's subnetworks: lottery tickets by iterative magnitude pruning with rewinding, weight masks and
their files, transfer, overlap, parallel-sentence retrieval, tickets seen as heads, the alternative masks of
appendix D (difference, Fisher), and the per-replicate tables.

May import: :mod:`langspec.training` and below; never :mod:`langspec.heads`.
"""
