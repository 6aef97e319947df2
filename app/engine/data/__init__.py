"""Surfaces from data: the loss of y = f(w x + b) over a data set, as a surface over
(w, b), with PyTorch's losses and mini-batch order (api-v1.md, "Surfaces from data").

    sets.py       built-in data sets (app/data/datasets*.json), checks of inline data
    objective.py  DataObjective: loss and gradient as torch computes them, full data
                  or a batch, one point or many; losses along a whole path at once
    fit.py        the full-data minimum (least squares, Newton), the default view
    order.py      BatchOrder: which points each step's batch holds
    surface.py    DataSurface: what the rest of the engine uses like a Surface
"""

from .objective import DataObjective
from .order import BatchOrder
from .sets import DATASETS, MODELS, DataError, DataSet, check_labels, check_pairs, inline
from .surface import DataSurface, builtin_surface, data_surface

__all__ = ["DATASETS", "MODELS", "BatchOrder", "DataError", "DataObjective", "DataSet",
           "DataSurface", "builtin_surface", "check_labels", "check_pairs",
           "data_surface", "inline"]
