"""gunicorn's settings for the portal, chosen rather than left at gunicorn's defaults.

``portal run`` serves with these (``portal.config.gunicorn_settings``); so does
``gunicorn -c python:portal.gunicorn_conf 'portal.wsgi:app'``, which reads this module.

- ``worker_class = "gthread"``, ``threads`` (``PORTAL_THREADS``, 4) in each of ``workers``
  (``PORTAL_WORKERS``, 2) processes: a request that waits (for a change's lock, at most
  ``PORTAL_LOCK_SECONDS``; for a query, which runs in a child process for at most
  ``PORTAL_QUERY_SECONDS``) holds one thread, not the whole worker.
- ``timeout`` (``PORTAL_WORKER_TIMEOUT``, 60 s): with threads this no longer bounds a request (the
  worker's main loop keeps beating while its threads work); it restarts a worker whose process is
  stuck altogether. No request is left to it: a change that cannot have its lock in time is
  refused as busy (503, ``Retry-After``), a query that overruns is ended, and imports run in the
  job queue, so no worker is killed in the middle of a request.
- ``graceful_timeout`` (``PORTAL_GRACEFUL_TIMEOUT``, 30 s): on a restart each worker finishes the
  requests it has, each bounded as above, before it is stopped.
- ``keepalive`` 5 s: behind a reverse proxy that keeps connections open.
"""

from __future__ import annotations

from portal.config import gunicorn_settings, server_settings

_chosen = gunicorn_settings(server_settings())
# The names gunicorn reads from a configuration module.
worker_class = _chosen["worker_class"]
workers = _chosen["workers"]
threads = _chosen["threads"]
timeout = _chosen["timeout"]
graceful_timeout = _chosen["graceful_timeout"]
keepalive = _chosen["keepalive"]
