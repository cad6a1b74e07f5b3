"""Helpers of the influence, checks and browser rules: the paper's standard comparisons and the A/A conditions."""


def standard_conditions(name):
    """(regime, condition) pairs of the paper's main comparisons for one task."""
    seeds = config["masks"]["random_seeds"]
    pairs = [
        ("full", "full"),
        ("full", "own"),
        ("sft", "own"),
        ("sft-random", f"random{config['sft']['random_seed']}"),
    ]
    return pairs + [("full", f"random{s}") for s in seeds]


def calibration_conditions():
    """The two random-mask conditions of the A/A check (the first two of masks.random_seeds)."""
    return [f"random{s}" for s in config["masks"]["random_seeds"][:2]]
