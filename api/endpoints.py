"""The API's operations (django-ninja), mounted at /api/v1/ by jiaxiang/urls.py. Thin: authenticate the token
(api.auth), call a selector or a service, answer with JSON. Every answer — success or refusal — leaves one audit
row (api.services.log_call), written here or in the error handlers."""

from django.http import Http404
from ninja import NinjaAPI, Status
from ninja.errors import AuthenticationError, HttpError, ValidationError

from . import selectors, services
from .auth import Refusal, TokenAuth
from .parser import StrictJSONParser
from .schemas import CaseOut, ErrorOut, WorkOrderIn

api = NinjaAPI(
    title="平安周例会 · 外部系统接口", version="1", urls_namespace="api", docs_url=None, openapi_url="/openapi.json",
    parser=StrictJSONParser(),
    description="县12345热线、网格事项流转平台等外部系统登记、查询矛盾纠纷案件。认证：`Authorization: Bearer <令牌>`。"
                "说明见 docs/api.md。",
)

ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut, 429: ErrorOut}


def _answer(request, status: int, detail: str, errors=(), *, number: str = "", headers=None):
    services.log_call(request, token=getattr(request, "api_token", None),
                      operation=getattr(request, "api_operation", ""), status=status, result=detail, number=number,
                      presented=getattr(request, "api_presented", ""))
    response = api.create_response(request, {"detail": detail, "errors": list(errors)}, status=status)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


@api.exception_handler(Refusal)
def _refusal(request, exc: Refusal):
    return _answer(request, exc.status, exc.message, headers=exc.headers)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request, exc):
    return _answer(request, 401, "未提供有效的接口令牌（Authorization: Bearer <令牌>），或令牌已吊销。",
                   headers={"WWW-Authenticate": 'Bearer realm="api"'})


@api.exception_handler(Http404)
def _not_found(request, exc):
    return _answer(request, 404, "未找到该案件，或该案件不在本系统辖区内。",
                   number=getattr(request, "api_number", ""))


@api.exception_handler(HttpError)
def _http_error(request, exc: HttpError):
    detail = "请求体不是有效的JSON。" if exc.status_code == 400 else str(exc)
    return _answer(request, exc.status_code, detail)


@api.exception_handler(ValidationError)
def _invalid(request, exc: ValidationError):
    errors = [shape_error(e) for e in exc.errors]
    return _answer(request, 422, "工单内容有误，请按 errors 逐项修改。", errors)


@api.exception_handler(services.Invalid)
def _invalid_content(request, exc: services.Invalid):
    return _answer(request, 422, "工单内容有误，请按 errors 逐项修改。", exc.errors)


SHAPE_MESSAGES = {
    "missing": "此字段为必填项。",
    "string_type": "应为文本。",
    "int_type": "应为整数。", "int_parsing": "应为整数。", "int_from_float": "应为整数。",
    "date_type": "应为日期（YYYY-MM-DD）。", "date_parsing": "应为日期（YYYY-MM-DD）。",
    "date_from_datetime_parsing": "应为日期（YYYY-MM-DD）。", "date_from_datetime_inexact": "应为日期（YYYY-MM-DD）。",
    "list_type": "应为数组。", "model_type": "应为对象。", "model_attributes_type": "应为对象。",
    "dict_type": "应为对象。", "string_too_short": "不能为空。", "string_too_long": "长度超出限制。",
    "string_pattern_mismatch": "只能包含英文字母、数字和 . _ : / -，且以字母或数字开头。",
}


def shape_error(error: dict) -> dict:
    """A ninja/pydantic error as {"field": "parties[0].name", "message": Chinese}: the location without its
    leading "body" and parameter name, list indexes in brackets."""
    loc = list(error.get("loc") or [])
    if loc[:1] == ["body"]:
        loc = loc[2:] if len(loc) > 1 and loc[1] == "payload" else loc[1:]
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    message = SHAPE_MESSAGES.get(error.get("type"), "格式不正确。")
    if error.get("type") in ("int_parsing", "int_type") and "too large" in str(error.get("msg", "")):
        message = "数值超出范围。"
    return {"field": path or "body", "message": message}


@api.post("/cases", auth=TokenAuth("create"), response={200: CaseOut, 201: CaseOut, **ERRORS},
          summary="由工单登记案件", operation_id="create_case")
def create_case(request, payload: WorkOrderIn):
    """登记一件矛盾纠纷。按工单编号幂等：新登记返回 201，同一编号再次提交返回 200 和已登记的案件。内容校验与登记页面
    完全相同，错误以 422 返回，`errors` 中每项给出字段路径（如 `parties[0].id_number`）和中文说明。"""
    system = request.auth.system
    dispute, created = services.intake_work_order(system=system, work_order_id=payload.work_order_id,
                                                  payload=payload.dict())
    dispute = selectors.get_case_for_system(system, dispute.number)
    status = 201 if created else 200
    services.log_call(request, token=request.auth, operation="create", status=status, number=dispute.number,
                      result=f"工单 {payload.work_order_id} " + ("已登记" if created else "此前已登记，返回原案件"))
    return Status(status, selectors.case_state(dispute))


@api.get("/cases/{number}", auth=TokenAuth("read"), response={200: CaseOut, **ERRORS}, summary="查询案件办理情况",
         operation_id="get_case")
def get_case(request, number: str):
    """返回案件的状态、层级、承办方、办结时限和化解结果（不含任何当事人信息）。不在本系统辖区内的案件返回 404。"""
    request.api_number = number[:20]
    dispute = selectors.get_case_for_system(request.auth.system, number)
    services.log_call(request, token=request.auth, operation="read", status=200, number=dispute.number,
                      result="已返回办理情况")
    return Status(200, selectors.case_state(dispute))
