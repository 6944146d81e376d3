"""API: the caller's account and API tokens."""

from datetime import datetime

from django.http import HttpRequest
from ninja import Router, Schema
from ninja.pagination import PageNumberPagination, paginate

from golive.accounts.selectors import token_list
from golive.accounts.services import token_create, token_revoke

router = Router(tags=["account"])


class MeOut(Schema):
    username: str
    full_name: str
    email: str
    is_site_admin: bool


class TokenCreateIn(Schema):
    name: str
    days: int = 90


class TokenOut(Schema):
    id: int
    name: str
    prefix: str
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None


class TokenCreatedOut(TokenOut):
    token: str


@router.get("/me", response=MeOut, summary="Who am I")
def me(request: HttpRequest):
    user = request.user
    return MeOut(
        username=user.username,
        full_name=user.get_full_name(),
        email=user.email,
        is_site_admin=user.is_superuser,
    )


@router.get("/tokens", response=list[TokenOut], summary="List my API tokens")
@paginate(PageNumberPagination)
def tokens_list(request: HttpRequest):
    return token_list(user=request.user)


@router.post(
    "/tokens",
    response={201: TokenCreatedOut},
    summary="Create an API token",
    description="The token is returned once, in `token`; only its digest is stored.",
)
def tokens_create(request: HttpRequest, payload: TokenCreateIn):
    issued = token_create(user=request.user, name=payload.name, days=payload.days)
    out = TokenOut.from_orm(issued.token).dict()
    return 201, TokenCreatedOut(**out, token=issued.raw)


@router.delete("/tokens/{token_id}", response={204: None}, summary="Revoke an API token")
def tokens_revoke(request: HttpRequest, token_id: int):
    token_revoke(user=request.user, token_id=token_id)
    return 204, None
