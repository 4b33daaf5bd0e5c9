"""
Parameter searches and seed sweeps on Optuna, and their command line.

A **search** samples a task's space (`~nengo_hpes.experiments.search_tasks`)
with Optuna's TPE sampler for ``--trials`` trials; a **sweep** runs a fixed
grid of parameters times a list of seeds, with no sampler, so that multi-seed
comparisons (hPES against PES, with the paired confidence interval of
`~nengo_hpes.experiments.metrics.paired_difference`) resume after a stop as
searches do. Both keep every trial in an Optuna storage: a SQLite file on one
machine, a PostgreSQL (or MySQL) server for many, where every worker runs the
same command against one URL. ``optuna-dashboard URL`` shows a study while it runs.
See ``docs/searches.md``.

How the work is shared: the process that creates a study writes its
specification (task, rule, space, options, seeds) as a study user attribute
and enqueues one WAITING trial per evaluation, each with its seed (a sweep's
trials also with their parameters). Workers only take (pop) these trials and
never create new ones, so however many workers and machines run, the study
has exactly ``--trials`` evaluations. Each trial records a heartbeat
(`optuna.storages.RDBStorage`'s ``heartbeat_interval``); a trial whose worker
died (``kill -9``, a lost node) is failed by the next worker once its
heartbeat is ``grace_period`` seconds old, and
`optuna.storages.RetryHeartbeatStaleTrialCallback` enqueues it again with the
same parameters and seed. So a killed worker loses only the trial it was
running, which another worker, or the command run again, redoes.

The storage and study side is in `~nengo_hpes.experiments.search_study`,
the JSON summary, comparison and plot in
`~nengo_hpes.experiments.search_results`, the tasks in
`~nengo_hpes.experiments.search_tasks`.
"""

import argparse
import json
import math
import multiprocessing
import os
import pathlib
import socket
import sys
import time

import optuna
from nengo.exceptions import ValidationError
from optuna.distributions import json_to_distribution
from optuna.storages import fail_stale_trials

# the heartbeat thread that Study.optimize runs around each trial; workers here
# run their own loop (they only pop enqueued trials), so they start it themselves
from optuna.storages._heartbeat import get_heartbeat_thread
from optuna.trial import TrialState

from nengo_hpes.experiments.search_results import (
    _format_params,
    compare_studies,
    log_summary,
    plot_losses,
    summarize,
)
from nengo_hpes.experiments.search_study import (  # noqa: F401 (the API)
    READY_ATTR,
    SAMPLERS,
    SPEC_ATTR,
    StorageError,
    _check_int,
    _quiet,
    _values,
    check_spec,
    create_or_join,
    hide_password,
    make_spec,
    open_storage,
    parse_storage_url,
)
from nengo_hpes.experiments.search_tasks import RULES, TASKS, check_rule, get_task

# -- workers


def _make_sampler(spec, sampler_seed):
    if spec["mode"] == "sweep":  # every parameter is fixed by the grid
        return optuna.samplers.RandomSampler(seed=sampler_seed)
    if spec["sampler"] == "random":
        return optuna.samplers.RandomSampler(seed=sampler_seed)
    with _quiet():  # constant_liar: parallel workers avoid each other's trials
        return optuna.samplers.TPESampler(seed=sampler_seed, constant_liar=True)


def _pop_waiting(study):
    """
    Claim one enqueued trial (as `optuna.Study.ask` does); None if none left.

    The trial's first heartbeat is written *before* it is claimed. Optuna
    only fails a running trial whose heartbeat is old, never one that has
    none, so a worker killed between the claim and its heartbeat thread's
    first write (a window of milliseconds, hit under load) would otherwise
    leave a trial running forever and every worker waiting for it. A
    heartbeat written for a trial that another worker then claims is only
    refreshed by that worker's thread.
    """
    storage = study._storage
    for trial in storage.get_all_trials(
        study._study_id, deepcopy=False, states=(TrialState.WAITING,)
    ):
        try:
            storage.record_heartbeat(trial._trial_id)
            if storage.set_trial_state_values(trial._trial_id, TrialState.RUNNING):
                return trial._trial_id
        except optuna.exceptions.UpdateFinishedTrialError:
            continue
    return None


