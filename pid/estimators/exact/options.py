"""Settings of the exact estimator: its methods, default tolerances and solver tunables.

Every tunable of the dedicated Newton solver lives in :class:`NewtonOptions`, passed
explicitly from :func:`pid.estimators.exact.cvx` down to the functions that read it; nothing
reads a module constant that a caller would have to patch.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass, fields

#: Methods of :func:`pid.estimators.exact.cvx`: the dedicated solver and the cvxpy formulation.
CVX_METHODS = ("newton", "cvxpy")

#: Certified gap, in bits, at which the dedicated solver stops by default.
NEWTON_TOLERANCE_BITS = 1e-7

#: Largest certified gap, in bits, accepted by default from the conic solver (cvxpy).
CONIC_TOLERANCE_BITS = 1e-5


#: The tunables that must be above zero: a step is capped at ``step_cap``, brought under it by
#: up to ``ridge_attempts`` ridges, and its ridge eased by dividing by ``damping_ease``; at zero
#: there is no step to take.
POSITIVE_NEWTON_OPTIONS = frozenset({"step_cap", "ridge_attempts", "damping_ease"})


@dataclass(frozen=True)
class NewtonOptions:
    """Tunables of the dedicated solver (:mod:`pid.estimators.exact.path`).

    The defaults are those every figure in ``docs/benchmarks.md`` was measured with; the
    answer is certified whatever they are, so they trade time for nothing but time. Each is a
    non-negative number (a whole one where it counts), and those of
    :data:`POSITIVE_NEWTON_OPTIONS` above zero.

    The fields come in six groups: following the path (``centering`` to ``max_steps``),
    solving the Newton systems (``step_cap`` to ``schur_fallback_numbers``), certifying
    (``feasible_residual`` to ``tightening_reach``), the memory model (``max_numbers`` to
    ``cpu_chunk_numbers``), small tables (``small_multipliers``, ``small_iterations``) and
    the conic program in the path's place (``conic_fallback_cells``).

    Attributes
    ----------
    centering : float
        A smoothing level's Newton steps stop when the marginal residual is below this times
        ``eps`` (or below ``residual_floor``).
    residual_floor : float
        Marginal residual below which double precision cannot improve the multipliers.
    shrink : float
        Factor by which the smoothing shrinks from one level to the next.
    quick_level : int
        A level settled in at most this many Newton steps lets the shrink factor grow back.
    level_steps : int
        Newton steps a level may take before the solver backs off to a smaller shrink.
    crawl : float
        A level backs off at once after a Newton step whose line search cut it to this or
        less: the start lies outside the region where Newton's method converges fast.
    last_resort : float
        Shrink factor beyond which a level is centred without giving up on short steps, for
        at most ``last_resort_steps`` Newton steps, and accepted as it is if it still does not
        settle.
    last_resort_steps : int
        Newton steps a last-resort level may take.
    smallest_epsilon : float
        Smallest smoothing tried; below it double precision no longer resolves the problem.
    patience : int
        Newton steps without halving the residual after which a level gives up on a problem
        whose residual is already at the rounding level ``rounding_residual / eps``.
    rounding_residual : float
        See ``patience``.
    max_steps : int
        Newton steps after which the current answer is returned, certified but possibly with
        a larger gap than asked for.
    step_cap : float
        Largest change of a multiplier in one Newton step (nats); longer steps are damped.
    ridge_attempts : int
        Ridge increases tried to bring a step under ``step_cap``.
    damping_ease : float
        A level's next Newton step starts from the last step's ridge divided by this.
    small_system : int
        Newton systems of at most this many multipliers, ``(n1 + n2) ny``, are solved whole
        by batched LU (eigendecomposition where that fails); larger ones through the Schur
        complement or matrix-free.
    matrix_free_size : int
        Problems with more ``mu`` variables than this on the smaller modality, ``n2 ny``,
        solve their Newton systems matrix-free, by preconditioned conjugate gradients.
    active_weight : float
        Pairs whose weight ``w(x2 | x1)`` is at most this are left out of the Schur
        complement's products; the Hessian entries they carry are below rounding.
    sparse_density : float
        Below this fraction of active pairs the Schur complement is formed pair block by block.
    cg_tolerance : float
        Relative residual at which conjugate gradients stop in a Newton step (an inexact one).
    forcing : float
        Where a level's marginal residual is within ``forcing / cg_tolerance`` times its
        centring threshold, the step's conjugate gradients stop at ``forcing`` times the
        threshold over the residual instead (a forcing term in the manner of Eisenstat and
        Walker, SIAM J. Sci. Comput. 17, 1996). A heuristic: the solves' relative residual is
        in the 2-norm, the threshold on the largest entry, so a step may fall short, and the
        level then takes one more.
    tangent_tolerance : float
        The relative residual of the path's tangent, which the prediction and the certificate
        extrapolate along.
    matrix_free_weight : float
        Pairs whose weight is at most this are left out of matrix-free Hessian products: each
        row drops at most ``n2`` times this of its weight, far below ``cg_tolerance``.
    every_pair : float
        Above this fraction of active pairs, matrix-free products run over every pair through
        the factors of the conditional.
    cg_iterations : int
        Most Hessian products one conjugate-gradient solve may take.
    schur_fallback_numbers : float
        A conjugate-gradient solve that misses its tolerance within ``cg_iterations`` hands its
        system to the Schur complement where that needs at most this many working numbers.
    feasible_residual : float
        Largest marginal residual of a rounded primal point; a point further off is replaced
        by the conditional product, which is exactly feasible.
    promising : float
        A level's primal point is rounded (for its certificate) only where the gap estimated
        without rounding is within this factor of the tolerance, or below ``rounded_below``.
    rounded_below : float
        See ``promising``.
    tightening_reach : float
        A certificate whose gap is above the tolerance but within this factor of it tightens
        its dual bound row by row (:func:`pid.estimators.exact.row_bound.tighten_rows`).
    max_numbers : float
        Largest working memory, in numbers, of one problem on the CPU (4 GB by default);
        larger shapes are refused before any solve (the path's needs, since any table may
        end there).
    cuda_memory_share : float
        Share of a CUDA device's memory that one problem may use there.
    cpu_chunk_numbers : float
        Numbers a stacked solve holds at most on the CPU (a batch is split into such chunks).
    small_multipliers : int
        Tables solved on the CPU (``device=None``) whose interior-point system has at most
        this many multipliers (:func:`pid.estimators.exact.small_table.multiplier_count`:
        about ``(|X1| + |X2|) |Y|``) go to the dense interior-point method of
        :mod:`pid.estimators.exact.small_table` first, one by one; 0 turns it off. Its step
        grows as the cube of that count, the path's more slowly: on random square tables the
        method is the faster up to some 600 (``benchmarks/small_tables.py --crossover``).
    small_iterations : int
        Iterations (Newton steps, also capped by ``max_steps``) after which that method gives
        up and the table goes to the path.
    conic_fallback_cells : int
        A table of at most this many cells whose path misses ``tol_bits`` is solved by the
        conic program (cvxpy, on the CPU) in its place; a larger one raises SolverError at
        once (the conic program grows slow, and misses 1e-7 bits, at some tens of thousands
        of cells), as does every table with 0.
    """

    centering: float = 3e-2
    residual_floor: float = 1e-14
    shrink: float = 0.316
    quick_level: int = 5
    level_steps: int = 8
    crawl: float = 0.25
    last_resort: float = 0.9
    last_resort_steps: int = 32
    smallest_epsilon: float = 1e-10
    patience: int = 3
    rounding_residual: float = 1e-13
    max_steps: int = 500
    step_cap: float = 10.0
    ridge_attempts: int = 8
    damping_ease: float = 10.0
    small_system: int = 64
    matrix_free_size: int = 100
    active_weight: float = 1e-16
    sparse_density: float = 0.25
    cg_tolerance: float = 0.1
    forcing: float = 0.5
    tangent_tolerance: float = 1e-3
    matrix_free_weight: float = 1e-9
    every_pair: float = 0.25
    cg_iterations: int = 2000
    schur_fallback_numbers: float = 5e7
    feasible_residual: float = 1e-12
    promising: float = 10.0
    rounded_below: float = 1e-9
    tightening_reach: float = 4.0
    max_numbers: float = 5e8
    cuda_memory_share: float = 0.8
    cpu_chunk_numbers: float = 2e7
    small_multipliers: int = 500
    small_iterations: int = 60
    conic_fallback_cells: int = 10_000

    def __post_init__(self) -> None:
        for field in fields(self):
            value = getattr(self, field.name)
            positive = field.name in POSITIVE_NEWTON_OPTIONS
            if (
                isinstance(value, bool)
                or not isinstance(value, numbers.Real)
                or not (value > 0 if positive else value >= 0)  # NaN too
            ):
                least = "positive" if positive else "non-negative"
                raise ValueError(f"NewtonOptions.{field.name} is {value!r}; pass a {least} number.")
            if field.type == "int" and not isinstance(value, numbers.Integral):
                raise ValueError(
                    f"NewtonOptions.{field.name} is {value!r}; pass a whole number (a count)."
                )
            # Stored as Python numbers (numpy scalars too), so that they write as JSON.
            object.__setattr__(
                self, field.name, int(value) if field.type == "int" else float(value)
            )
        if not 0 < self.shrink < 1:
            raise ValueError(
                f"NewtonOptions.shrink is {self.shrink!r}; pass a factor between 0 and 1."
            )


#: The default tunables, built (and validated) once.
DEFAULT_NEWTON_OPTIONS = NewtonOptions()
