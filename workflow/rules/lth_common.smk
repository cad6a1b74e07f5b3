"""Lottery tickets (paper 003): settings, paths and input functions of workflow/rules/lth.smk."""

from langspec.data.tasks import is_parallel as _is_parallel
from langspec.registry import AT_OVERLAP_SPARSITY, FIGURES_003, TABLES_003, TRACIN_003
from langspec.tickets.schedule import lottery_rounds

LTH = f"{R}/lth"


LTH_RATE = config["lth"]["rate"]


LTH_ROUNDS = lottery_rounds(LTH_RATE, config["lth"]["max_sparsity"])


SOURCE = rf"{LANG}|multi"


def lth_round(sparsity, key):
    """The IMP round that reaches ``sparsity`` (a multiple of lth.rate, at most lth.max_sparsity)."""
    k = round(sparsity / LTH_RATE)
    if abs(k * LTH_RATE - sparsity) > 1e-9 or not 1 <= k <= LTH_ROUNDS:
        raise LangspecError(
            f"config key '{key}' has sparsity {sparsity}: not a multiple of lth.rate = {LTH_RATE} up to lth.max_sparsity"
        )
    return k


LTH_TRANSFER_ROUNDS = [
    lth_round(s, "lth.sparsities") for s in config["lth"]["sparsities"]
]


LTH_OVERLAP_ROUND = lth_round(config["lth"]["overlap_sparsity"], "lth.overlap_sparsity")


def lth_tasks():
    chosen = config["lth"]["tasks"] or list(config["tasks"])
    for name in chosen:
        task(name)
    return chosen


def lth_encoder_tasks():
    """The lottery-ticket tasks of encoder-only models (paper 003's mBERT experiments); the text-to-text tasks
    (encoder-decoder, section 5's mT5) repeat only IMP, transfer and overlap (figures 5 and 8, table 6).
    """
    return [t for t in lth_tasks() if task_kind(t) != "text-to-text"]


def lth_role_tasks(role):
    """The lottery-ticket tasks a role of paper 003's spec has: retrieval and similarity need parallel items, the head-level
    comparison paper 000's head masks (sequence classification), figure 9 two tasks sharing a language; those and
    appendix D's masks are run on encoder-only models (as the paper).
    """
    if role in ("retrieval", "similarity"):
        return [t for t in lth_encoder_tasks() if _is_parallel(task(t))]
    if role == "heads":
        return [t for t in lth_tasks() if task_kind(t) == "classification"]
    if role == "cross_task":
        return (
            lth_encoder_tasks()
            if len(lth_encoder_tasks()) > 1 and lth_cross_languages()
            else []
        )
    if role == "alternatives":
        return lth_alternative_tasks()
    return lth_tasks()


def lth_sources(name):
    """The IMP runs of a task: every ticket language, and the multilingual ticket (table 1) on encoder-only models."""
    multi = ["multi"] if task_kind(name) != "text-to-text" else []
    return [*lth_languages(name), *multi]


def lth_alternative_tasks():
    """Tasks of paper 003's appendix D: lth.alternatives.tasks, or the lottery-ticket tasks that are not MLM (as the paper)."""
    settings = config["lth"]["alternatives"]
    if not settings["methods"]:
        return []
    chosen = settings["tasks"]
    if chosen is None:
        return [t for t in lth_encoder_tasks() if task_kind(t) != "mlm"]
    for name in chosen:
        if name not in lth_encoder_tasks():
            raise LangspecError(
                f"config key 'lth.alternatives.tasks' names '{name}', which is not a lottery-ticket task of an encoder-only "
                f"model ({', '.join(lth_encoder_tasks())})"
            )
    return chosen


def lth_alternative_languages(name):
    """Languages of appendix D in one task: lth.alternatives.languages, or every ticket language."""
    chosen = config["lth"]["alternatives"]["languages"] or lth_languages(name)
    for lang in chosen:
        if lang not in lth_languages(name):
            raise LangspecError(
                f"config key 'lth.alternatives.languages' names '{lang}', which has no ticket in task '{name}'"
            )
    return chosen


def lth_alternative_masks(name):
    """Per replicate: '{lang}/{method}' -> its alternative mask file."""
    return [
        {
            f"{lang}/{method}": f"{lth_dir(name, r, lang)}/{method}.npz"
            for lang in lth_alternative_languages(name)
            for method in config["lth"]["alternatives"]["methods"]
        }
        for r in lth_reps(name)
    ]


