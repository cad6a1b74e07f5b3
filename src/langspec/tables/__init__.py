"""Tables of both papers as CSV (numbers) and Markdown (text): formatting only, the numbers come from
:mod:`langspec.stats`. ``heads``: paper 000's tables 1 and 2; ``tickets``: paper 003's tables.

May import: :mod:`langspec.stats` and below; never :mod:`langspec.figures`.
"""
