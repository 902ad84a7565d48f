"""The Spryker-compatible REST layer at ``/dynamic-entity``: a thin adapter that reads the HTTP
request into the request IR, calls one operation and shapes its result."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from app.errors import error_response, rest_errors
from app.gateway import Gateway
from app.json_input import loads
from app.responses import JSONResponse, json_text_response
from app.rest.aggregate_query import aggregate_plan, is_aggregate, rest_objects
from app.rest.query import parse_conditions, parse_flag, parse_include, parse_page, parse_sort
from app.security import permissions_of
from schema_builder.errors import (
    InvalidDataFormatError,
    RouteMethodNotAllowedError,
    TooManyItemsError,
    UnsupportedMediaTypeError,
)
from schema_builder.operations import delete as delete_op
from schema_builder.operations import write
from schema_builder.operations.access import WRITE_OPERATIONS, require
from schema_builder.operations.ir import (
    MAX_RESPONSE_ROWS,
    DeleteRequest,
    WriteMode,
    WriteRequest,
)
from schema_builder.operations.reads.plan import GetPlan, ListPlan, rest_shape_of

_MODES: dict[str, WriteMode] = {"POST": "create", "PATCH": "update", "PUT": "upsert"}
_SUCCESS = {"POST": 201, "PATCH": 200, "PUT": 200}
TRANSACTIONAL_HEADER = "x-is-transactional"


def _gateway(request: Request) -> Gateway:
    gateway: Gateway = request.app.state.gateway
    return gateway


async def collection(request: Request) -> Response:
    method = request.method
    alias = request.path_params["alias"]
    if method in ("GET", "HEAD"):
        return await _list(request, alias)
    if method in _MODES:
        return await _write(request, alias, None)
    if method == "DELETE":
        return await _delete(request, alias, None)
    if method == "OPTIONS":
        return Response(status_code=204, headers={"Allow": "GET, POST, PATCH, PUT, DELETE"})
    raise RouteMethodNotAllowedError(method, ("GET", "POST", "PATCH", "PUT", "DELETE"))


async def entity(request: Request) -> Response:
    method = request.method
    alias = request.path_params["alias"]
    identifier = request.path_params["id"]
    if method in ("GET", "HEAD"):
        gateway = _gateway(request)
        catalog = await gateway.registry.current()
        plan = GetPlan(
            alias,
            rest_shape_of(catalog, alias, parse_include(request.query_params.get("include"))),
            max_rows=MAX_RESPONSE_ROWS,
        )
        text = await gateway.reads.get(catalog, plan, identifier, permissions_of(request))
        return json_text_response(b'{"data":' + text.encode() + b"}")
    if method in ("PATCH", "PUT"):
        return await _write(request, alias, identifier)
    if method == "DELETE":
        return await _delete(request, alias, identifier)
    if method == "OPTIONS":
        return Response(status_code=204, headers={"Allow": "GET, PATCH, PUT, DELETE"})
    raise RouteMethodNotAllowedError(method, ("GET", "PATCH", "PUT", "DELETE"))


async def _list(request: Request, alias: str) -> Response:
    gateway = _gateway(request)
    params = request.query_params
    settings = gateway.settings
    if is_aggregate(params.multi_items()):
        return await _aggregate(request, alias)
    offset, limit = parse_page(
        params.get("page[offset]"),
        params.get("page[limit]"),
        settings.default_page_size,
        settings.max_page_size,
    )
    want_count = parse_flag("count", params.get("count"))
    conditions = parse_conditions(params.multi_items())
    sort = parse_sort(params.get("sort"))
    includes = parse_include(params.get("include"))
    catalog = await gateway.registry.current()
    plan = ListPlan(
        alias,
        (rest_shape_of(catalog, alias, includes),),
        conditions=conditions,
        sort=sort,
        offset=offset,
        limit=limit,
        count=want_count,
        max_rows=MAX_RESPONSE_ROWS,
    )
    page = await gateway.reads.list(catalog, plan, permissions_of(request))
    body = b'{"data":' + page.arrays[0].encode()
    if page.total is None:
        return json_text_response(body + b"}")
    return json_text_response(
        body + b',"meta":{"totalCount":%d}}' % page.total,
        headers={"X-Total-Count": str(page.total)},
    )


async def _aggregate(request: Request, alias: str) -> Response:
    gateway = _gateway(request)
    plan = aggregate_plan(alias, request.query_params, gateway.settings.max_page_size)
    catalog = await gateway.registry.current()
    answer = await gateway.aggregates.aggregate(catalog, plan, permissions_of(request))
    return JSONResponse({"data": rest_objects(plan, answer)})


def _reject_constant(name: str) -> Any:
    raise ValueError(name)


async def _body_items(request: Request, identifier: str | None) -> list[Any]:
    content_type = request.headers.get("content-type", "")
    media = content_type.split(";", 1)[0].strip().lower()
    if media and media != "application/json" and not media.endswith("+json"):
        raise UnsupportedMediaTypeError(media)
    raw = await request.body()
    try:
        body = loads(raw, parse_float=Decimal, parse_constant=_reject_constant)
    except (ValueError, RecursionError):
        raise InvalidDataFormatError() from None
    data = body.get("data") if isinstance(body, dict) else None
    if identifier is None:
        if not isinstance(data, list) or not data:
            raise InvalidDataFormatError()
        return data
    if not isinstance(data, dict) or not data:
        raise InvalidDataFormatError()
    return [data]


def _transactional(request: Request) -> bool:
    value = request.headers.get(TRANSACTIONAL_HEADER)
    return value is None or value.strip().lower() not in ("false", "0")


async def _write(request: Request, alias: str, identifier: str | None) -> Response:
    gateway = _gateway(request)
    catalog = await gateway.registry.current()
    method = request.method
    # Refuse before reading the body: a caller without the grant learns nothing from it.
    require(permissions_of(request), catalog.entity(alias).alias, WRITE_OPERATIONS[_MODES[method]])
    items = await _body_items(request, identifier)
    if len(items) > gateway.settings.max_write_items:
        raise TooManyItemsError(len(items), gateway.settings.max_write_items)
    transactional = _transactional(request)
    result = await write.write(
        gateway.engine,
        catalog,
        WriteRequest(alias, _MODES[method], items, transactional, identifier),
        permissions_of(request),
    )
    if transactional:
        if result.errors:
            return error_response(result.errors)
        data: Any = result.data[0] if identifier is not None else result.data
        return JSONResponse({"data": data}, status_code=_SUCCESS[method])
    status = _SUCCESS[method]
    if result.errors and not result.data:
        status = result.errors[0].status
    return JSONResponse(
        {"data": result.data, "errors": rest_errors(result.errors)},
        status_code=status,
    )


async def _delete(request: Request, alias: str, identifier: str | None) -> Response:
    gateway = _gateway(request)
    catalog = await gateway.registry.current()
    conditions = (
        () if identifier is not None else parse_conditions(request.query_params.multi_items())
    )
    _deleted, errors = await delete_op.delete(
        gateway.engine,
        catalog,
        DeleteRequest(alias, conditions, identifier),
        permissions_of(request),
    )
    if errors:
        return error_response(errors)
    return Response(status_code=204)


ALL_METHODS = ["GET", "HEAD", "POST", "PATCH", "PUT", "DELETE", "OPTIONS"]

routes = [
    Route("/dynamic-entity/{alias:str}", collection, methods=ALL_METHODS),
    Route("/dynamic-entity/{alias:str}/{id:str}", entity, methods=ALL_METHODS),
]