def lth_alternative_tickets(name):
    """Per replicate: language -> its ticket at the alternatives' sparsity (the first of lth.sparsities)."""
    return [
        {
            lang: f"{lth_dir(name, r, lang)}/round{LTH_TRANSFER_ROUNDS[0]}.npz"
            for lang in lth_alternative_languages(name)
        }
        for r in lth_reps(name)
    ]


@canonical
def lth_alternative_params(wildcards):
    """What one alternative mask depends on: training, sparsity and, for fisher, its examples."""
    params = {"hp": lth_hp(wildcards), "sparsity": config["lth"]["sparsities"][0]}
    if wildcards.method == "fisher":
        params["fisher_examples"] = config["lth"]["alternatives"]["fisher_examples"]
    return params


def lth_cross_languages():
    """Languages of figure 9: lth.cross_task.languages, or every language with a ticket in every encoder-only task."""
    tasks = lth_encoder_tasks()
    chosen = config["lth"]["cross_task"]["languages"]
    if chosen is None:
        return [
            l
            for l in lth_languages(tasks[0])
            if all(l in lth_languages(t) for t in tasks)
        ]
    for name in tasks:
        for lang in chosen:
            if lang not in lth_languages(name):
                raise LangspecError(
                    f"config key 'lth.cross_task.languages' names '{lang}', which has no ticket in task '{name}'"
                )
    return chosen


def lth_cross_round():
    """The IMP round of figure 9's tickets: the first of lth.sparsities, where the target task's own ticket is trained too."""
    return LTH_TRANSFER_ROUNDS[0]


def lth_cross_reps():
    """Figure 9's replicates: those every lottery-ticket task has (a task may run fewer replicates than another)."""
    return range(min(len(lth_reps(t)) for t in lth_encoder_tasks()))


def lth_cross_files(name):
    """Figure 9's jobs with ``name`` as the target task: every other task's ticket of every shared language, per replicate."""
    return [
        f"{LTH}/{name}/rep{r}/cross/{source}/{lang}.json"
        for r in lth_cross_reps()
        for source in lth_encoder_tasks()
        if source != name
        for lang in lth_cross_languages()
    ]


def lth_languages(name):
    chosen = config["lth"]["languages"] or languages(name)
    for lang in chosen:
        language(name, lang)
    return chosen


def lth_reps(name):
    """The replicates of a task that paper 003's study runs: the first `lth.replicates` (null: all of them)."""
    count = config["lth"]["replicates"]
    return range(min(count, replicates(name)) if count else replicates(name))


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
    return {
        **finetune_params(wildcards),
        **{k: v for k, v in config["lth"]["finetune"].items() if v is not None},
    }


@canonical
def lth_prune_params(wildcards):
    """What one IMP run depends on: training, rate, and the languages it prunes on (one, or the multilingual union)."""
    pooled = (
        lth_multilingual(wildcards.task)
        if wildcards.source == "multi"
        else [language(wildcards.task, wildcards.source)]
    )
    return {"hp": lth_hp(wildcards), "rate": LTH_RATE, "languages": pooled}


@canonical
def lth_transfer_params(wildcards):
    """What one transfer job depends on: training, rate, and the target languages."""
    return {
        "hp": lth_hp(wildcards),
        "rate": LTH_RATE,
        "languages": lth_languages(wildcards.task),
    }


@canonical
def lth_retrieval_params(wildcards):
    """Retrieval settings, the query language resolved (null: the first ticket language)."""
    retrieval = config["lth"]["retrieval"]
    return {
        **retrieval,
        "source": retrieval["source"] or lth_languages(wildcards.task)[0],
    }


def lth_dir(name, rep, source):
    return f"{LTH}/{name}/rep{rep}/{source}"


def ticket_file(name, rep, lang):
    """A language's lottery ticket at the overlap sparsity: the mask of SFT on tickets and of their sketches."""
    return f"{lth_dir(name, rep, lang)}/round{LTH_OVERLAP_ROUND}.npz"


def lth_transfer_input(wildcards):
    """The mask a transfer job trains: a language's (or the multilingual) ticket; none for rand and full."""
    if wildcards.source == "rand":
        return []
    return [
        f"{lth_dir(wildcards.task, wildcards.rep, wildcards.source)}/round{wildcards.round}.npz"
    ]


