"""Training and evaluation for every task kind, and the :class:`~langspec.training.subnetworks.Subnetworks`
interface through which both subnetwork kinds restrict them.

May import: :mod:`langspec.core`, :mod:`langspec.data`, :mod:`langspec.models`.
"""
