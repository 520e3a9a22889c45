"""Predictions per person: who will convert or churn, what to offer next (and CLV).

``propensity`` and ``churn`` (:mod:`.propensity`, :mod:`.churn`, fitted by :mod:`._model`
on the features of :mod:`._features`) and ``recommend`` (:mod:`.recommend`) are registry
analyses; their scores are kept per person by ``wegweiser scores refit``.
"""
