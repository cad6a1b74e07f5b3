"""Lottery-ticket subnetworks per language (paper 003): IMP with rewinding, tickets, transfer, overlap, retrieval."""

LTH = f"{R}/lth"
LTH_RATE = config["lth"]["rate"]
LTH_ROUNDS = preflight.lottery_rounds(LTH_RATE, config["lth"]["max_sparsity"])
SOURCE = rf"{LANG}|multi"


def lth_round(sparsity, key):
    """The IMP round that reaches ``sparsity`` (a multiple of lth.rate, at most lth.max_sparsity)."""
    k = round(sparsity / LTH_RATE)
    if abs(k * LTH_RATE - sparsity) > 1e-9 or not 1 <= k <= LTH_ROUNDS:
        raise LangspecError(
            f"config key '{key}' has sparsity {sparsity}: not a multiple of lth.rate = {LTH_RATE} up to lth.max_sparsity"
        )
    return k


LTH_TRANSFER_ROUNDS = [lth_round(s, "lth.sparsities") for s in config["lth"]["sparsities"]]
LTH_OVERLAP_ROUND = lth_round(config["lth"]["overlap_sparsity"], "lth.overlap_sparsity")


def lth_tasks():
    chosen = config["lth"]["tasks"] or list(config["tasks"])
    for name in chosen:
        task(name)
    return chosen


def lth_languages(name):
    chosen = config["lth"]["languages"] or languages(name)
    for lang in chosen:
        language(name, lang)
    return chosen


def lth_multilingual(name):
    chosen = config["lth"]["multilingual"] or lth_languages(name)
    for lang in chosen:
        language(name, lang)
    return chosen


def lth_rounds_of(source):
    """Rounds an IMP run makes: every round for a language, up to the overlap sparsity for the multilingual ticket."""
    return LTH_OVERLAP_ROUND if source == "multi" else LTH_ROUNDS


def lth_hp(wildcards):
    """Training of every round and ticket: the task's fine-tuning with lth.finetune's keys over it, the replicate's seed."""
    return {**finetune_params(wildcards), **{k: v for k, v in config["lth"]["finetune"].items() if v is not None}}


@canonical
def lth_prune_params(wildcards):
    """What one IMP run depends on: training, rate, and the languages it prunes on (one, or the multilingual union)."""
    pooled = lth_multilingual(wildcards.task) if wildcards.source == "multi" else [language(wildcards.task, wildcards.source)]
    return {"hp": lth_hp(wildcards), "rate": LTH_RATE, "languages": pooled}


@canonical
def lth_transfer_params(wildcards):
    """What one transfer job depends on: training, rate, and the target languages."""
    return {"hp": lth_hp(wildcards), "rate": LTH_RATE, "languages": lth_languages(wildcards.task)}


def lth_dir(name, rep, source):
    return f"{LTH}/{name}/rep{rep}/{source}"


rule lth_prune:
    """Iterative magnitude pruning with rewinding for one language (or the multilingual union) of one replicate."""
    input:
        init=model_dir("{task}", "{rep}", "init"),
        data=data_files("{task}", "{rep}", ["train", "dev"]),
    output:
        masks=[f"{lth_dir('{task}', '{rep}', '{source}')}/round{k}.npz" for k in range(1, LTH_ROUNDS + 1)],
        trajectory=f"{lth_dir('{task}', '{rep}', '{source}')}/trajectory.json",
    log:
        f"{R}/logs/lth/{{task}}/rep{{rep}}/{{source}}.log",
    benchmark:
        f"{R}/benchmarks/lth/{{task}}/rep{{rep}}/{{source}}.tsv"
    wildcard_constraints:
        source=LANG,
    params:
        lth=lth_prune_params,
        rounds=LTH_ROUNDS,
        compute=TRAIN_COMPUTE,
        evaluation=COMPUTE,
    threads: config["compute"]["train_threads"]
    resources:
        gpu=int(config["compute"]["gpus"]),
    script:
        "../scripts/lth_prune.py"


use rule lth_prune as lth_prune_multilingual with:
    output:
        masks=[f"{lth_dir('{task}', '{rep}', '{source}')}/round{k}.npz" for k in range(1, LTH_OVERLAP_ROUND + 1)],
        trajectory=f"{lth_dir('{task}', '{rep}', '{source}')}/trajectory.json",
    wildcard_constraints:
        source="multi",
    params:
        lth=lth_prune_params,
        rounds=LTH_OVERLAP_ROUND,
        compute=TRAIN_COMPUTE,
        evaluation=COMPUTE,


def lth_transfer_input(wildcards):
    """The mask a transfer job trains: a language's (or the multilingual) ticket; none for rand and full."""
    if wildcards.source == "rand":
        return []
    return [f"{lth_dir(wildcards.task, wildcards.rep, wildcards.source)}/round{wildcards.round}.npz"]


