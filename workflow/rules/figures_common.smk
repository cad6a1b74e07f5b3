"""Helpers of paper 000's figure rules: what each figure draws (its spec of input paths by role) and which the config can draw.

Which roles a figure's source-data function reads, its caption and target are in
langspec.registry; here they become paths for the configured tasks. A figure drawn from
aggregated tables also gets their replicates' own tables (replicate_tables /
replicate_epochs), for the per-replicate values of its source data.
"""

from langspec.registry import FIGURES_000, TABLES_000

FIGURES = list(FIGURES_000)


PAPER_TASK = {
    3: "pawsx",
    6: "pawsx",
    10: "pawsx",
    13: "xnli",
    14: "pawsx",
    15: "marc",
    17: "marc",
    18: "pawsx",
}


def figure_task(n):
    """The one task a single-task figure draws, or a line saying what to configure."""
    name = config["figures"][f"fig{n}"]["task"]
    if name is None or name not in config["tasks"]:
        configured = ", ".join(config["tasks"])
        what = f"task '{name}', which is not in config.tasks" if name else "no task"
        raise LangspecError(
            f"fig{n} draws {what}: add a task under config.tasks (the paper uses {PAPER_TASK[n]}) "
            f"or set figures.fig{n}.task to one of {configured}"
        )
    return name


def figure_spec(n):
    """What figure n draws: paths by role (aggregated tables with their replicates' own, or one entry per replicate), and labels."""
    per_replicate = lambda regime, condition, per_epoch=False: {
        t: [shares_file(t, regime, condition, r, per_epoch) for r in reps(t)]
        for t in figure_tasks()
    }

    def aggregated(shares, per_epoch=False):
        """label -> (task, regime, condition) as the spec of its aggregated tables and their replicates' tables."""
        role, replicates = (
            ("epochs", "replicate_epochs")
            if per_epoch
            else ("tables", "replicate_tables")
        )
        return {
            role: {
                label: shares_file(t, regime, condition, per_epoch=per_epoch)
                for label, (t, regime, condition) in shares.items()
            },
            replicates: {
                label: [
                    shares_file(t, regime, condition, r, per_epoch) for r in reps(t)
                ]
                for label, (t, regime, condition) in shares.items()
            },
        }

    shares_for = lambda regime, condition: aggregated(
        {t: (t, regime, condition) for t in figure_tasks()}
    )
    epochs_for = lambda t, pairs: aggregated(
        {label: (t, regime, condition) for label, (regime, condition) in pairs.items()},
        per_epoch=True,
    )
    random_seed = config["sft"]["random_seed"]
    if n in (2, 4, 5, 11):
        regime, condition = {
            2: ("full", "own"),
            4: ("sft", "own"),
            5: ("sft", "own"),
            11: ("full", "full"),
        }[n]
        return shares_for(regime, condition)
    if n == 3:
        t, spec = figure_task(3), config["figures"]["fig3"]
        lang = language(t, spec["language"])
        tables = {
            f"R{s}": (t, "full", f"{lang}-random{s}")
            for s in config["masks"]["random_seeds"]
        }
        for other in spec["suboptimal"]:
            tables[f"{language(t, other)} mask"] = (t, "full", other)
        return {**aggregated(tables), "test_lang": lang, "task": t}
    if n == 6:
        t = figure_task(6)
        return aggregated({t: (t, "sft-random", f"random{random_seed}")})
    if n == 7:
        return {"replicate_epochs": per_replicate("sft", "own", per_epoch=True)}
    if n in (8, 9, 16):
        return {
            "masks": {t: replicate_masks(t) for t in figure_tasks()},
            "replicate_tables": per_replicate("sft", "own"),
        }
    if n in (10, 17):
        t = figure_task(n)
        return {
            **epochs_for(
                t, {"full fine-tuning": ("full", "own"), "SFT": ("sft", "own")}
            ),
            "task": t,
        }
    if n == 18:
        t = figure_task(18)
        pairs = {
            "full fine-tuning": ("full", "own"),
            "SFT, random subnetworks": ("sft-random", f"random{random_seed}"),
        }
        return {**epochs_for(t, pairs), "task": t}
    if n == 12:
        return {"masks": {t: replicate_masks(t) for t in figure_tasks()}}
    if n in (13, 14, 15):
        t = figure_task(n)
        return {"masks": {t: replicate_masks(t)}, "task": t}
    if n == 19:
        spec = config["figures"]["fig19"]
        tables = {}
        for t, pairs in spec["pairs"].items():
            if t not in config["tasks"]:
                continue
            for a, b in pairs:
                symbol = "∩" if spec["kind"] == "intersection" else "∪"
                tables[f"{t}: {language(t, a)}{symbol}{language(t, b)}"] = (
                    t,
                    "sft",
                    f"{spec['kind']}-{a}-{b}",
                )
        if not tables:
            raise LangspecError(
                "fig19 composes language pairs of configured tasks: set figures.fig19.pairs, "
                f"e.g. {{{next(iter(config['tasks']))}: [[es, fr]]}}"
            )
        return aggregated(tables)
    raise ValueError(n)


def spec_paths(spec):
    """Every path in a figure spec (the rule's inputs)."""
    paths = []
    for key in ("tables", "epochs"):
        paths += list(spec.get(key, {}).values())
    for key in ("replicate_tables", "replicate_epochs"):
        for per_task in spec.get(key, {}).values():
            paths += per_task
    for per_task in spec.get("masks", {}).values():
        for per_replicate in per_task:
            paths += list(per_replicate.values())
    return paths


def drawable_figures():
    """Figure numbers whose inputs the current config can make."""
    drawable = []
    for n in FIGURES:
        try:
            figure_spec(n)
        except LangspecError:
            continue
        drawable.append(n)
    return drawable


def figure_quality(n):
    """Task -> the quality table of the replicates figure n counts (full, or SFT when it draws SFT results)."""
    scope = spec_scope(spec_paths(figure_spec(n)))
    return {t: quality_file(t, scope) for t in figure_tasks()}
