"""Statistics over replicates: aggregation with intervals, correlations, checked views of the workflow's tables,
paper 003's results summarised over replicates, and representational similarity (CCA, SVCCA, PWCCA).

May import: :mod:`langspec.attribution` and below. Figures and tables draw and format what this computes.
"""
