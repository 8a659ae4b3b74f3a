"""`eigvec_stim` (seed notes §5.6): perturb the hidden state along eigenvectors of the state
Jacobian at the steady-state fixed points of a few hold positions, against random directions
of equal norm, and stimulate the units that carry the least stable mode against random unit
sets of the same size.

For each replicate × hold position × SISU: the primary fixed point h* of the steady-state map
(target = feedback = position, velocities 0; `steady_state_fixed_points`), J = ∂F/∂h at h*, its
eigen-decomposition, and the probes (each a hidden-state offset of norm `norm` added at control
step `start` of a hold trial at that position, in a null field, without noise):

- `least_stable`: the eigenvector of the eigenvalue of largest |λ|;
- `oscillatory`: the complex pair of largest |λ| (the real part of its eigenvector);
- `most_stable`: the real eigenvalue of smallest |λ|;
- `random`: `n_random` directions drawn uniformly on the sphere;
- `top_units`: the `n_units` units with the largest |component| of the least stable eigenvector,
  each stimulated with the sign of its component (equal amplitudes);
- `random_units`: `n_random` random unit sets of the same size, random signs.

Measured against the unperturbed trial over the `window` steps after the stimulation: the mean
‖ΔF‖ of the efferent force, the largest ‖Δp‖ of the position, and `corrective_cosine`: the
cosine between the force change of the window's second half and −Δp at the end of its first
half (+1: the force pushes the hand back towards the hold position; see `stim_measures`).
"""

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import equinox as eqx
import jax
import jax.numpy as jnp
import jax.random as jr
import numpy as np
import pandas as pd

from ..sim._rollout import Interventions, simulate
from ..sim._setup import map_replicates
from ._interface import AbstractAnalysis, EvaluationPlan
from ._probes import check_window, probe_conditions
from .fixed_points import default_make_input, eigen, replicates, steady_state_fixed_points

EIGEN_KINDS = ("least_stable", "oscillatory", "most_stable")
"""The eigenvector kinds that `eigvec_stim.kinds` may list."""
STIM_COLUMNS = ("force_change", "displacement", "corrective_cosine")


def check_kinds(kinds: Sequence[str], where: str = "eigvec_stim.kinds") -> list[str]:
    """The eigenvector kinds, or a ValueError naming `where`, the bad kind and `EIGEN_KINDS`."""
    kinds = list(kinds)
    bad = [k for k in kinds if k not in EIGEN_KINDS]
    if bad or not kinds:
        raise ValueError(f"{where} = {kinds!r}: unknown eigenvector kind {bad!r}; expected a non-empty "
                         f"list of {', '.join(repr(k) for k in EIGEN_KINDS)}")
    return kinds


def select_eigenvector(vals: np.ndarray, vecs: np.ndarray, kind: str) -> tuple[np.ndarray, complex]:
    """The unit-norm real direction (H,) of eigenvector `kind` and its eigenvalue.

    Arguments:
        vals: (H,) complex eigenvalues; vecs: (H, H) right eigenvectors as columns.
        kind: one of `EIGEN_KINDS` (see the module docstring).

    Returns:
        (direction, λ); a NaN direction and λ when J has no eigenvalue of that kind (no
        complex pair; no real eigenvalue).
    """
    check_kinds([kind])
    vals, vecs = np.asarray(vals), np.asarray(vecs)
    mod = np.abs(vals)
    real = np.abs(vals.imag) <= 1e-6 * np.maximum(mod, 1e-12)
    if kind == "least_stable":
        pool = np.flatnonzero(np.isfinite(mod))
        pick = pool[np.argmax(mod[pool])] if pool.size else None
    elif kind == "oscillatory":
        pool = np.flatnonzero(~real & np.isfinite(mod))
        pick = pool[np.argmax(mod[pool])] if pool.size else None
    else:
        pool = np.flatnonzero(real & np.isfinite(mod))
        pick = pool[np.argmin(mod[pool])] if pool.size else None
    h = vals.shape[0]
    if pick is None:
        return np.full(h, np.nan), complex(np.nan, np.nan)
    v = np.real(vecs[:, pick]).astype(np.float64)
    n = np.linalg.norm(v)
    return (v / n if n > 0 else np.full(h, np.nan)), complex(vals[pick])


