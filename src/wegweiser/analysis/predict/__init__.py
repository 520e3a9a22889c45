"""Predictions per person: what each customer is worth, who converts or churns, what to offer."""
