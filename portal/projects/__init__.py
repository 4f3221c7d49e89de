"""Projects: the change service, each worker's journals and states, members, shares, history,
what-if and explanations. Nothing is imported here."""
