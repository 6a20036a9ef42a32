//! Where a request comes from: the one place the server decides a client's address, for the
//! audit log (and, once trusted proxies are configured, from `X-Forwarded-For`).

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};

/// The client's address as the server trusts it. Today the TCP peer; every caller goes through
/// here, so making it proxy-aware is a change to this function alone.
pub fn client_address(parts: &Parts) -> Option<IpAddr> {
    parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip())
}

/// Extractor for [`client_address`].
#[derive(Debug, Clone, Copy)]
pub struct ClientAddr(pub Option<IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientAddr(client_address(parts)))
    }
}
