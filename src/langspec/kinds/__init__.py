"""The three subnetwork kinds side by side on one model: a language's attention heads (paper 000's head masks),
weights (paper 003's lottery tickets) and feed-forward neurons (LAPE), scored by the same rules.

Per unit and language a *specificity* (the unit's membership in the language's subnetwork minus its mean
membership in the other languages'), where each kind places it per layer, how the kinds overlap against the random
expectation, and what removing each kind's most language-specific units at a matched number of parameters does to
every language's dev loss (:mod:`langspec.kinds.removal`).

May import: the subnetwork kinds (:mod:`langspec.heads`, :mod:`langspec.tickets`, :mod:`langspec.neurons`) and
below; never :mod:`langspec.attribution` or the layers above it.
"""
