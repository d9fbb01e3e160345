"""The API's JSON parser: Python's, plus a refusal of text no database can store (a lone UTF-16 surrogate such as
"\\ud800" is valid JSON but not UTF-8). Anything it refuses is a 400 "not valid JSON", never a 500 at the INSERT."""

import json

from ninja.parser import Parser


def _check(value):
    if isinstance(value, str):
        value.encode("utf-8")  # UnicodeEncodeError (a ValueError) for a lone surrogate
    elif isinstance(value, dict):
        for key, item in value.items():
            _check(key)
            _check(item)
    elif isinstance(value, list):
        for item in value:
            _check(item)


class StrictJSONParser(Parser):
    def parse_body(self, request):
        data = json.loads(request.body)
        _check(data)
        return data
