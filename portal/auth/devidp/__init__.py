"""The bundled development OpenID provider (``server``: its state and grants; ``views``: its pages)."""
