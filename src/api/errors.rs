//! Error answers of the control API and the extractors that produce them.
//!
//! Every error is a JSON body `{"error": "...", "field": "..."}` where
//! `field` (absent when no single field is at fault) names the offending
//! input as a path: `changes[2].records[0]`, `if_serial`, `type`, `body`.
//! Statuses:
//! - 401 no or unknown bearer token, 403 the token's scope does not cover
//!   the request, 429 the token's rate is exceeded (with `Retry-After`);
//! - 404 unknown zone or route, 409 a precondition (`if_serial`, a rollback
//!   target) no longer holds, 413 body over the limit, 415 wrong content
//!   type, 422 invalid input (the zone is unchanged);
//! - 500 the store failed (the change was not acknowledged).
//!
//! Request bodies and query strings go through [`Body`] and [`Params`]
//! instead of axum's `Json`/`Query`, so malformed input and unknown fields
//! come back as 422 with the field named rather than axum's plain text.

use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::de::DeserializeOwned;
use serde::Serialize;
use utoipa::ToSchema;

use crate::commit::CommitError;

/// The JSON body of every error answer.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ErrorBody {
    /// What went wrong, for a person.
    pub error: String,
    /// The input at fault, as a path (`changes[0].records[1]`), when one is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// With 409: the zone's serial now.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(format = Int64, maximum = 4294967295_u64)]
    pub serial: Option<u32>,
}

/// An error answer.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub body: ErrorBody,
    /// Seconds for `Retry-After` (429).
    pub retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(status: StatusCode, error: impl Into<String>) -> ApiError {
        ApiError {
            status,
            body: ErrorBody {
                error: error.into(),
                field: None,
                serial: None,
            },
            retry_after: None,
        }
    }

    /// 422 naming the field at fault.
    pub fn invalid(field: impl Into<String>, error: impl Into<String>) -> ApiError {
        let mut e = ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, error);
        e.body.field = Some(field.into());
        e
    }

    /// 409: the zone is no longer at the serial the request expected.
    pub fn moved_on(expected: u32, now: u32) -> ApiError {
        let mut e = ApiError::new(
            StatusCode::CONFLICT,
            format!("the zone is at serial {now}, not {expected} (if_serial)"),
        );
        e.body.field = Some("if_serial".into());
        e.body.serial = Some(now);
        e
    }

    pub fn internal(error: impl std::fmt::Display) -> ApiError {
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, error.to_string())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut r = (self.status, Json(self.body)).into_response();
        if let Some(s) = self.retry_after {
            if let Ok(v) = HeaderValue::from_str(&s.to_string()) {
                r.headers_mut().insert(header::RETRY_AFTER, v);
            }
        }
        r
    }
}

impl From<CommitError> for ApiError {
    fn from(e: CommitError) -> ApiError {
        let status = match &e {
            CommitError::UnknownZone(_) => StatusCode::NOT_FOUND,
            CommitError::OutOfReach { .. }
            | CommitError::Invalid(_)
            | CommitError::Store(crate::store::StoreError::SerialNotFound { .. }) => {
                StatusCode::CONFLICT
            }
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        };
        if status == StatusCode::INTERNAL_SERVER_ERROR {
            tracing::error!("control API: {e}");
        }
        ApiError::new(status, e.to_string())
    }
}

/// axum's deserialization messages read `<path>: <problem>` after a fixed
/// prefix; the path (or the name in "unknown field `x`" at the top level)
/// becomes `field`.
fn serde_problem(text: &str, whole: &str) -> ApiError {
    let detail = text
        .split_once("target type: ")
        .or_else(|| text.split_once("query string: "))
        .map_or(text, |(_, d)| d);
    let (path, problem) = match detail.split_once(": ") {
        Some((p, m)) if !p.contains(' ') => (p.to_string(), m.to_string()),
        _ => (".".to_string(), detail.to_string()),
    };
    let named = problem
        .split('`')
        .nth(1)
        .filter(|_| problem.starts_with("unknown field") || problem.starts_with("missing field"))
        .map(str::to_string);
    let field = match (path.as_str(), named) {
        (".", Some(n)) => n,
        (".", None) => whole.to_string(),
        // serde_path_to_error may already end the path with the name.
        (p, Some(n)) if p == n || p.ends_with(&format!(".{n}")) => p.to_string(),
        (p, Some(n)) => format!("{p}.{n}"),
        (p, None) => p.to_string(),
    };
    ApiError::invalid(field, problem)
}

/// A JSON request body; rejections become [`ApiError`]s.
pub struct Body<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Body<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(v)) => Ok(Body(v)),
            Err(rej) => Err(match &rej {
                JsonRejection::JsonDataError(_) => serde_problem(&rej.body_text(), "body"),
                JsonRejection::JsonSyntaxError(_) => {
                    ApiError::invalid("body", format!("not valid JSON: {}", rej.body_text()))
                }
                JsonRejection::MissingJsonContentType(_) => ApiError::new(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    "send the body as Content-Type: application/json",
                ),
                _ if rej.status() == StatusCode::PAYLOAD_TOO_LARGE => too_large(),
                _ => ApiError::new(rej.status(), rej.body_text()),
            }),
        }
    }
}

/// The 413 answer.
pub fn too_large() -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "the request body is larger than this endpoint accepts",
    )
}

/// A query string; rejections (unknown or malformed parameters) become 422.
pub struct Params<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for Params<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(v)) => Ok(Params(v)),
            Err(rej) => Err(match &rej {
                QueryRejection::FailedToDeserializeQueryString(_) => {
                    serde_problem(&rej.body_text(), "query")
                }
                _ => ApiError::invalid("query", rej.body_text()),
            }),
        }
    }
}

/// Answer to a route that does not exist.
pub async fn not_found() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "no such endpoint (see /api/v1/openapi.json)",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_from_serde_messages() {
        let e = serde_problem(
            "Failed to deserialize the JSON body into the target type: changes[0].type: invalid type: integer `1`, expected a string at line 1 column 30",
            "body",
        );
        assert_eq!(e.body.field.as_deref(), Some("changes[0].type"));
        let e = serde_problem(
            "Failed to deserialize the JSON body into the target type: unknown field `foo`, expected `changes` or `if_serial` at line 1 column 6",
            "body",
        );
        assert_eq!(e.body.field.as_deref(), Some("foo"));
        let e = serde_problem(
            "Failed to deserialize the JSON body into the target type: changes[1]: missing field `name` at line 1 column 9",
            "body",
        );
        assert_eq!(e.body.field.as_deref(), Some("changes[1].name"));
        assert_eq!(e.status, StatusCode::UNPROCESSABLE_ENTITY);
    }
}