def probe_directions(vals, vecs, kinds: Sequence[str], n_random: int, n_units: int, rng: np.random.Generator
                     ) -> tuple[np.ndarray, list[dict], np.ndarray]:
    """The unit-norm probe directions (D, H) at one fixed point (probe 0: none, all zeros), one
    metadata dict per probe (probe kind, draw, eig_abs, eig_angle, n_stimulated), and the
    `n_units` top units of the least stable eigenvector (largest |component| first)."""
    h = np.asarray(vals).shape[0]
    dirs, meta = [np.zeros(h)], [{"probe": "none", "draw": 0, "eig_abs": np.nan, "eig_angle": np.nan,
                                  "n_stimulated": 0}]
    for kind in kinds:
        v, lam = select_eigenvector(vals, vecs, kind)
        dirs.append(v)
        meta.append({"probe": kind, "draw": 0, "eig_abs": abs(lam), "eig_angle": abs(np.angle(lam)),
                     "n_stimulated": h})
    for i in range(n_random):
        r = rng.standard_normal(h)
        dirs.append(r / np.linalg.norm(r))
        meta.append({"probe": "random", "draw": i, "eig_abs": np.nan, "eig_angle": np.nan, "n_stimulated": h})
    lead, _ = select_eigenvector(vals, vecs, "least_stable")
    top = np.argsort(-np.abs(np.nan_to_num(lead)), kind="stable")[:n_units]
    signs = np.sign(np.nan_to_num(lead[top]))
    sets = [(top, np.where(signs == 0, 1.0, signs))]
    sets += [(rng.choice(h, n_units, replace=False), rng.choice([-1.0, 1.0], n_units)) for _ in range(n_random)]
    for i, (units, sign) in enumerate(sets):
        v = np.zeros(h)
        v[units] = sign / np.sqrt(n_units)
        dirs.append(v if np.all(np.isfinite(lead)) else np.full(h, np.nan))
        meta.append({"probe": "top_units" if i == 0 else "random_units", "draw": max(i - 1, 0),
                     "eig_abs": np.nan, "eig_angle": np.nan, "n_stimulated": n_units})
    return np.stack(dirs), meta, top