def _run_trial(study, trial_id, spec, worker, log):
    task = get_task(spec["task"])
    space = {k: json_to_distribution(v) for k, v in spec["space"].items()}
    names = list(spec["grid"]) if spec["mode"] == "sweep" else list(space)
    storage = study._storage
    # heartbeats from the start: a claimed trial without them is never freed
    heartbeat = get_heartbeat_thread(trial_id, storage)
    heartbeat.start()
    trial = seed = None
    t0 = time.perf_counter()
    try:
        try:
            trial = optuna.trial.Trial(study, trial_id)
            seed = storage.get_trial(trial_id).user_attrs["seed"]
            trial.set_user_attr("worker", worker)
            params = {}
            for name in names:
                d = space[name]
                params[name] = trial.suggest_float(name, d.low, d.high, log=d.log)
            loss = float(task.objective(spec["rule"], params, seed, **spec["options"]))
            if not math.isfinite(loss):
                raise FloatingPointError(f"the loss is {loss}")
        finally:
            heartbeat.join()
    except KeyboardInterrupt:
        # not the trial's fault: fail it and enqueue it again, as for a dead worker
        if trial is not None:  # (else it is left to go stale, then retried)
            frozen = study.tell(trial, state=TrialState.FAIL)
            with _quiet():
                storage.get_heartbeat_stale_trial_callback()(study, frozen)
        raise
    except Exception as e:  # the objective's error: recorded, the study goes on
        if trial is None:  # the storage's, not the trial's: it goes stale
            raise
        trial.set_user_attr("error", f"{type(e).__name__}: {e}")
        trial.set_user_attr("duration_s", time.perf_counter() - t0)
        study.tell(trial, state=TrialState.FAIL)
        log(f"[{worker}] trial {trial.number} seed {seed}: FAILED ({e})")
        return
    trial.set_user_attr("duration_s", time.perf_counter() - t0)
    study.tell(trial, loss)
    best = study.best_trial
    done = len(study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)))
    total = study.user_attrs.get(READY_ATTR, "?")
    log(
        f"[{worker}] trial {trial.number} {_format_params(params)} seed {seed}: "
        f"loss {loss:.5g} | best {best.value:.5g} (trial {best.number}) | "
        f"{done}/{total} complete"
    )


def run_worker(
    url,
    study_name,
    worker=None,
    heartbeat_interval=10,
    grace_period=None,
    max_retry=2,
    sampler_seed=None,
    poll=1.0,
    log=print,
):
    """
    Run a study's enqueued trials until none is left; return how many it ran.

    When no trial is waiting but some are still running (in other workers),
    the worker waits: if one of them stops sending heartbeats, this worker
    fails it, and the retry that this enqueues is run here.

    Parameters
    ----------
    url : str
        The storage URL.
    study_name : str
        An existing study made by `.create_or_join`.
    worker : str, optional
        The worker's name in the trials' ``worker`` user attribute and the
        log (default ``host:pid``).
    heartbeat_interval, grace_period, max_retry
        See `.open_storage`.
    sampler_seed : int, optional
        Seed of this worker's sampler.
    poll : float, optional
        Seconds between two looks at the running trials, when none is waiting.
    log : callable, optional
        Prints a line.
    """
    worker = worker or f"{socket.gethostname()}:{os.getpid()}"
    storage = open_storage(url, heartbeat_interval, grace_period, max_retry)
    study = optuna.load_study(study_name=study_name, storage=storage)
    spec = study.user_attrs[SPEC_ATTR]
    study = optuna.load_study(
        study_name=study_name,
        storage=storage,
        sampler=_make_sampler(spec, sampler_seed),
    )
    n = 0
    waiting_for = None
    while True:
        with _quiet():
            fail_stale_trials(study)
        trial_id = _pop_waiting(study)
        if trial_id is not None:
            _run_trial(study, trial_id, spec, worker, log)
            n += 1
            continue
        running = study.get_trials(deepcopy=False, states=(TrialState.RUNNING,))
        if not running:
            return n
        numbers = [t.number for t in running]
        if numbers != waiting_for:
            log(f"[{worker}] waiting for trials {numbers}, running elsewhere")
            waiting_for = numbers
        time.sleep(poll)


def _worker_main(url, study_name, index, kwargs):
    optuna.logging.set_verbosity(optuna.logging.WARNING)

    def log(line):
        print(line, flush=True)

    try:
        run_worker(url, study_name, log=log, **kwargs)
    except KeyboardInterrupt:  # its trial is enqueued again (see _run_trial)
        sys.exit(130)


# -- the whole run