rule lth_transfer:
    """A source's ticket (or a random mask of its sparsity) rewound to the pre-trained weights and trained on every target language."""
    input:
        init=model_dir("{task}", "{rep}", "init"),
        data=data_files("{task}", "{rep}", ["train", "dev"]),
        mask=lth_transfer_input,
    output:
        f"{LTH}/{{task}}/rep{{rep}}/transfer/round{{round}}/{{source}}.json",
    log:
        f"{R}/logs/lth/{{task}}/rep{{rep}}/transfer/round{{round}}/{{source}}.log",
    benchmark:
        f"{R}/benchmarks/lth/{{task}}/rep{{rep}}/transfer/round{{round}}/{{source}}.tsv"
    wildcard_constraints:
        source=rf"{SOURCE}|rand",
        round=r"\d+",
    params:
        lth=lth_transfer_params,
        random_seed=lambda w: replicate_seed(int(w.round), replicate(w)),
        compute=TRAIN_COMPUTE,
        evaluation=COMPUTE,
    threads: config["compute"]["train_threads"]
    resources:
        gpu=int(config["compute"]["gpus"]),
    script:
        "../scripts/lth_transfer.py"


def lth_transfer_files(name):
    """Every transfer job of a task: each source (languages, rand) at each transfer sparsity, multi at the overlap sparsity.

    The dense model trained on each language (table 1's first row) is IMP's first round of that language.
    """
    files = []
    for r in reps(name):
        base = f"{LTH}/{name}/rep{r}/transfer"
        files += [f"{base}/round{k}/{s}.json" for k in LTH_TRANSFER_ROUNDS for s in [*lth_languages(name), "rand"]]
        files.append(f"{base}/round{LTH_OVERLAP_ROUND}/multi.json")
    return sorted(set(files))


def lth_trajectories(name):
    return [f"{lth_dir(name, r, s)}/trajectory.json" for r in reps(name) for s in [*lth_languages(name), "multi"]]


def lth_overlap_masks(name):
    """Per replicate: language -> its ticket at the overlap sparsity."""
    return [{lang: f"{lth_dir(name, r, lang)}/round{LTH_OVERLAP_ROUND}.npz" for lang in lth_languages(name)} for r in reps(name)]


rule lth_tables:
    """One task's lottery-ticket results as tidy tables: tickets (figure 2), transfer (4, 6, table 1), overlap (3)."""
    input:
        trajectories=lambda w: lth_trajectories(w.task),
        transfer=lambda w: lth_transfer_files(w.task),
        masks=lambda w: [path for per_rep in lth_overlap_masks(w.task) for path in per_rep.values()],
    output:
        tickets=f"{LTH}/{{task}}/tickets.csv",
        transfer=f"{LTH}/{{task}}/transfer.csv",
        overlap=f"{LTH}/{{task}}/overlap.csv",
    log:
        f"{R}/logs/lth/{{task}}/tables.log",
    benchmark:
        f"{R}/benchmarks/lth/{{task}}/tables.tsv"
    params:
        trajectories=lambda w: {r: {s: f"{lth_dir(w.task, r, s)}/trajectory.json" for s in [*lth_languages(w.task), "multi"]} for r in reps(w.task)},
        transfer=lambda w: lth_transfer_files(w.task),
        masks=lambda w: lth_overlap_masks(w.task),
        sparsity=config["lth"]["overlap_sparsity"],
        rate=LTH_RATE,
    script:
        "../scripts/lth_tables.py"


rule lth_retrieval:
    """Parallel sentence retrieval with each language's ticket (pre-trained weights, no fine-tuning), per layer."""
    input:
        init=model_dir("{task}", "{rep}", "init"),
        test=f"{R}/data/{{task}}/rep{{rep}}/test.parquet",
        masks=lambda w: list(lth_overlap_masks(w.task)[int(w.rep)].values()),
    output:
        f"{LTH}/{{task}}/rep{{rep}}/retrieval.csv",
    log:
        f"{R}/logs/lth/{{task}}/rep{{rep}}/retrieval.log",
    benchmark:
        f"{R}/benchmarks/lth/{{task}}/rep{{rep}}/retrieval.tsv"
    params:
        languages=lambda w: lth_languages(w.task),
        retrieval=lambda w: {**config["lth"]["retrieval"], "source": config["lth"]["retrieval"]["source"] or lth_languages(w.task)[0]},
        max_length=lambda w: task(w.task)["finetune"]["max_length"],
        batch_size=lambda w: task(w.task)["finetune"]["eval_batch_size"],
        compute=COMPUTE,
    threads: config["compute"]["threads"]
    script:
        "../scripts/lth_retrieval.py"