def stim_measures(pos: np.ndarray, force: np.ndarray) -> np.ndarray:
    """(…, D, 3) `STIM_COLUMNS` of probes (…, D, W, 2) against probe 0 (the unperturbed trial).

    force_change: mean ‖ΔF‖ over the W steps; displacement: max ‖Δp‖; corrective_cosine:
    cos(Σ ΔF over the second half of the window, −Δp at the end of the first half), i.e. whether
    the later force change opposes the displacement the first half produced (the first push
    moves the hand along its own force, so a whole-window cosine would only see that push).
    """
    dp, df = pos - pos[..., :1, :, :], force - force[..., :1, :, :]
    half = max(dp.shape[-2] // 2, 1)
    sf, sp = df[..., half:, :].sum(axis=-2), -dp[..., half - 1, :]
    with np.errstate(invalid="ignore", divide="ignore"):
        cos = (sf * sp).sum(-1) / (np.linalg.norm(sf, axis=-1) * np.linalg.norm(sp, axis=-1))
    return np.stack([np.linalg.norm(df, axis=-1).mean(-1), np.linalg.norm(dp, axis=-1).max(-1), cos], -1)


def _hold_states(ensemble, pc) -> np.ndarray:
    """Hidden states (R, C, T, H) of the unperturbed hold trials (the finder's starts, and the
    references that pick the fixed point each trial settles at)."""
    key = pc.eval_keys[0]

    @eqx.filter_jit
    def run(ens):
        return map_replicates(lambda net: jax.vmap(lambda s, g, f, c: simulate(
            net, pc.env, s, g, f, c, key, keep=("hidden",)).hidden)(pc.start, pc.goal, pc.fields, pc.context), ens)
    return np.asarray(run(ensemble))


def _rollouts(ensemble, pc, offsets: np.ndarray, start: int, window: int) -> tuple[np.ndarray, np.ndarray]:
    """Position and force (R, C, D, W, 2) of every replicate × condition × probe, with the hidden
    offsets (R, C, D, H) added at control step `start`; W = `window` entries after it."""
    k = pc.env.n_steps - 1
    mask = (jnp.arange(k) == start).astype(jnp.float32)
    key = pc.eval_keys[0]

    @eqx.filter_jit
    def run(ens, offs):
        def one_rep(net, off_r):
            def one_cond(s, g, f, c, off_c):
                def one_probe(o):
                    traj = simulate(net, pc.env, s, g, f, c, key,
                                    Interventions(hidden=mask[:, None] * o[None, :]), keep=())
                    sl = slice(start + 1, start + 1 + window)
                    return traj.pos[sl], traj.force[sl]
                return jax.vmap(one_probe)(off_c)
            return jax.vmap(one_cond)(pc.start, pc.goal, pc.fields, pc.context, off_r)
        return map_replicates(one_rep, ens, offs)

    pos, force = run(ensemble, jnp.asarray(np.nan_to_num(offsets), jnp.float32))
    return np.asarray(pos, np.float64), np.asarray(force, np.float64)


def eigvec_stim_tables(ensemble, model_hps: Mapping, e: Mapping, included=None) -> dict[str, pd.DataFrame]:
    """The `stim` and `top_units` tables (see `EigvecStim`) of one model."""
    kinds = check_kinds(e["kinds"])
    n_hidden = int(model_hps["model"]["hidden_size"])
    n_units, n_random, norm = int(e["n_units"]), int(e["n_random"]), float(e["norm"])
    if not 1 <= n_units <= n_hidden:
        raise ValueError(f"eigvec_stim.n_units = {n_units}; expected 1 <= n_units <= H = {n_hidden}")
    window = int(e["window"])
    start, _ = check_window(int(e["start"]), window, int(model_hps["plant"]["n_steps"]), "eigvec_stim.start/window")
    sisu = [float(s) for s in e["sisu"]] if e.get("sisu") is not None else None
    pc = probe_conditions(model_hps, task={**e["task"], "n_directions": 1, "reach_length": 0.0},
                          amplitudes=[0.0], sisu=sisu, noise={"feedback_noise_std": 0.0, "motor_noise_std": 0.0},
                          eval_n=1, seed=int(e["seed"]), field_type="curl")
    positions = np.asarray(pc.start, np.float32)
    cells = replicates(ensemble)
    hidden = _hold_states(ensemble, pc)  # (R, C, T, H), C = S × P (SISU-major)
    n_s = 1 if sisu is None else len(sisu)
    n_p = positions.shape[0] // n_s
    refs = hidden[:, :, start].reshape(len(cells), n_s, n_p, 1, -1).transpose(0, 2, 1, 3, 4)
    fps = steady_state_fixed_points(cells, positions[:n_p], sisu, key=jr.PRNGKey(int(e["seed"])),
                                    states=[h.reshape(-1, h.shape[-1]) for h in hidden], references=refs,
                                    linearise_primary=False, n_box=8)
    fps = fps[fps["primary"]]
    rng = np.random.default_rng(int(e["seed"]))
    offsets, meta, tops = [], [], []
    for r, cell in enumerate(cells):
        off_r = []
        for c in range(positions.shape[0]):
            s = None if sisu is None else float(pc.sisu[c])
            row = fps[(fps["replicate"] == r) & (fps["pos_x"] == positions[c, 0]) & (fps["pos_y"] == positions[c, 1])
                      & ((fps["sisu"] == np.float32(s)) if s is not None else True)]
            u = jnp.asarray(default_make_input(positions[c], np.zeros(2), positions[c], np.zeros(2), s))
            if len(row):
                jac = cell.state_jacobian(u, jnp.asarray(row["h"].iloc[0]))
                vals, vecs = eigen(jac[None], vectors=True)
                vals, vecs = np.asarray(vals[0]), np.asarray(vecs[0])
            else:
                vals, vecs = np.full(n_hidden, np.nan + 0j), np.full((n_hidden, n_hidden), np.nan + 0j)
            dirs, m, top = probe_directions(vals, vecs, kinds, n_random, n_units, rng)
            lead, _ = select_eigenvector(vals, vecs, "least_stable")
            off_r.append(norm * dirs)
            base = {"replicate": r, "condition": c, "found": bool(len(row))}
            meta += [{**base, **mi} for mi in m]
            tops += [{"replicate": r, "condition": c, "rank": i, "unit": int(j),
                      "component": float(lead[j])}
                     for i, j in enumerate(top)]
        offsets.append(np.stack(off_r))
    offsets = np.stack(offsets)  # (R, C, D, H)
    pos, force = _rollouts(ensemble, pc, offsets, start, window)
    values = stim_measures(pos, force).reshape(-1, len(STIM_COLUMNS))
    values[np.isnan(offsets).any(-1).reshape(-1)] = np.nan
    inc = np.ones(len(cells), bool) if included is None else np.asarray(included, bool)
    stim = pd.DataFrame(meta)
    cond = stim["condition"].to_numpy()
    stim = stim.assign(included=inc[stim["replicate"]], pos_x=positions[cond, 0], pos_y=positions[cond, 1],
                       sisu=np.asarray(pc.sisu, np.float32)[cond], norm=norm,
                       **{k: values[:, i] for i, k in enumerate(STIM_COLUMNS)})
    stim = stim[stim["probe"] != "none"].reset_index(drop=True)
    stim["replicate"] = stim["replicate"].astype(np.int16)
    units = pd.DataFrame(tops)
    units = units.assign(pos_x=positions[units["condition"], 0], pos_y=positions[units["condition"], 1],
                         sisu=np.asarray(pc.sisu, np.float32)[units["condition"]])
    return {"stim": stim, "top_units": units}


class EigvecStim(AbstractAnalysis):
    """Hidden-state perturbations along Jacobian eigenvectors at steady-state fixed points
    (seed §5.6): one evaluation ("hold") per model."""

    name: ClassVar[str] = "eigvec_stim"
    table_names: ClassVar[tuple[str, ...]] = ("stim", "top_units")
    figure_set: ClassVar[str] = "eigvec_stim"
    keeps_states: ClassVar[bool] = False
    id_stage: ClassVar[str] = "eigvec_stim"
    id_versions: ClassVar[tuple[str, ...]] = ("evaluate", "eigvec_stim")
    figure_versions: ClassVar[tuple[str, ...]] = ("figures", "eigvec_stim")

    def plan(self, settings: Mapping[str, Any], model_hps: Mapping[str, Any]) -> list[EvaluationPlan]:
        check_kinds(settings["kinds"])
        return [EvaluationPlan("hold", {
            "seed": model_hps["seed"], "task": {"grid_n": int(settings["task"]["grid_n"])},
            "sisu": [float(s) for s in settings["sisu"]] if int(model_hps["part"]) == 2 else None,
            "kinds": list(settings["kinds"]), "n_random": int(settings["n_random"]),
            "n_units": int(settings["n_units"]), "norm": float(settings["norm"]),
            "start": int(settings["start"]), "window": int(settings["window"])})]

    def tables(self, model, model_hps, eval_hps, *, included, states) -> dict[str, pd.DataFrame]:
        return eigvec_stim_tables(model, model_hps, eval_hps, included)

    def summary(self, tables: Mapping[str, pd.DataFrame]) -> dict[str, int]:
        return {"probes": int(len(tables["stim"])), "found": int(tables["stim"]["found"].sum())}
