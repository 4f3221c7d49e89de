"""Billing formats: pure functions over plain data, for the invoicing feature.

The lead city invoices the member cities for their shares of shared ICT.  These
modules know the Finnish and ISO formats an invoice and its payment travel in,
and nothing about Flask, the database or the ledger's storage:

- ``references``: the national invoice reference (viitenumero) and the RF
  creditor reference (ISO 11649);
- ``parties``: business IDs (Y-tunnus), VAT numbers, IBAN and BIC, e-invoice
  addresses and operator IDs;
- ``barcode``: the Finnish virtual bank barcode (pankkiviivakoodi) and its
  Code 128 SVG;
- ``invoice``: the invoice as plain data, with its totals and VAT breakdown;
- ``finvoice``: the Finvoice 3.0 XML message built from an invoice;
- ``camt``: incoming payments read from ISO 20022 camt.053 and camt.054 files.

Every refusal is a ``ledger.errors.InvalidInput`` whose message is one sentence
a municipal official can act on.  Money is integer cents throughout.

Invoicing builds on those formats and on ``portal.projects`` (what each invoice
is, in cents, is the core's: ``ledger.invoicing``):

- ``models``: the seller and its settings, members' billing details, the number
  series, the issued invoices and their lines (never changed);
- ``services``: setting the parties and the settings, each identifier checked;
- ``issuing``: a year's invoices, previewed, then issued through
  ``portal.projects.services.post_entries``;
- ``documents``: the invoice model of a stored invoice, its Finvoice, the list;
  ``pdf`` and ``texts``: the printed invoice in the member's language;
- ``views``, ``forms``, ``cli``: the pages, the API and the ``portal billing`` and
  ``portal invoice`` commands; ``fava``: Fava behind the portal's sign-on.
"""
