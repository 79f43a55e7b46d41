"""The look-up API as a Starlette app (served by uvicorn: `hhl serve-api`).

Every endpoint is a plain function Starlette runs in its worker threads (psycopg2 blocks), each
request ends with exactly one audit row, and every error answer is an OperationOutcome without
a stack trace (the trace goes to the server log with the request id).
"""

from __future__ import annotations

import contextlib
import logging
import secrets
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, unquote, urlencode

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from hanoi_health_lake.lookup import audit
from hanoi_health_lake.lookup.audit import AuditRecord
from hanoi_health_lake.lookup.citizen_hash import CCCD_SYSTEM, CitizenHasher, is_cccd
from hanoi_health_lake.lookup.clients import ALGORITHMS, AUDIT_SCOPE, FACILITY_SCOPE
from hanoi_health_lake.lookup.consent import ConsentError, read_qr
from hanoi_health_lake.lookup.documents import parse_time
from hanoi_health_lake.lookup.fhir_out import (
    FhirResponse,
    capability_statement,
    operation_outcome,
    searchset,
)
from hanoi_health_lake.lookup.limits import LimitsMiddleware, TokenBuckets
from hanoi_health_lake.lookup.settings import ApiSettings
from hanoi_health_lake.lookup.store import Pool, Sealer, connect, ensure_schema
from hanoi_health_lake.lookup.tokens import (
    AccessDenied,
    Grant,
    TokenRequestError,
    granted_scope,
    issue_access_token,
    read_access_token,
    verify_assertion,
)

log = logging.getLogger("hhl.lookup")
BREAK_GLASS_HEADER = "x-break-glass-reason"
TOKEN_PATH = "/auth/token"


