"""langspec: language-specialized subnetworks, sparse fine-tuning and TracIn.

The library knows nothing of Snakemake; ``workflow/scripts`` are thin adapters.
"""

__version__ = "0.1.0"