def _run_workers(url, study, workers, sampler_seed, kwargs, log):
    """Run the study's trials here (one worker) or in ``workers`` processes."""
    host = socket.gethostname()
    if workers == 1:
        run_worker(url, study, sampler_seed=sampler_seed, log=log, **kwargs)
    else:
        ctx = multiprocessing.get_context("spawn")
        procs = []
        for k in range(workers):
            kw = dict(
                kwargs, sampler_seed=None if sampler_seed is None else sampler_seed + k
            )
            procs.append(
                ctx.Process(target=_worker_main, args=(url, study, k, kw), daemon=False)
            )
        # one BLAS thread per worker (unless set): the workers are the parallelism
        saved = dict(os.environ)
        for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ.setdefault(name, "1")
        try:
            for p in procs:
                p.start()
        finally:
            os.environ.clear()
            os.environ.update(saved)
        try:
            for p in procs:
                p.join()
        except KeyboardInterrupt:  # Ctrl-C reached the workers too: let them
            for p in procs:  # put their trials back in the queue
                p.join()
            raise
        for k, p in enumerate(procs):
            if p.exitcode != 0:
                log(f"worker {k} ({host}:{p.pid}) exited with code {p.exitcode}")


def run_study(
    task,
    rule,
    study,
    storage="sqlite:///build/search.db",
    trials=None,
    workers=1,
    seed=0,
    grid=None,
    seeds=None,
    options=(),
    sampler="tpe",
    sampler_seed=None,
    heartbeat_interval=10,
    grace_period=None,
    max_retry=2,
    out="build/search",
    compare=None,
    confidence=0.95,
    log=print,
):
    """
    Create or join a study, run its trials in local worker processes, report.

    What the command line runs (see the module and ``docs/searches.md``).

    Parameters
    ----------
    task : str
        A registered task (`~nengo_hpes.experiments.search_tasks.TASKS`).
    rule : {"hpes", "pes"}
    study : str
        The study's name.
    storage : str, optional
        Database URL.
    trials : int, optional
        A search's number of trials (>= 1), over all workers and machines.
    workers : int, optional
        Local worker processes (>= 1).
    seed : int, optional
        A search's first seed (trial k has seed ``seed + k``), or a sweep's
        seed when ``seeds`` is not given.
    grid : dict or list of str, optional
        A sweep's parameter values, ``{"learning_rate": [1e-4, 3e-4]}`` or
        ``["learning_rate=1e-4,3e-4"]``.
    seeds : list of int, optional
        A sweep's seeds.
    options : dict or list of str, optional
        The task's options (``["learn_time=2"]``).
    sampler : {"tpe", "random"}, optional
        A search's sampler.
    sampler_seed : int, optional
        Seed of the samplers (worker k gets ``sampler_seed + k``).
    heartbeat_interval, grace_period, max_retry
        See `.open_storage`.
    out : str or pathlib.Path, optional
        Folder of the JSON summary and the plot (``<study>.json``, ``<study>.png``).
    compare : str, optional
        Another study of the same storage: also report the paired difference
        ``loss(study) - loss(compare)`` over their common seeds.
    confidence : float, optional
        Of that interval.
    log : callable, optional

    Returns
    -------
    dict
        `.summarize`'s dict, with ``comparison`` and the output ``files``.
    """
    task_obj = get_task(task)
    check_rule(rule)
    workers = _check_int("workers", workers, 1)
    sampler_seed = _check_int("sampler_seed", sampler_seed, 0, allow_none=True)
    if not (isinstance(confidence, float) and 0 < confidence < 1):
        raise ValidationError(
            f"Must be in (0, 1) (got {confidence!r})", attr="confidence"
        )
    opts = task_obj.parse_options(options)
    if grid is not None and not isinstance(grid, dict):
        grid = dict(_values(g) for g in grid)
    spec, evaluations = make_spec(
        task_obj, rule, opts, trials, seed, grid, seeds, sampler
    )
    st = open_storage(storage, heartbeat_interval, grace_period, max_retry)
    if compare is not None and compare not in optuna.get_all_study_names(st):
        raise ValidationError(
            f"Must be a study in {hide_password(storage)} (got {compare!r})",
            attr="compare",
        )
    study_obj, created = create_or_join(st, study, spec, evaluations)
    shown = hide_password(storage)
    log(
        f"{'created' if created else 'joined'} study {study!r} in {shown}: "
        f"{spec['mode']} of task {task!r}, rule {rule!r}, "
        f"{study_obj.user_attrs[READY_ATTR]} trials; {workers} worker(s)"
    )

    kwargs = dict(
        heartbeat_interval=heartbeat_interval,
        grace_period=grace_period,
        max_retry=max_retry,
    )
    _run_workers(storage, study, workers, sampler_seed, kwargs, log)

    summary = summarize(optuna.load_study(study_name=study, storage=st))
    summary["storage"] = shown
    summaries = [summary]
    if compare is not None:
        other = optuna.load_study(study_name=compare, storage=st)
        summary["comparison"] = compare_studies(
            optuna.load_study(study_name=study, storage=st), other, confidence
        )
        summaries.append(summarize(other))
    out = pathlib.Path(out)
    out.mkdir(parents=True, exist_ok=True)
    json_path = out / f"{study}.json"
    png_path = out / f"{study}.png"
    summary["files"] = [str(json_path), str(png_path)]
    json_path.write_text(json.dumps(summary, indent=1) + "\n")
    plot_losses(summaries, png_path)
    log_summary(summary, log)
    return summary


