"""For teaching: what a course page or a notebook needs beyond the live playground.

One module per feature, each importable without the web app:

- `pytorch_code`: a scene as a runnable PyTorch script ("Copy as PyTorch")
- `data_export`: a scene's paths as CSV or JSON
- `static_export`: a scene as one self-contained HTML file (no server, no network)
- `share_url`: the page's share-URL query string -> a run request (static/js/state.js)
- `divergence`: why a run diverged, in English and Chinese
- `formula_code`: a parsed formula as Python source (torch on tensors, math on numbers)
- `labels`, `look`: run labels and the page's plot style, shared by the exports
"""
