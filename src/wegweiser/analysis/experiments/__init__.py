"""Experiments and incrementality: A/B tests and holdouts read out safely under peeking.

The pipeline, each step a small module:

1. :mod:`.assignments` -- who saw which variant, first exposure per person, conflicts
   (events ``experiment_viewed`` / ``Experiment Viewed``, or a CSV file);
2. :mod:`.metrics` -- per-person metrics after exposure and pre-exposure covariates, summed
   per variant on the engine (Ibis: DuckDB or Spark);
3. :mod:`.stats`, :mod:`.sequential`, :mod:`.planning`, :mod:`.srm` -- pure statistics over
   those sums: Welch / z-tests, CUPED, delta-method ratios, Bayesian readout, always-valid
   confidence sequences, multiple-testing correction, power and MDE, sample-ratio mismatch;
4. :mod:`.readout` -- the metric table of one experiment; :mod:`.analysis` and
   :mod:`.plan` register the faces (``experiments``, ``experiment``, ``experiment_plan``).
"""

from __future__ import annotations
