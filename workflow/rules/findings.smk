"""Findings: each claim of both papers tested as the paper states it, with its interval, verdict and power."""


rule findings_paper000:
    """Paper 000's claims for one task: per-replicate statistics, t-interval, verdict, minimal detectable effect."""
    input:
        evidence=lambda w: findings_inputs(findings_spec(w.task, "000")),
        quality=lambda w: quality_file(
            w.task, spec_scope(findings_inputs(findings_spec(w.task, "000")))
        ),
    output:
        csv=report(
            f"{R}/findings/{{task}}.csv",
            caption="../report/findings.rst",
            category="1 Findings",
            labels={"paper": "000", "task": "{task}"},
        ),
        md=f"{R}/findings/{{task}}.md",
    log:
        f"{R}/logs/findings/{{task}}.log",
    benchmark:
        f"{R}/benchmarks/findings/{{task}}.tsv"
    conda:
        "../envs/langspec.yaml"
    params:
        spec=canonical(lambda w: findings_spec(w.task, "000")),
        claims=config["findings"]["claims"],
        paper="000",
    script:
        "../scripts/findings.py"


rule findings_paper003:
    """Paper 003's claims for one task (lottery tickets), as paper 000's."""
    input:
        evidence=lambda w: findings_inputs(findings_spec(w.task, "003")),
        quality=quality_file("{task}", "tickets"),
    output:
        csv=report(
            f"{R}/findings/lth/{{task}}.csv",
            caption="../report/findings.rst",
            category="1 Findings",
            labels={"paper": "003", "task": "{task}"},
        ),
        md=f"{R}/findings/lth/{{task}}.md",
    log:
        f"{R}/logs/findings/lth/{{task}}.log",
    benchmark:
        f"{R}/benchmarks/findings/lth/{{task}}.tsv"
    conda:
        "../envs/langspec.yaml"
    params:
        spec=canonical(lambda w: findings_spec(w.task, "003")),
        claims=config["findings"]["claims"],
        paper="003",
    script:
        "../scripts/findings.py"


rule findings_neurons:
    """The language-specific neurons' claims for one task (LAPE), as paper 000's."""
    input:
        evidence=lambda w: findings_inputs(findings_spec(w.task, "neurons")),
        quality=quality_file("{task}", "full"),
    output:
        csv=report(
            f"{R}/findings/neurons/{{task}}.csv",
            caption="../report/findings.rst",
            category="1 Findings",
            labels={"paper": "neurons", "task": "{task}"},
        ),
        md=f"{R}/findings/neurons/{{task}}.md",
    log:
        f"{R}/logs/findings/neurons/{{task}}.log",
    benchmark:
        f"{R}/benchmarks/findings/neurons/{{task}}.tsv"
    conda:
        "../envs/langspec.yaml"
    params:
        spec=canonical(lambda w: findings_spec(w.task, "neurons")),
        claims=config["findings"]["claims"],
        paper="neurons",
    script:
        "../scripts/findings.py"


rule findings:
    """Target: the findings of both papers for every task (paper 003's for the lottery-ticket tasks); the neurons'
    findings are the `neurons` target's."""
    input:
        [
            findings_file(t, paper)
            for paper, tasks in (("000", figure_tasks()), ("003", lth_tasks()))
            if chosen_claims(config["findings"]["claims"], paper)
            for t in tasks
        ],