# -- command line


def parser():
    """The command-line parser."""
    p = argparse.ArgumentParser(
        prog="python -m nengo_hpes.experiments.search",
        description="Parameter searches (Optuna TPE) and seed sweeps of the hPES "
        "and PES rules, kept in a database that many workers share. "
        "Tasks: " + "; ".join(f"{t.name}: {t.description}" for t in TASKS.values()),
    )
    p.add_argument("--task", required=True, help=f"one of {sorted(TASKS)}")
    p.add_argument("--rule", required=True, help=f"one of {RULES}")
    p.add_argument("--study", required=True, help="the study's name")
    p.add_argument(
        "--storage",
        default="sqlite:///build/search.db",
        help="database URL (default %(default)s; postgresql://user:pw@host/db to "
        "share a study between machines)",
    )
    p.add_argument("--trials", type=int, help="a search's number of trials, in all")
    p.add_argument("--workers", type=int, default=1, help="local worker processes")
    p.add_argument(
        "--seed",
        type=int,
        default=0,
        help="a search's first seed (trial k gets seed + k); a sweep's seed "
        "without --seeds",
    )
    p.add_argument(
        "--seeds", type=int, nargs="+", help="sweep: the seeds of each grid point"
    )
    p.add_argument(
        "--grid",
        action="append",
        metavar="NAME=V1,V2",
        help="sweep: values of a parameter (repeat for several)",
    )
    p.add_argument(
        "--set",
        action="append",
        default=[],
        dest="options",
        metavar="NAME=VALUE",
        help="a task option (repeat for several)",
    )
    p.add_argument("--sampler", default="tpe", help=f"one of {SAMPLERS}")
    p.add_argument("--sampler-seed", type=int, help="seed of the samplers")
    p.add_argument(
        "--heartbeat-interval", type=int, default=10, help="seconds (default 10)"
    )
    p.add_argument(
        "--grace-period",
        type=int,
        help="seconds without a heartbeat before a trial is retried "
        "(default: twice the interval)",
    )
    p.add_argument(
        "--max-retry", type=int, default=2, help="retries of a trial (default 2)"
    )
    p.add_argument("--out", default="build/search", help="folder of JSON and plot")
    p.add_argument("--compare", metavar="STUDY", help="paired difference with STUDY")
    p.add_argument("--confidence", type=float, default=0.95)
    return p


def main(argv=None):
    """Run the command line; return its exit status."""
    args = parser().parse_args(argv)
    optuna.logging.set_verbosity(optuna.logging.WARNING)

    def log(line):
        print(line, flush=True)

    try:
        summary = run_study(
            task=args.task,
            rule=args.rule,
            study=args.study,
            storage=args.storage,
            trials=args.trials,
            workers=args.workers,
            seed=args.seed,
            grid=args.grid,
            seeds=args.seeds,
            options=args.options,
            sampler=args.sampler,
            sampler_seed=args.sampler_seed,
            heartbeat_interval=args.heartbeat_interval,
            grace_period=args.grace_period,
            max_retry=args.max_retry,
            out=args.out,
            compare=args.compare,
            confidence=args.confidence,
            log=log,
        )
    except (ValidationError, StorageError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(
            "interrupted: the running trials are enqueued again; run the same "
            "command to go on",
            file=sys.stderr,
        )
        return 130
    left = {k: n for k, n in summary["counts"].items() if k in ("WAITING", "RUNNING")}
    if left:
        log(f"not finished: {left}; run the command again to go on")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
