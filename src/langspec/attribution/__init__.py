"""TracIn attribution: gradient sketches (under head masks or tickets), sketch files, exact TracIn, TracIn top-k,
influence files, training-language shares, and mask conditions.

May import: :mod:`langspec.heads`, :mod:`langspec.tickets` and below.
"""
