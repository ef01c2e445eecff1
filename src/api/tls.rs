//! HTTPS for the control API: rustls (ring provider) through axum-server,
//! used when `[server] tls_cert` and `tls_key` (PEM files) are both set.
//! The files are read once at start; a bad pair stops the start with the
//! file named.

use std::path::Path;

use anyhow::Context;
use axum::Router;
use axum_server::tls_rustls::RustlsConfig;

/// Loads the certificate chain and key.
pub async fn load(cert: &Path, key: &Path) -> anyhow::Result<RustlsConfig> {
    RustlsConfig::from_pem_file(cert, key)
        .await
        .with_context(|| {
            format!(
                "loading the API's TLS certificate {} and key {}",
                cert.display(),
                key.display()
            )
        })
}

/// Serves `app` over TLS on an already bound listener.
pub async fn serve(listener: tokio::net::TcpListener, app: Router, tls: RustlsConfig) {
    let std_listener = match listener.into_std() {
        Ok(l) => l,
        Err(e) => {
            tracing::error!("control API (TLS): {e}");
            return;
        }
    };
    let server = match axum_server::from_tcp_rustls(std_listener, tls) {
        Ok(s) => s,
        Err(e) => {
            tracing::error!("control API (TLS): {e}");
            return;
        }
    };
    if let Err(e) = server.serve(app.into_make_service()).await {
        tracing::error!("control API (TLS) stopped: {e}");
    }
}
