"""What each figure and table draws, as one tidy frame per figure: the analysis behind the drawing.

A registry entry's ``source`` (:class:`langspec.registry.Entry`) names the function here that turns the
entry's loaded roles into that frame: one row per cell, bar or point, with the replicate-level values where
the figure summarises replicates, the interval, the p-value and the robust mark. The workflow writes the
frame beside the figure as ``{figure}.data.csv`` (:func:`langspec.results.source_data` reads it back by
figure id) and hands it to the drawing function in :mod:`langspec.figures`, which only draws.
Paper 000's figures and tables are in ``heads``, paper 003's in ``tickets``, the language-specific
neurons' in ``neurons``.

May import: what :mod:`langspec.stats` may.
"""
