"""Helpers of the findings rules: the per-replicate files each paper's claims are computed from."""

from langspec.data.families import related_pairs
from langspec.stats.claims import chosen as chosen_claims
from langspec.stats.claims import reads as claim_reads


def findings_spec(name, paper):
    """Paths by role of one task's claims of paper 000 or 003 (or of the neurons) (langspec.stats.claims.load_evidence) and
    settings: only what the claims chosen by findings.claims read, so a short list computes less.
    """
    seeds = config["masks"]["random_seeds"]
    sft_random = f"sft-random/random{config['sft']['random_seed']}"
    wanted = claim_reads(chosen_claims(config["findings"]["claims"], paper))
    per_rep = lambda key, **kw: [
        shares_file(name, *key.split("/"), r, **kw) for r in reps(name)
    ]
    shares = {
        "full/random": [f"full/random{s}" for s in seeds],
        "sft-random": [sft_random],
    }
    spec = {
        "shares": {},
        "epochs": {},
        "settings": {
            "random_seeds": seeds,
            "sft_random_seed": config["sft"]["random_seed"],
            "sparsity": config["lth"]["sparsities"][0],
            "sparsities": config["lth"]["sparsities"],
            "overlap_sparsity": config["lth"]["overlap_sparsity"],
            "related": related_pairs(languages(name), task(name)["related_languages"]),
            "text_to_text": task_kind(name) == "text-to-text",
        },
    }
    for item in wanted:
        kind, _, key = item.rpartition(":")
        if kind == "lth":
            if name in lth_role_tasks(
                key
            ):  # retrieval needs a parallel task: its claim is then "not run"
                spec.setdefault("lth", {})[key] = f"{LTH}/{name}/{key}.csv"
        elif kind == "neurons":
            compared = key.startswith("kinds_")
            if name in (neurons_compare_tasks() if compared else neurons_tasks()):
                spec.setdefault("neurons", {})[key] = f"{NEURONS}/{name}/{key}.csv"
        elif key == "masks":
            spec["masks"] = replicate_masks(name)
        else:
            for full in shares.get(key, [key]):
                where = spec["epochs"] if kind == "epochs" else spec["shares"]
                where[full] = per_rep(full, per_epoch=kind == "epochs")
    return spec


def findings_inputs(spec):
    """Every path of a findings spec."""
    paths = [p for per in spec.get("shares", {}).values() for p in per]
    paths += [p for per in spec.get("epochs", {}).values() for p in per]
    paths += [p for per in spec.get("masks", []) for p in per.values()]
    return (
        paths
        + list(spec.get("lth", {}).values())
        + list(spec.get("neurons", {}).values())
    )


def findings_file(name, paper):
    """results/findings/{task}.csv (paper 000), results/findings/lth/{task}.csv (paper 003) or
    results/findings/neurons/{task}.csv (the language-specific neurons)."""
    folder = {"000": "", "003": "lth/", "neurons": "neurons/"}[paper]
    return f"{R}/findings/{folder}{name}.csv"
