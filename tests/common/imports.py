"""A file that breaks every rule of an import, one rule a line, and what the refusal says of each line."""

from __future__ import annotations

# A file with one problem on each line named below; the line numbers are what the refusal must say.
BAD = """\
2025-01-01 open Assets:Bank EUR
2025-01-01 open Expenses:Bank EUR
2025-01-01 open Income:Interest EUR
2025-01-01 open Assets:Receivable:Members:Espoo-049 EUR
2025-01-01 open Assets:Cash USD

2025-02-01 * "charge"  #charge
  Assets:Bank        10.00 EUR
  Expenses:Bank     -10.00 EUR

pushtag #assessment
2025-02-02 * "pushed"
  Assets:Bank        10.00 EUR
  Expenses:Bank     -10.00 EUR
poptag #assessment

2025-02-03 * "contributions"
  Assets:Bank              10.00 EUR
  Income:Contributions    -10.00 EUR

2025-02-04 * "cost"
  Expenses:Bank      10 HOURS {45.00 EUR}
  Assets:Bank      -450.00 EUR

2025-02-05 * "price"
  Assets:Bank        10.00 EUR @ 1.10 USD
  Expenses:Bank     -11.00 USD

2025-02-06 * "half a cent"
  Assets:Bank         0.005 EUR
  Expenses:Bank      -0.005 EUR

2025-02-07 ! "pending"
  Assets:Bank        10.00 EUR
  Expenses:Bank     -10.00 EUR

2030-01-05 * "after the term"
  Assets:Bank        10.00 EUR
  Expenses:Bank     -10.00 EUR

2025-02-08 * "hidden"
  lineno: 1
  Assets:Bank        10.00 EUR
  Expenses:Bank     -10.00 EUR

2025-02-09 * "forged provenance"
  change: "members-added"
  Assets:Bank        10.00 EUR
  Expenses:Bank     -10.00 EUR

2025-02-10 * "a receivable the ledger lacks"
  Assets:Bank                               10.00 EUR
  Assets:Receivable:Members:Vantaa-092     -10.00 EUR
"""
EXPECTED = {
    3: "an import cannot open Income:Interest",
    4: "an import cannot open Assets:Receivable:Members:Espoo-049",
    5: "Assets:Cash may hold EUR only, not USD",
    7: "#charge entries are made by the portal",
    12: "#assessment entries are made by the portal",
    19: "Income:Contributions is kept by the portal itself",
    22: "cost annotations ({…}) cannot be imported",
    26: "price annotations (@, @@) cannot be imported",
    27: "only EUR can be imported, not USD",
    30: "0.005 EUR is not a whole number of cents",
    33: "only cleared (*) transactions can be imported, not '!'",
    37: "dated 2030-01-05, outside the project's term (2025-01-01 – 2029-12-31)",
    42: "the metadata key 'lineno' is the portal's own",
    47: "the metadata key 'change' is the portal's own",
    53: "Assets:Receivable:Members:Vantaa-092 is not an account of this ledger",
}
