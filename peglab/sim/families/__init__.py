"""Built-in protocol families of the lab, one package per family (``sim.family`` for the adapter).

``ai_dollar``: Maitrix-style AI dollars (docs/cdp-spec.md).
"""
