"""Sign-on: the cities' OpenID providers, the code flow, the one token verifier, server-side
sessions, logout, login rate limits and the bundled development provider (``devidp``).

Nothing is imported here, so importing one module of the package never loads the others.
"""
