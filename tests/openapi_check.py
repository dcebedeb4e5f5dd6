"""Every answer of the API held to /api/openapi.json (openapi-core), as the tests get it."""
from __future__ import annotations

import functools

from openapi_core import OpenAPI
from openapi_core.contrib.werkzeug import WerkzeugOpenAPIRequest, WerkzeugOpenAPIResponse

from web.openapi import DOCUMENT


@functools.cache
def _openapi() -> OpenAPI:
    return OpenAPI.from_dict(DOCUMENT)


def checked(response):
    """The Flask test response, after checking it against the document (raises if it does not fit)."""
    _openapi().validate_response(WerkzeugOpenAPIRequest(response.request), WerkzeugOpenAPIResponse(response))
    return response


def get(client, url: str, **kwargs):
    return checked(client.get(url, **kwargs))
