"""The workshop dashboard (Solara): ``abm dashboard`` or ``solara run dashboard/app.py``.

See README.md, "Dashboard", and ``dashboard/app.py`` for the layout of the modules.
"""
