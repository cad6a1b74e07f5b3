"""Helpers of the findings rules: the per-replicate files each paper's claims are computed from."""


def findings_spec(name, paper):
    """Paths by role of one task's claims of paper 000 or 003 (langspec.stats.claims.load_evidence) and settings."""
    seeds = config["masks"]["random_seeds"]
    sft_random = f"sft-random/random{config['sft']['random_seed']}"
    per_rep = lambda key, **kw: [
        shares_file(name, *key.split("/"), r, **kw) for r in reps(name)
    ]
    settings = {
        "random_seeds": seeds,
        "sft_random_seed": config["sft"]["random_seed"],
        "sparsity": config["lth"]["sparsities"][0],
        "sparsities": config["lth"]["sparsities"],
        "overlap_sparsity": config["lth"]["overlap_sparsity"],
    }
    if paper == "000":
        keys = ["full/own", "sft/own", sft_random, *(f"full/random{s}" for s in seeds)]
        return {
            "shares": {key: per_rep(key) for key in keys},
            "epochs": {
                key: per_rep(key, per_epoch=True) for key in ["sft/own", sft_random]
            },
            "masks": replicate_masks(name),
            "settings": settings,
        }
    return {
        "lth": {
            role: f"{LTH}/{name}/{role}.csv"
            for role in ("tickets", "transfer", "overlap", "retrieval")
        },
        "settings": settings,
    }


def findings_inputs(spec):
    """Every path of a findings spec."""
    paths = [p for per in spec.get("shares", {}).values() for p in per]
    paths += [p for per in spec.get("epochs", {}).values() for p in per]
    paths += [p for per in spec.get("masks", []) for p in per.values()]
    return paths + list(spec.get("lth", {}).values())


def findings_file(name, paper):
    """results/findings/{task}.csv (paper 000) or results/findings/lth/{task}.csv (paper 003)."""
    return (
        f"{R}/findings/{name}.csv" if paper == "000" else f"{R}/findings/lth/{name}.csv"
    )
