"""Language-specific feed-forward neurons (LAPE, Tang et al. 2024): where each layer's neurons are, their activation
probabilities per language, the entropy over languages and the selection rule of the paper's code, neuron-mask
files, and neuron subnetworks (a language's neurons zeroed in the forward pass).

May import: :mod:`langspec.training` and below; never :mod:`langspec.heads` or :mod:`langspec.tickets` (the three
subnetwork kinds meet only through :class:`langspec.training.subnetworks.Subnetworks`).
"""