class Refused(Exception):
    def __init__(self, status: int, detail: str, headers: dict | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.headers = headers


class LookupApi:
    def __init__(self, settings: ApiSettings) -> None:
        self.settings = settings
        self.hasher = CitizenHasher(settings.lookup_key)
        self.sealer = Sealer(self.hasher.seal_key())
        conn = connect(settings.dsn)
        try:
            ensure_schema(conn)
        finally:
            conn.close()
        self.pool = Pool(settings.dsn, settings.pool_size)

    # ---- plumbing -------------------------------------------------------------------------

    def _audit(self, record: AuditRecord) -> None:
        try:
            with self.pool.connection() as conn:
                audit.write(conn, record)
        except Exception:  # the answer still goes out; the server log says what was lost
            log.exception("audit row not written for request %s", record.request_id)

    def _record(self, request: Request, action: str) -> AuditRecord:
        return AuditRecord(
            request_id=secrets.token_hex(8),
            action=action,
            method=request.method,
            path=request.url.path,  # never the query: it may hold a CCCD
        )

    def _grant(self, request: Request, record: AuditRecord, resource_type: str) -> Grant:
        try:
            grant = read_access_token(request.headers.get("authorization"), self.settings.token_key)
        except AccessDenied as denied:
            if denied.grant:
                record.client_id = denied.grant.client_id
                record.facility_code = denied.grant.facility_code
            raise Refused(
                401, denied.detail, {"WWW-Authenticate": 'Bearer error="invalid_token"'}
            ) from denied
        record.client_id, record.facility_code = grant.client_id, grant.facility_code
        if not grant.allows(resource_type):
            raise Refused(403, f"the access token's scope does not cover {resource_type}")
        return grant

    def _reason(
        self, conn, request: Request, grant: Grant, citizen: str, record: AuditRecord
    ) -> None:
        """Consent of this citizen for the caller's facility, else a break-glass reason."""
        record.citizen_hash = citizen
        with conn.cursor() as cur:
            cur.execute(
                "SELECT consent_id FROM lookup.consents WHERE citizen_hash = %s AND "
                "facility_code = %s AND revoked_at IS NULL AND now() >= granted_at AND "
                "now() < expires_at ORDER BY expires_at DESC LIMIT 1",
                (citizen, grant.facility_code),
            )
            consent = cur.fetchone()
        if consent:
            record.reason_kind, record.reason_text = "consent", consent[0]
            return
        reason = unquote(request.headers.get(BREAK_GLASS_HEADER, "")).strip()
        if reason:
            record.reason_kind, record.reason_text, record.break_glass = "break-glass", reason, True
            return
        raise Refused(
            403,
            "no consent of this citizen for your facility: scan the citizen's VNeID QR "
            "(POST /fhir/Consent) or, in an emergency, send X-Break-Glass-Reason",
        )

    def run(self, request: Request, action: str, resource_type: str, body) -> Response:
        """Authorise, run `body(conn, grant, record)`, audit; refusals become OperationOutcomes.

        The audit row of an answered request is written in the request's own transaction: one
        commit, and no answer leaves without its row (if the row cannot be written, the
        request fails as an internal error and is audited on a fresh connection)."""
        record = self._record(request, action)
        try:
            grant = self._grant(request, record, resource_type) if resource_type else None
            with self.pool.connection() as conn:
                try:
                    response = body(conn, grant, record)
                except Refused as refused:
                    conn.rollback()
                    record.status, record.detail = refused.status, refused.detail
                    audit.write(conn, record)
                    return operation_outcome(refused.status, refused.detail, refused.headers)
                record.status = response.status_code
                audit.write(conn, record)
                return response
        except Refused as refused:  # before any database work: no token, too little scope
            record.status, record.detail = refused.status, refused.detail
            self._audit(record)
            return operation_outcome(refused.status, refused.detail, refused.headers)
        except Exception:
            log.exception("request %s failed", record.request_id)
            record.status, record.detail = 500, "internal error"
            self._audit(record)
            return operation_outcome(500, f"internal error (request {record.request_id})")

    def _base(self, request: Request) -> str:
        return str(request.base_url).rstrip("/") + "/fhir"

    def _token_url(self, request: Request) -> str:
        return self.settings.token_audience or str(request.base_url).rstrip("/") + TOKEN_PATH

    # ---- endpoints ------------------------------------------------------------------------

    def metadata(self, request: Request) -> Response:
        return self.run(
            request,
            "metadata",
            "",
            lambda conn, grant, record: FhirResponse(
                capability_statement(self._base(request), self._token_url(request))
            ),
        )

    def smart_configuration(self, request: Request) -> Response:
        return JSONResponse(
            {
                "token_endpoint": self._token_url(request),
                "grant_types_supported": ["client_credentials"],
                "token_endpoint_auth_methods_supported": ["private_key_jwt"],
                "token_endpoint_auth_signing_alg_values_supported": list(ALGORITHMS),
                "scopes_supported": [FACILITY_SCOPE, AUDIT_SCOPE],
                "capabilities": ["client-confidential-asymmetric"],
            }
        )

    def token(self, request: Request, form: dict[str, str]) -> Response:
        record = self._record(request, "token")
        try:
            with self.pool.connection() as conn:
                client = verify_assertion(
                    form,
                    self.settings.registry,
                    self._token_url(request),
                    self.settings.max_assertion_seconds,
                    lambda cid, jti, exp: self._remember_jti(conn, cid, jti, exp),
                )
                record.client_id, record.facility_code = client.client_id, client.facility_code
                scope = granted_scope(client, form.get("scope"))
        except TokenRequestError as error:
            record.status, record.detail = error.status, f"{error.error}: {error.description}"
            record.client_id = record.client_id or error.client_id
            self._audit(record)
            return JSONResponse(
                {"error": error.error, "error_description": error.description},
                status_code=error.status,
                headers={"Cache-Control": "no-store"},
            )
        body = issue_access_token(
            client, scope, self.settings.token_key, self.settings.token_seconds
        )
        record.status, record.detail = 200, body["scope"]
        self._audit(record)
        return JSONResponse(body, headers={"Cache-Control": "no-store", "Pragma": "no-cache"})

    @staticmethod
    def _remember_jti(conn, client_id: str, jti: str, exp: int) -> bool:
        with conn.cursor() as cur:
            cur.execute(
                "DELETE FROM lookup.assertion_jti WHERE expires_at < now() - interval '1 hour'"
            )
            cur.execute(
                "INSERT INTO lookup.assertion_jti (client_id, jti, expires_at) VALUES "
                "(%s, %s, to_timestamp(%s)) ON CONFLICT DO NOTHING",
                (client_id, jti, exp),
            )
            return cur.rowcount == 1

    def patient_search(self, request: Request) -> Response:
        def body(conn, grant: Grant, record: AuditRecord) -> Response:
            params = request.query_params
            unknown = sorted(set(params) - {"identifier", "_format"})
            if unknown:
                raise Refused(400, f"unsupported search parameter(s): {', '.join(unknown)}")
            system, _, value = params.get("identifier", "").rpartition("|")
            if system != CCCD_SYSTEM or not is_cccd(value):
                raise Refused(400, f"identifier must be {CCCD_SYSTEM}|<12-digit CCCD>")
            citizen = self.hasher.citizen_hash(value)
            self._reason(conn, request, grant, citizen, record)
            with conn.cursor() as cur:
                cur.execute(
                    "SELECT sealed FROM lookup.patients WHERE citizen_hash = %s", (citizen,)
                )
                found = cur.fetchone()
            patients = [self.sealer.unseal(found[0])] if found else []
            record.detail = f"{len(patients)} found"
            base = self._base(request)
            return FhirResponse(
                searchset(
                    base,
                    patients,
                    len(patients),
                    {"self": f"{base}/Patient?identifier={CCCD_SYSTEM}|…"},
                )
            )

        return self.run(request, "patient-search", "Patient", body)

    def everything(self, request: Request) -> Response:
        def body(conn, grant: Grant, record: AuditRecord) -> Response:
            patient_id = request.path_params["patient_id"]
            params = request.query_params
            unknown = sorted(set(params) - {"_since", "_count", "_offset", "_format"})
            if unknown:
                raise Refused(400, f"unsupported parameter(s): {', '.join(unknown)}")
            count, offset, since = self._paging(params)
            with conn.cursor() as cur:
                cur.execute(
                    "SELECT citizen_hash, sealed FROM lookup.patients WHERE patient_id = %s",
                    (patient_id,),
                )
                found = cur.fetchone()
            if not found:
                raise Refused(404, f"no Patient/{patient_id}")
            citizen, sealed = found
            self._reason(conn, request, grant, citizen, record)
            where = "citizen_hash = %s" + (" AND last_updated >= %s" if since else "")
            args: list = [citizen] + ([since] if since else [])
            with conn.cursor() as cur:
                # the page and the total in one statement; past the last page, a count alone
                cur.execute(
                    f"SELECT resource, count(*) OVER () FROM lookup.resources WHERE {where} "
                    "ORDER BY occurred_at DESC, resource_type, resource_id LIMIT %s OFFSET %s",
                    [*args, count, offset],
                )
                rows = cur.fetchall()
                resources = [row[0] for row in rows]
                if rows:
                    total = rows[0][1]
                else:
                    cur.execute(f"SELECT count(*) FROM lookup.resources WHERE {where}", args)
                    total = cur.fetchone()[0]
            record.detail = f"{len(resources)} of {total}"
            base = self._base(request)
            url = f"{base}/Patient/{patient_id}/$everything"
            keep = {
                k: v for k, v in (("_since", params.get("_since")), ("_count", str(count))) if v
            }
            links = {"self": f"{url}?{urlencode({**keep, '_offset': offset})}"}
            if offset + count < total:
                links["next"] = f"{url}?{urlencode({**keep, '_offset': offset + count})}"
            bundle = searchset(base, resources, total, links)
            if offset == 0:
                patient = self.sealer.unseal(sealed)
                bundle["entry"].insert(
                    0,
                    {
                        "fullUrl": f"{base}/Patient/{patient_id}",
                        "resource": patient,
                        "search": {"mode": "include"},
                    },
                )
            return FhirResponse(bundle)

        return self.run(request, "everything", "Patient", body)

    def _paging(self, params) -> tuple[int, int, datetime | None]:
        try:
            count = int(params.get("_count", self.settings.default_count))
            offset = int(params.get("_offset", 0))
        except ValueError as error:
            raise Refused(400, "_count and _offset are whole numbers") from error
        if count < 1 or offset < 0:
            raise Refused(400, "_count must be at least 1 and _offset not negative")
        since = None
        if params.get("_since"):
            since = parse_time(params["_since"])
            if since is None:
                raise Refused(400, "_since must be a FHIR instant, e.g. 2026-11-30T00:00:00+07:00")
        return min(count, self.settings.max_count), offset, since

    def consent(self, request: Request, payload) -> Response:
        def body(conn, grant: Grant, record: AuditRecord) -> Response:
            qr = payload.get("qr") if isinstance(payload, dict) else None
            if not isinstance(qr, str) or not qr:
                raise Refused(400, 'the body must be {"qr": "<the VNeID QR payload>"}')
            try:
                consent = read_qr(
                    qr, self.settings.registry, grant.facility_code, self.settings.max_consent_days
                )
            except ConsentError as error:
                raise Refused(403 if "facility" in str(error) else 400, str(error)) from error
            citizen = self.hasher.citizen_hash(consent.cccd)
            record.citizen_hash, record.reason_kind = citizen, "consent"
            now = datetime.now(UTC)
            until = now + timedelta(days=consent.days)
            consent_id = f"vneid-{consent.jti}"
            record.reason_text = consent_id
            with conn.cursor() as cur:
                cur.execute(
                    "INSERT INTO lookup.consents (consent_id, citizen_hash, facility_code, "
                    "granted_at, expires_at, source) VALUES (%s, %s, %s, %s, %s, 'vneid-qr') "
                    "ON CONFLICT (consent_id) DO NOTHING",
                    (consent_id, citizen, grant.facility_code, now, until),
                )
                if cur.rowcount == 0:
                    raise Refused(409, "this QR was used before: ask the citizen for a new one")
            resource = {
                "resourceType": "Consent",
                "id": consent_id,
                "status": "active",
                "scope": {
                    "coding": [
                        {
                            "system": "http://terminology.hl7.org/CodeSystem/consentscope",
                            "code": "patient-privacy",
                        }
                    ]
                },
                "category": [
                    {
                        "coding": [
                            {
                                "system": "http://loinc.org",
                                "code": "59284-0",
                                "display": "Patient Consent",
                            }
                        ]
                    }
                ],
                "patient": {"reference": f"Patient/{self.hasher.patient_id(consent.cccd)}"},
                "dateTime": now.isoformat(),
                "organization": [
                    {
                        "identifier": {
                            "system": "urn:vn:moh:sid:ma-cskcb",
                            "value": grant.facility_code,
                        }
                    }
                ],
                "sourceReference": {"display": "VNeID QR scanned at the facility"},
                "policyRule": {"text": "Health-book look-up by this facility"},
                "provision": {
                    "type": "permit",
                    "period": {"start": now.isoformat(), "end": until.isoformat()},
                    "action": [
                        {
                            "coding": [
                                {
                                    "system": "http://terminology.hl7.org/CodeSystem/consentaction",
                                    "code": "access",
                                }
                            ]
                        }
                    ],
                },
            }
            return FhirResponse(resource, status_code=201)

        return self.run(request, "consent", "Consent", body)

    def audit_events(self, request: Request) -> Response:
        def body(conn, grant: Grant, record: AuditRecord) -> Response:
            params = request.query_params
            unknown = sorted(
                set(params) - {"patient", "patient.identifier", "date", "_count", "_format"}
            )
            if unknown:
                raise Refused(400, f"unsupported search parameter(s): {', '.join(unknown)}")
            where, args = [], []
            if params.get("patient.identifier"):
                system, _, value = params["patient.identifier"].rpartition("|")
                if system != CCCD_SYSTEM or not is_cccd(value):
                    raise Refused(400, f"patient.identifier must be {CCCD_SYSTEM}|<CCCD>")
                where.append("a.citizen_hash = %s")
                args.append(self.hasher.citizen_hash(value))
            elif params.get("patient"):
                pid = params["patient"].removeprefix("Patient/")
                where.append("p.patient_id = %s")
                args.append(pid)
            for value in params.getlist("date"):
                prefix, day = (
                    (value[:2], value[2:])
                    if value[:2] in ("ge", "le", "gt", "lt")
                    else ("ge", value)
                )
                moment = parse_time(day)
                if moment is None:
                    raise Refused(400, "date must be [ge|le|gt|lt]<FHIR date or instant>")
                where.append(f"a.recorded_at {dict(ge='>=', le='<=', gt='>', lt='<')[prefix]} %s")
                args.append(moment)
            try:
                count = min(int(params.get("_count", 100)), self.settings.max_count)
            except ValueError as error:
                raise Refused(400, "_count is a whole number") from error
            with conn.cursor() as cur:
                cur.execute(
                    "SELECT a.*, p.patient_id FROM lookup.audit a LEFT JOIN lookup.patients p "
                    "USING (citizen_hash) "
                    + (f"WHERE {' AND '.join(where)} " if where else "")
                    + "ORDER BY a.recorded_at DESC, a.audit_id DESC LIMIT %s",
                    [*args, count],
                )
                columns = [c.name for c in cur.description]
                rows = [dict(zip(columns, row, strict=True)) for row in cur.fetchall()]
            events = [audit.audit_event(row, row.get("patient_id")) for row in rows]
            record.detail = f"{len(events)} events"
            base = self._base(request)
            return FhirResponse(searchset(base, events, None, {"self": f"{base}/AuditEvent"}))

        return self.run(request, "audit-search", "AuditEvent", body)

    # ---- errors outside the endpoints (unknown path, wrong method, limits) ------------------

    def refusal(self, request_scope, status: int, detail: str, grant) -> Response:
        record = AuditRecord(
            request_id=secrets.token_hex(8),
            action="other",
            method=request_scope.get("method", "?"),
            path=request_scope.get("path", "?"),
            status=status,
            detail=detail,
        )
        if grant is not None:
            record.client_id, record.facility_code = grant.client_id, grant.facility_code
        self._audit(record)
        headers = {"Retry-After": "1"} if status == 429 else None
        return operation_outcome(status, detail, headers)

    def caller(self, scope) -> tuple[str, Grant | None]:
        for name, value in scope.get("headers") or []:
            if name == b"authorization":
                try:
                    grant = read_access_token(value.decode("latin-1"), self.settings.token_key)
                    return f"client:{grant.client_id}", grant
                except AccessDenied:
                    break
        client = scope.get("client") or ("?", 0)
        return f"addr:{client[0]}", None


def _lifespan(api: LookupApi):
    @contextlib.asynccontextmanager
    async def lifespan(app):
        yield
        api.pool.close()

    return lifespan


def create_app(settings: ApiSettings) -> Starlette:
    api = LookupApi(settings)

    async def metadata(request: Request) -> Response:
        return await run_in_threadpool(api.metadata, request)

    async def smart(request: Request) -> Response:
        return api.smart_configuration(request)

    async def token(request: Request) -> Response:
        if (
            request.headers.get("content-type", "").split(";")[0]
            != "application/x-www-form-urlencoded"
        ):
            return await _plain_refusal(
                request, 415, "the token request is a form (application/x-www-form-urlencoded)"
            )
        # a urlencoded form, parsed here: Starlette's form parser needs python-multipart
        try:
            form = dict(parse_qsl((await request.body()).decode("utf-8"), max_num_fields=20))
        except (UnicodeDecodeError, ValueError):
            return await _plain_refusal(request, 400, "the token request form cannot be read")
        return await run_in_threadpool(api.token, request, form)

    async def patient_search(request: Request) -> Response:
        return await run_in_threadpool(api.patient_search, request)

    async def everything(request: Request) -> Response:
        return await run_in_threadpool(api.everything, request)

    async def consent(request: Request) -> Response:
        try:
            payload = await request.json()
        except ValueError:
            payload = None
        return await run_in_threadpool(api.consent, request, payload)

    async def audit_events(request: Request) -> Response:
        return await run_in_threadpool(api.audit_events, request)

    async def _plain_refusal(request: Request, status: int, detail: str) -> Response:
        _key, grant = api.caller(request.scope)
        return await run_in_threadpool(api.refusal, request.scope, status, detail, grant)

    async def http_error(request: Request, exc: HTTPException) -> Response:
        detail = {404: "no such endpoint", 405: "method not allowed here"}.get(
            exc.status_code, exc.detail
        )
        return await _plain_refusal(request, exc.status_code, detail)

    async def server_error(request: Request, exc: Exception) -> Response:
        log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
        return operation_outcome(500, "internal error")

    async def refuse(scope, status: int, detail: str, grant) -> Response:
        return await run_in_threadpool(api.refusal, scope, status, detail, grant)

    routes = [
        Route("/fhir/metadata", metadata, methods=["GET"]),
        Route("/fhir/.well-known/smart-configuration", smart, methods=["GET"]),
        Route(TOKEN_PATH, token, methods=["POST"]),
        Route("/fhir/Patient", patient_search, methods=["GET"]),
        Route("/fhir/Patient/{patient_id:str}/$everything", everything, methods=["GET"]),
        Route("/fhir/Consent", consent, methods=["POST"]),
        Route("/fhir/AuditEvent", audit_events, methods=["GET"]),
    ]
    app = Starlette(
        debug=False,
        routes=routes,
        exception_handlers={HTTPException: http_error, Exception: server_error},
        lifespan=_lifespan(api),
    )
    app.add_middleware(
        LimitsMiddleware,
        buckets=TokenBuckets(settings.rate_per_minute, settings.rate_burst),
        max_body=settings.max_body_bytes,
        caller=api.caller,
        refuse=refuse,
    )
    app.state.api = api
    return app
