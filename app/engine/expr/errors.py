"""The one error a typed formula can raise."""

from __future__ import annotations


class FormulaError(ValueError):
    """A formula that cannot be read.  `message` says what is wrong (in plain words, with
    the column when there is one); `column` is the 1-based column of the offending
    character, or of the place where something was missing."""

    def __init__(self, message: str, column: int, too_deep: bool = False):
        super().__init__(message)
        self.message = message
        self.column = int(column)
        self.too_deep = too_deep      # over the nesting limit (a setting, not a typo)

    def __reduce__(self):
        return (type(self), (self.message, self.column, self.too_deep))
