"""Errors as JSON with a message in Chinese and English; domain errors map to HTTP codes here only."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from rexian.domain.errors import (
    ConcurrencyConflict,
    DomainError,
    Forbidden,
    IllegalTransition,
    InvalidInput,
    NotFound,
    RuleViolation,
)

STATUS_OF: dict[type[DomainError], int] = {
    IllegalTransition: 409,
    RuleViolation: 409,
    ConcurrencyConflict: 409,
    NotFound: 404,
    Forbidden: 403,
    InvalidInput: 422,
}

HTTP_MESSAGES = {
    400: ("请求格式错误", "bad request"),
    401: ("需要登录或有效的令牌", "authentication required"),
    403: ("无权访问", "forbidden"),
    404: ("未找到", "not found"),
    405: ("不支持的请求方法", "method not allowed"),
    413: ("请求内容过大", "request too large"),
    429: ("请求过于频繁，请稍后再试", "too many requests: try again later"),
}


def error_body(code: str, zh: str, en: str, **extra: object) -> dict[str, object]:
    return {"error": code, "message": zh, "message_en": en, **extra}


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def _domain(_: Request, exc: DomainError) -> JSONResponse:
        status = next((s for cls, s in STATUS_OF.items() if isinstance(exc, cls)), 400)
        return JSONResponse(error_body(exc.code, exc.message_zh, exc.message_en), status_code=status)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [{"field": ".".join(str(p) for p in e.get("loc", ())), "problem": e.get("msg", "")}
                    for e in exc.errors()]
        return JSONResponse(error_body("invalid_input", "输入有误，请检查各字段", "invalid input: check the fields",
                                       details=problems), status_code=422)

    @app.exception_handler(OverflowError)
    @app.exception_handler(DataError)
    async def _out_of_range(_: Request, exc: Exception) -> JSONResponse:
        """A number the database cannot hold (an id beyond its integer range) is bad input, not a crash."""
        return JSONResponse(error_body("invalid_input", "数值超出范围", "a number is out of range"), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        zh, en = HTTP_MESSAGES.get(exc.status_code, ("请求失败", str(exc.detail)))
        if isinstance(exc.detail, dict):
            return JSONResponse(exc.detail, status_code=exc.status_code, headers=exc.headers)
        return JSONResponse(error_body(f"http_{exc.status_code}", zh, en), status_code=exc.status_code,
                            headers=exc.headers)
