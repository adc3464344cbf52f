"""The built-in Vidu simulator: the official dialect, pointed at /simulator/.

It signs callbacks like Vidu does, with the key that created the task, so callbacks
from it are verified exactly as real ones are.
"""

from __future__ import annotations

from providers.dialects.official import ViduDialect


class SimulatorDialect(ViduDialect):
    kind = "simulator"
    label = "Vidu simulator"
    # The registry passes settings.SIMULATOR_URL; this is only the embedded default.
    default_base_url = "http://127.0.0.1:8000/simulator"
    alternative_base_urls = ()
