"""Documents and signatures: the consortium agreement and the council decisions as PDF files,
attached to a project or to one of its recorded changes, and each member's signature of the
agreement, from which the project shows whether the agreement is in force."""