def lth_transfer_files(name):
    """Every transfer job of a task: each source (languages, rand) at each transfer sparsity, multi at the overlap sparsity.

    The dense model trained on each language (table 1's first row) is IMP's first round of that language.
    """
    files = []
    for r in lth_reps(name):
        base = f"{LTH}/{name}/rep{r}/transfer"
        files += [
            f"{base}/round{k}/{s}.json"
            for k in LTH_TRANSFER_ROUNDS
            for s in [*lth_languages(name), "rand"]
        ]
        if "multi" in lth_sources(name):
            files.append(f"{base}/round{LTH_OVERLAP_ROUND}/multi.json")
    return sorted(set(files))


def lth_trajectories(name):
    return [
        f"{lth_dir(name, r, s)}/trajectory.json"
        for r in lth_reps(name)
        for s in lth_sources(name)
    ]


@canonical
def lth_similarity_params(wildcards):
    """Similarity settings, the source language resolved (null: lth.retrieval.source, else the first ticket language)."""
    similarity = config["lth"]["similarity"]
    source = similarity["source"] or lth_retrieval_params(wildcards)["source"]
    if source not in lth_languages(wildcards.task):
        raise LangspecError(
            f"config key 'lth.similarity.source' (or lth.retrieval.source) is '{source}', "
            f"which has no ticket in task '{wildcards.task}' ({', '.join(lth_languages(wildcards.task))})"
        )
    return {
        **{k: similarity[k] for k in ("sentences", "keep_variance")},
        "source": source,
    }


def lth_overlap_masks(name):
    """Per replicate: language -> its ticket at the overlap sparsity."""
    return [
        {
            lang: f"{lth_dir(name, r, lang)}/round{LTH_OVERLAP_ROUND}.npz"
            for lang in lth_languages(name)
        }
        for r in lth_reps(name)
    ]


LTH_ROLES = (
    "tickets",
    "transfer",
    "overlap",
    "retrieval",
    "similarity",
    "alternatives",
    "heads",
    "cross_task",
)


def lth_spec(wildcards=None):
    """Every input of paper 003's figures and tables: role -> task -> CSV (the tasks that role has), and the sparsities."""
    return {
        **{
            role: {t: f"{LTH}/{t}/{role}.csv" for t in lth_role_tasks(role)}
            for role in LTH_ROLES
        },
        "sparsity": config["lth"]["sparsities"][0],
        "sparsities": config["lth"]["sparsities"],
        "method": config["lth"]["retrieval"]["method"],
        "pooling": config["lth"]["similarity"]["pooling"],
    }


def lth_entry_roles(entry):
    """Role -> task -> CSV of one figure or table: its roles, restricted to the tasks of its kind (tables 3-6);
    the encoder-only tasks where it names none (paper 003's mBERT figures), the text-to-text ones only for figures 5
    and 8 and table 6.
    """
    spec = lth_spec()
    return {
        role: {
            t: path
            for t, path in spec[role].items()
            if task_kind(t) == entry.task_kind
            or (entry.task_kind is None and task_kind(t) != "text-to-text")
        }
        for role in entry.roles
    }


def lth_entries():
    """Paper 003's figures and tables that the configured tasks can make (every role with a task), in registry order."""
    entries = [*FIGURES_003.values(), *TABLES_003.values()]
    return [e for e in entries if all(lth_entry_roles(e).values())]


def lth_figure_spec(entry):
    """The spec of one figure or table (a langspec.registry entry): its roles and the scalars it takes (sparsity:
    the overlap sparsity for some), so that a config value reruns only the figures and tables that use it.
    """
    spec = lth_spec()
    spec["sparsity"] = (
        config["lth"]["overlap_sparsity"]
        if entry.name in AT_OVERLAP_SPARSITY
        else spec["sparsity"]
    )
    return lth_entry_roles(entry) | {key: spec[key] for key in entry.scalars}


def lth_entry_quality(entry):
    """Task -> quality CSV of the lottery-ticket tasks a paper-003 figure draws (for its legends)."""
    tasks = {t for paths in lth_entry_roles(entry).values() for t in paths}
    return {t: quality_file(t, "tickets") for t in sorted(tasks) if t in lth_tasks()}
