"""Request body parsers for the API."""

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser


class BoundedJSONParser(JSONParser):
    """DRF's JSON parser, answering a body nested too deeply for Python's parser (a few
    thousand brackets) with a 400 like any other malformed JSON, instead of a 500."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError as too_deep:
            raise ParseError("JSON parse error - the body is nested too deeply.") from too_deep
