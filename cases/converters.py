"""The `<case:number>` path converter, registered in `CasesConfig.ready` before any URLconf is read."""

from .services.numbering import NUMBER_PATTERN


class CaseNumberConverter:
    regex = NUMBER_PATTERN

    def to_python(self, value):
        return value

    def to_url(self, value):
        return value
