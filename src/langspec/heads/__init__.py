"""Paper 000's subnetworks: attention-head gates, Michel et al.'s importance pruning, head-mask files,
head subnetworks and sparse updates.

May import: :mod:`langspec.training` and below; never :mod:`langspec.tickets`.
"""