rule lth_heads:
    """Each language's ticket per attention head (kept fraction) beside paper 000's head mask of the same replicate."""
    input:
        init=lambda w: [model_dir(w.task, r, "init") for r in reps(w.task)],
        tickets=lambda w: [path for per_rep in lth_overlap_masks(w.task) for path in per_rep.values()],
        heads=lambda w: [mask_file(w.task, r, lang) for r in reps(w.task) for lang in lth_languages(w.task)],
    output:
        f"{LTH}/{{task}}/heads.csv",
    log:
        f"{R}/logs/lth/{{task}}/heads.log",
    benchmark:
        f"{R}/benchmarks/lth/{{task}}/heads.tsv"
    params:
        tickets=lambda w: lth_overlap_masks(w.task),
        heads=lambda w: [{lang: mask_file(w.task, r, lang) for lang in lth_languages(w.task)} for r in reps(w.task)],
        init=lambda w: [model_dir(w.task, r, "init") for r in reps(w.task)],
    script:
        "../scripts/lth_heads.py"


rule lth_gather_retrieval:
    """The retrieval results of every replicate of a task in one table."""
    input:
        lambda w: [f"{LTH}/{w.task}/rep{r}/retrieval.csv" for r in reps(w.task)],
    output:
        f"{LTH}/{{task}}/retrieval.csv",
    log:
        f"{R}/logs/lth/{{task}}/retrieval.log",
    script:
        "../scripts/lth_gather.py"


def lth_spec(wildcards=None):
    """Every input of paper 003's figures and tables: role -> task -> CSV, and the chosen sparsities."""
    tasks = lth_tasks()
    return {
        "tickets": {t: f"{LTH}/{t}/tickets.csv" for t in tasks},
        "transfer": {t: f"{LTH}/{t}/transfer.csv" for t in tasks},
        "overlap": {t: f"{LTH}/{t}/overlap.csv" for t in tasks},
        "retrieval": {t: f"{LTH}/{t}/retrieval.csv" for t in tasks},
        "heads": {t: f"{LTH}/{t}/heads.csv" for t in tasks},
        "sparsity": config["lth"]["sparsities"][0],
        "sparsities": config["lth"]["sparsities"],
        "method": config["lth"]["retrieval"]["method"],
    }


#: paper 003's figures and tables: name -> (the spec roles they read, caption)
LTH_FIGURE_ROLES = {"fig2": ["tickets"], "fig3": ["overlap"], "fig4": ["transfer"], "fig6": ["transfer"], "fig7": ["retrieval"], "heads": ["heads"]}
LTH_TABLE_ROLES = {"table1": ["transfer"], "winning": ["tickets"], "overlap": ["overlap"], "heads": ["heads"]}
LTH_TABLE_CAPTIONS = {"table1": "lth_table1", "winning": "lth_winning", "overlap": "lth_overlap", "heads": "lth_heads_table"}


def lth_figure_spec(name, roles):
    """The spec of one figure or table: its roles, and for the overlap figure and table 1 the overlap sparsity."""
    spec = lth_spec()
    chosen = {role: spec[role] for role in roles} | {key: spec[key] for key in ("sparsities", "method")}
    chosen["sparsity"] = config["lth"]["overlap_sparsity"] if name in ("fig3", "table1", "overlap") else spec["sparsity"]
    return chosen


for name, roles in LTH_FIGURE_ROLES.items():

    rule:
        name:
            f"lth_figure_{name}"
        input:
            lambda w, roles=roles: [path for role in roles for path in lth_spec()[role].values()],
        output:
            pdf=report(f"{R}/figures/lth/{name}.pdf", caption=f"../report/lth_{name}.rst", category="Lottery tickets (paper 003)", labels={"figure": name}),
            png=f"{R}/figures/lth/{name}.png",
        log:
            f"{R}/logs/figures/lth/{name}.log",
        benchmark:
            f"{R}/benchmarks/figures/lth/{name}.tsv"
        params:
            name=name,
            spec=lambda w, name=name, roles=roles: lth_figure_spec(name, roles),
        script:
            "../scripts/lth_figure.py"


for name, roles in LTH_TABLE_ROLES.items():

    rule:
        name:
            f"lth_table_{name}"
        input:
            lambda w, roles=roles: [path for role in roles for path in lth_spec()[role].values()],
        output:
            csv=report(f"{R}/tables/lth/{name}.csv", caption=f"../report/{LTH_TABLE_CAPTIONS[name]}.rst", category="Lottery tickets (paper 003)"),
            md=f"{R}/tables/lth/{name}.md",
        log:
            f"{R}/logs/tables/lth/{name}.log",
        benchmark:
            f"{R}/benchmarks/tables/lth/{name}.tsv"
        params:
            name=name,
            spec=lambda w, name=name, roles=roles: lth_figure_spec(name, roles),
        script:
            "../scripts/lth_table.py"


rule lth:
    """Target: paper 003's figures 2, 3, 4, 6 and 7, its table 1, winning tickets, overlap, and the head-level comparison."""
    input:
        [f"{R}/figures/lth/{name}.pdf" for name in LTH_FIGURE_ROLES],
        [f"{R}/tables/lth/{name}.csv" for name in LTH_TABLE_ROLES],
