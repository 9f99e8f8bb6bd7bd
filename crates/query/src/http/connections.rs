//! The accept loop: HTTP/1.1 connections with a bound on how many are open at once and a
//! deadline for request headers.
//!
//! `axum::serve` has neither, so a flood of connections or a client that sends its headers
//! one byte a minute (slowloris) could hold the server's sockets and memory. Here every
//! connection takes a permit; over [`Limits::max_connections`](super::Limits) the
//! connection is answered `503` at once and closed. Hyper closes a connection whose
//! request headers do not arrive within [`Limits::header_timeout`](super::Limits), and the
//! same deadline bounds how long a kept-alive connection may sit idle between requests.
//! Too many headers (over hyper's 100) or a head over 64 KiB get `431` from hyper.
//! A client that stops reading its response (a full socket buffer that does not drain
//! for [`Limits::send_timeout`](super::Limits)) has its connection closed, so it cannot
//! hold a permit and a half-written response for ever.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio_io_timeout::TimeoutStream;

use super::Limits;

/// Largest request head (request line and headers) read before answering 431.
const MAX_HEAD_BYTES: usize = 64 << 10;
/// How long a refused connection gets to take its 503.
const REFUSAL_WRITE_TIMEOUT: Duration = Duration::from_secs(1);

/// The body of the 503 sent to a connection over the limit.
const REFUSAL_BODY: &str = r#"{"error":{"code":"too_many_connections","message":"too many open connections; retry in a moment"}}"#;

fn refusal() -> String {
    format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\nretry-after: 1\r\nconnection: close\r\ncontent-length: {}\r\n\r\n{REFUSAL_BODY}",
        REFUSAL_BODY.len()
    )
}

/// Serves `app` on `listener` until `shutdown` resolves, then stops accepting and waits
/// for open connections to finish their requests (the caller bounds the wait).
pub(super) async fn serve(
    listener: TcpListener,
    app: Router,
    limits: &Limits,
    shutdown: impl Future<Output = ()>,
) {
    let max_connections = limits.max_connections;
    let permits = Arc::new(Semaphore::new(max_connections));
    let graceful = GracefulShutdown::new();
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .max_header_size(MAX_HEAD_BYTES)
        .keep_alive(true);
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    accept_error(error).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let Ok(permit) = permits.clone().try_acquire_owned() else {
            tracing::warn!(%peer, max_connections, "connection refused: too many open connections");
            tokio::spawn(refuse(stream));
            continue;
        };
        if let Err(error) = stream.set_nodelay(true) {
            tracing::debug!(%peer, %error, "could not set TCP_NODELAY");
        }
        let mut stream = TimeoutStream::new(stream);
        stream.set_write_timeout(Some(limits.send_timeout));
        let service = TowerToHyperService::new(app.clone());
        let connection = builder.serve_connection(TokioIo::new(Box::pin(stream)), service);
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                // Timeouts, resets and malformed requests end here; hyper has answered
                // what could be answered (400, 408-like close, 414, 431).
                tracing::debug!(%peer, %error, "connection ended with an error");
            }
            drop(permit);
        });
    }
    drop(listener);
    graceful.shutdown().await;
}

/// Answers a connection over the limit and closes it, without reading its request.
async fn refuse(mut stream: TcpStream) {
    let _ = tokio::time::timeout(REFUSAL_WRITE_TIMEOUT, async {
        stream.write_all(refusal().as_bytes()).await?;
        stream.shutdown().await
    })
    .await;
}

/// Errors of `accept`: a connection that died in the backlog is skipped; running out of
/// file descriptors (or memory) is logged and retried after a pause instead of spinning.
async fn accept_error(error: std::io::Error) {
    use std::io::ErrorKind::*;
    if matches!(
        error.kind(),
        ConnectionAborted | ConnectionReset | ConnectionRefused | Interrupted
    ) {
        return;
    }
    tracing::error!(%error, "accepting a connection failed; retrying in 100 ms");
    tokio::time::sleep(Duration::from_millis(100)).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_refusal_is_a_complete_response() {
        let text = refusal();
        let (head, body) = text.split_once("\r\n\r\n").unwrap();
        let length: usize = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length: "))
            .unwrap()
            .parse()
            .unwrap();
        assert_eq!(body.len(), length);
        serde_json::from_str::<serde_json::Value>(body).unwrap();
    }
}
