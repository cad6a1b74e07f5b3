"""Figures 2-19 and tables 1-2 of paper 000, each its own target."""

from functools import partial

FIGURES = range(2, 20)
PAPER_TASK = {3: "pawsx", 6: "pawsx", 10: "pawsx", 13: "xnli", 14: "pawsx", 15: "marc", 17: "marc", 18: "pawsx"}


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


def masks_of(name, rep):
    """Language -> mask file of one replicate's pruned masks."""
    return {lang: mask_file(name, rep, lang) for lang in languages(name)}


def replicate_masks(name):
    """Per replicate: language -> mask file."""
    return [masks_of(name, r) for r in reps(name)]


def figure_spec(n):
    """What figure n draws: paths by role (aggregated tables, or one entry per replicate), and labels."""
    shares_for = lambda regime, condition: {t: shares_file(t, regime, condition) for t in figure_tasks()}
    epochs_for = lambda t, pairs: {label: shares_file(t, regime, condition, per_epoch=True) for label, (regime, condition) in pairs.items()}
    per_replicate = lambda regime, condition, per_epoch=False: {
        t: [shares_file(t, regime, condition, r, per_epoch) for r in reps(t)] for t in figure_tasks()
    }
    random_seed = config["sft"]["random_seed"]
    if n in (2, 4, 5, 11):
        regime, condition = {2: ("full", "own"), 4: ("sft", "own"), 5: ("sft", "own"), 11: ("full", "full")}[n]
        return {"tables": shares_for(regime, condition)}
    if n == 3:
        t, spec = figure_task(3), config["figures"]["fig3"]
        lang = language(t, spec["language"])
        tables = {f"R{s}": shares_file(t, "full", f"{lang}-random{s}") for s in config["masks"]["random_seeds"]}
        for other in spec["suboptimal"]:
            tables[f"{language(t, other)} mask"] = shares_file(t, "full", other)
        return {"tables": tables, "test_lang": lang, "task": t}
    if n == 6:
        t = figure_task(6)
        return {"tables": {t: shares_file(t, "sft-random", f"random{random_seed}")}}
    if n == 7:
        return {"replicate_epochs": per_replicate("sft", "own", per_epoch=True)}
    if n in (8, 9, 16):
        return {"masks": {t: replicate_masks(t) for t in figure_tasks()}, "replicate_tables": per_replicate("sft", "own")}
    if n in (10, 17):
        t = figure_task(n)
        return {"epochs": epochs_for(t, {"full fine-tuning": ("full", "own"), "SFT": ("sft", "own")}), "task": t}
    if n == 18:
        t = figure_task(18)
        pairs = {"full fine-tuning": ("full", "own"), "SFT, random subnetworks": ("sft-random", f"random{random_seed}")}
        return {"epochs": epochs_for(t, pairs), "task": t}
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
                tables[f"{t}: {language(t, a)}{symbol}{language(t, b)}"] = shares_file(t, "sft", f"{spec['kind']}-{a}-{b}")
        if not tables:
            raise LangspecError(
                "fig19 composes language pairs of configured tasks: set figures.fig19.pairs, "
                f"e.g. {{{next(iter(config['tasks']))}: [[es, fr]]}}"
            )
        return {"tables": tables}
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


for n in FIGURES:

    rule:
        name:
            f"fig{n}"
        input:
            lambda w, n=n: spec_paths(figure_spec(n)),
        output:
            pdf=report(f"{R}/figures/fig{n}.pdf", caption=f"../report/fig{n}.rst", category="Figures", labels={"figure": str(n)}),
            png=f"{R}/figures/fig{n}.png",
        log:
            f"{R}/logs/figures/fig{n}.log",
        benchmark:
            f"{R}/benchmarks/figures/fig{n}.tsv",
        params:
            spec=lambda w, n=n: figure_spec(n),
            number=n,
        script:
            "../scripts/figure.py"


def accuracy_file(name, rep, regime):
    return f"{rep_dir('accuracy', name, rep)}/{regime}.json"


rule subnetwork_accuracy:
    """Dev accuracy of each language's subnetwork at the last checkpoint of a regime, in one replicate."""
    input:
        model=model_dir("{task}", "{rep}", "{regime}"),
        masks=lambda w: list(masks_of(w.task, w.rep).values()),
        dev=f"{R}/data/{{task}}/rep{{rep}}/dev.parquet",
    output:
        accuracy_file("{task}", "{rep}", "{regime}"),
    log:
        f"{R}/logs/accuracy/{{task}}/rep{{rep}}/{{regime}}.log",
    benchmark:
        f"{R}/benchmarks/accuracy/{{task}}/rep{{rep}}/{{regime}}.tsv"
    params:
        epoch=lambda w: epochs(w.task),
        max_length=lambda w: task(w.task)["finetune"]["max_length"],
        batch_size=lambda w: task(w.task)["finetune"]["eval_batch_size"],
        compute=COMPUTE,
    threads: config["compute"]["threads"]
    script:
        "../scripts/subnetwork_accuracy.py"


rule table1:
    """Disabled heads per language and task, mean and spread over replicates."""
    input:
        [path for t in figure_tasks() for per_replicate in replicate_masks(t) for path in per_replicate.values()],
    output:
        csv=report(f"{R}/tables/table1.csv", caption="../report/table1.rst", category="Tables"),
        md=f"{R}/tables/table1.md",
    log:
        f"{R}/logs/tables/table1.log",
    benchmark:
        f"{R}/benchmarks/tables/table1.tsv",
    params:
        masks={t: replicate_masks(t) for t in figure_tasks()},
    script:
        "../scripts/table1.py"


rule table2:
    """Dev accuracy of each language's subnetwork after full fine-tuning and after SFT, mean and spread over replicates."""
    input:
        [accuracy_file(t, r, regime) for t in figure_tasks() for regime in ("full", "sft") for r in reps(t)],
    output:
        csv=report(f"{R}/tables/table2.csv", caption="../report/table2.rst", category="Tables"),
        md=f"{R}/tables/table2.md",
    log:
        f"{R}/logs/tables/table2.log",
    benchmark:
        f"{R}/benchmarks/tables/table2.tsv",
    params:
        accuracy={t: {regime: [accuracy_file(t, r, regime) for r in reps(t)] for regime in ("full", "sft")} for t in figure_tasks()},
    script:
        "../scripts/table2.py"
