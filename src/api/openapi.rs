//! The OpenAPI 3.1 document of the control API, generated from the
//! handlers' `#[utoipa::path]` annotations and the request and response
//! types, served at `/api/v1/openapi.json` without a token (it holds no
//! secrets and clients need it to find their way).

use axum::Json;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::{history, keys, rrsets, secondaries, sync, zonefile, zones};

/// The document. New endpoints are listed in `paths(...)`.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "polyzone control API",
        description = "Zones, RRsets, history and metrics of a polyzone server. Every error answer is `ErrorBody`.",
    ),
    paths(
        history::health,
        history::reload,
        zones::list,
        zones::status,
        rrsets::read,
        rrsets::patch,
        zonefile::export,
        zonefile::import,
        history::history,
        history::diff,
        history::rollback,
        secondaries::secondaries,
        sync::plan,
        sync::apply,
        sync::verify,
        sync::status,
        keys::list,
        keys::rollover,
        keys::ds_seen,
        keys::resign,
        keys::unsign,
        super::metrics,
    ),
    modifiers(&BearerAuth),
    tags(
        (name = "server", description = "Health and reload"),
        (name = "zones", description = "The zones served"),
        (name = "rrsets", description = "Read and change RRsets"),
        (name = "zonefile", description = "Zones as BIND text"),
        (name = "history", description = "Journal, diffs and rollback"),
        (name = "metrics", description = "Prometheus metrics"),
        (name = "dnssec", description = "DNSSEC keys, rollovers and signing"),
        (name = "sync", description = "Provider sync: plans, apply, status, verify"),
    )
)]
pub struct ApiDoc;

/// Declares the bearer token scheme the operations refer to.
struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
    }
}

/// The whole document (other modules' documents are merged in here).
pub fn document() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

/// `GET /api/v1/openapi.json`.
pub async fn serve_document() -> Json<utoipa::openapi::OpenApi> {
    Json(document())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_operation_documents_its_errors() {
        let doc = serde_json::to_value(document()).unwrap();
        assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
        let paths = doc["paths"].as_object().unwrap();
        assert!(paths.contains_key("/api/v1/zones/{zone}/rrsets"));
        for (path, ops) in paths {
            for (method, op) in ops.as_object().unwrap() {
                let responses = op["responses"].as_object().unwrap();
                if path != "/api/v1/health" {
                    assert!(responses.contains_key("401"), "{method} {path} lacks 401");
                }
                if op.get("requestBody").is_some() {
                    assert!(responses.contains_key("413"), "{method} {path} lacks 413");
                    assert!(responses.contains_key("422"), "{method} {path} lacks 422");
                }
            }
        }
    }

    /// The zone status documents each target's sync state and the
    /// secondaries' NOTIFY and transfer serials.
    #[test]
    fn zone_status_documents_targets_and_secondaries() {
        let doc = serde_json::to_value(document()).unwrap();
        let schemas = &doc["components"]["schemas"];
        let status = &schemas["ZoneStatus"]["properties"];
        assert!(status["targets"].is_object(), "{status}");
        assert!(status["secondaries"].is_object(), "{status}");
        let target = &schemas["TargetStatus"]["properties"];
        for f in [
            "name",
            "kind",
            "state",
            "serial",
            "lag_serials",
            "lag_seconds",
            "last_push",
            "last_error",
            "drift_found",
        ] {
            assert!(target[f].is_object(), "TargetStatus.{f}: {target}");
        }
        assert!(schemas["NotifyState"]["properties"]["acked_serial"].is_object());
        assert!(schemas["TransferState"]["properties"]["serial"].is_object());
    }
}
