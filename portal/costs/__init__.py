"""Costs: budget years, rule versions, the policy, closing years, direct charges, funding, hours
and joining fees. Nothing is imported here."""
