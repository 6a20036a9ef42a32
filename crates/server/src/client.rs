//! Who is on the other end: [`client_addr`], the one place that decides a request's client
//! address for rate limits and logs. Proxy headers are believed only from configured proxies.
//!
//! Behind a reverse proxy every request arrives from the proxy's address, so without this all
//! staff and all attackers would share one address. Anyone can *send* `X-Forwarded-For`, so the
//! header counts only when the TCP peer is listed in `CURBSIDE_TRUSTED_PROXIES`, and then only
//! the entries the trusted proxies appended: the header is read from the right, skipping
//! addresses that are themselves trusted proxies, and the first other address is the client.

use crate::state::AppState;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::HeaderMap;
use ipnet::IpNet;
use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, Ordering};

/// Which header a trusted proxy writes the client's address into.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ProxyHeader {
    /// `X-Forwarded-For: client, proxy1, proxy2` (nginx, HAProxy, most load balancers).
    #[default]
    XForwardedFor,
    /// RFC 7239 `Forwarded: for=client;proto=https, for=proxy1`.
    Forwarded,
}

impl ProxyHeader {
    pub const ALLOWED: &'static str = "x-forwarded-for, forwarded";

    pub fn parse(raw: &str) -> Option<ProxyHeader> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "x-forwarded-for" => Some(ProxyHeader::XForwardedFor),
            "forwarded" => Some(ProxyHeader::Forwarded),
            _ => None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            ProxyHeader::XForwardedFor => "x-forwarded-for",
            ProxyHeader::Forwarded => "forwarded",
        }
    }
}

/// The reverse proxies whose forwarding header is believed (`CURBSIDE_TRUSTED_PROXIES`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies {
    nets: Vec<IpNet>,
    header: ProxyHeader,
}

impl TrustedProxies {
    /// Parses a comma-separated list of addresses and CIDR ranges (`10.0.0.0/8, ::1`).
    pub fn parse(list: &str, header: ProxyHeader) -> Result<TrustedProxies, String> {
        let nets = list
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| {
                IpNet::from_str(s)
                    .or_else(|_| IpAddr::from_str(s).map(IpNet::from))
                    .map_err(|_| format!("{s:?} is not an IP address or CIDR range like 10.0.0.0/8"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(TrustedProxies { nets, header })
    }

    pub fn is_empty(&self) -> bool {
        self.nets.is_empty()
    }

    fn trusts(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        self.nets.iter().any(|n| n.contains(&ip))
    }
}

/// The client's address: the TCP peer, or — when the peer is a trusted proxy — the nearest
/// address in the proxy header that is not itself a trusted proxy. Every rate limit and every
/// log line that names a client uses this; nothing else reads forwarding headers.
pub fn client_addr(proxies: &TrustedProxies, headers: &HeaderMap, peer: SocketAddr) -> IpAddr {
    let peer = canonical(peer.ip());
    if !proxies.trusts(peer) {
        if headers.contains_key(proxies.header.name()) {
            warn_untrusted_forwarding_once(peer);
        }
        return peer;
    }
    let mut nearest = peer;
    // Several header lines form one list, in order; the rightmost entry was added last.
    let entries: Vec<&str> = headers
        .get_all(proxies.header.name())
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .collect();
    for entry in entries.iter().rev() {
        let parsed = match proxies.header {
            ProxyHeader::XForwardedFor => parse_node(entry),
            ProxyHeader::Forwarded => forwarded_for(entry).and_then(parse_node),
        };
        // An entry we cannot read (a typo, `unknown`, an obfuscated name) ends the walk: what
        // lies left of it was not written by a proxy we can vouch for.
        let Some(ip) = parsed else { return nearest };
        if !proxies.trusts(ip) {
            return ip;
        }
        nearest = ip;
    }
    nearest
}

/// `for=` of one `Forwarded` element (`for=192.0.2.60;proto=http;by=203.0.113.43`).
fn forwarded_for(element: &str) -> Option<&str> {
    element.split(';').find_map(|pair| {
        let (k, v) = pair.trim().split_once('=')?;
        k.trim().eq_ignore_ascii_case("for").then(|| v.trim())
    })
}

/// An address as proxies write it: `192.0.2.1`, `192.0.2.1:4711`, `"[2001:db8::1]:4711"`,
/// `2001:db8::1`.
fn parse_node(raw: &str) -> Option<IpAddr> {
    let s = raw.trim().trim_matches('"');
    if let Ok(ip) = IpAddr::from_str(s) {
        return Some(canonical(ip));
    }
    if let Ok(sa) = SocketAddr::from_str(s) {
        return Some(canonical(sa.ip()));
    }
    let bracketed = s.strip_prefix('[').and_then(|r| r.split_once(']')).map(|(ip, _)| ip)?;
    IpAddr::from_str(bracketed).ok().map(canonical)
}

/// `::ffff:10.0.0.1` (a dual-stack socket's view of an IPv4 peer) is `10.0.0.1`.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(IpAddr::V6(v6)),
        v4 => v4,
    }
}

/// A forwarding header from a peer that is not a trusted proxy is probably a misconfiguration
/// (a proxy in front that is not listed): every client behind it then shares one address.
fn warn_untrusted_forwarding_once(peer: IpAddr) {
    static WARNED: AtomicBool = AtomicBool::new(false);
    if !WARNED.swap(true, Ordering::Relaxed) {
        tracing::warn!(
            %peer,
            "a request carried a forwarding header from a peer that is not in CURBSIDE_TRUSTED_PROXIES; \
             the header is ignored. If a reverse proxy runs in front, list it there, or every client behind it \
             shares one address for sign-in limits"
        );
    }
}

/// The caller's address as [`client_addr`] decides it, for handlers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddr(pub IpAddr);

impl FromRequestParts<AppState> for ClientAddr {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        Ok(ClientAddr(client_address(parts, state)))
    }
}

/// [`client_addr`] for a request, with the server's trusted proxies: what the limits, the logs
/// and the audit log record as the client.
pub fn client_address(parts: &Parts, state: &AppState) -> IpAddr {
    // Always present when served by `Application::run`; a router driven without a socket
    // (unit tests) counts as one unspecified client.
    let peer = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0)
        .unwrap_or_else(|| SocketAddr::from(([0, 0, 0, 0], 0)));
    client_addr(&state.config.trusted_proxies, &parts.headers, peer)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(name: &'static str, values: &[&'static str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append(name, HeaderValue::from_static(v));
        }
        h
    }

    fn peer(s: &str) -> SocketAddr {
        SocketAddr::new(s.parse().expect("ip"), 40000)
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("ip")
    }

    #[test]
    fn a_forwarding_header_from_an_untrusted_peer_is_ignored() {
        let none = TrustedProxies::default();
        let h = headers("x-forwarded-for", &["1.2.3.4"]);
        assert_eq!(client_addr(&none, &h, peer("203.0.113.9")), ip("203.0.113.9"));
        let other = TrustedProxies::parse("10.0.0.1", ProxyHeader::XForwardedFor).expect("parse");
        assert_eq!(client_addr(&other, &h, peer("203.0.113.9")), ip("203.0.113.9"));
    }

    #[test]
    fn behind_a_trusted_proxy_the_rightmost_untrusted_entry_is_the_client() {
        let p = TrustedProxies::parse("10.0.0.0/8, 127.0.0.1", ProxyHeader::XForwardedFor).expect("parse");
        // The client forged the first entry; the proxy appended the real address.
        let h = headers("x-forwarded-for", &["6.6.6.6, 198.51.100.7"]);
        assert_eq!(client_addr(&p, &h, peer("10.1.2.3")), ip("198.51.100.7"));
        // Two trusted hops, split over two header lines.
        let h = headers("x-forwarded-for", &["198.51.100.7, 10.0.0.5", "10.0.0.6"]);
        assert_eq!(client_addr(&p, &h, peer("127.0.0.1")), ip("198.51.100.7"));
        // Nothing but proxies: the furthest proxy is the best we know.
        let h = headers("x-forwarded-for", &["10.0.0.5"]);
        assert_eq!(client_addr(&p, &h, peer("10.1.2.3")), ip("10.0.0.5"));
        // No header at all: the proxy itself.
        assert_eq!(client_addr(&p, &HeaderMap::new(), peer("10.1.2.3")), ip("10.1.2.3"));
        // Garbage stops the walk at the last address a trusted proxy vouched for.
        let h = headers("x-forwarded-for", &["198.51.100.7, garbage"]);
        assert_eq!(client_addr(&p, &h, peer("10.1.2.3")), ip("10.1.2.3"));
    }

    #[test]
    fn the_forwarded_header_is_read_when_configured() {
        let p = TrustedProxies::parse("10.0.0.1", ProxyHeader::Forwarded).expect("parse");
        let h = headers("forwarded", &["for=6.6.6.6, for=\"[2001:db8::7]:4711\";proto=https"]);
        assert_eq!(client_addr(&p, &h, peer("10.0.0.1")), ip("2001:db8::7"));
        // X-Forwarded-For is not the configured header: ignored.
        let h = headers("x-forwarded-for", &["198.51.100.7"]);
        assert_eq!(client_addr(&p, &h, peer("10.0.0.1")), ip("10.0.0.1"));
    }

    #[test]
    fn mapped_ipv4_peers_match_ipv4_ranges() {
        let p = TrustedProxies::parse("127.0.0.0/8", ProxyHeader::XForwardedFor).expect("parse");
        let h = headers("x-forwarded-for", &["198.51.100.7:5555"]);
        assert_eq!(client_addr(&p, &h, peer("::ffff:127.0.0.1")), ip("198.51.100.7"));
    }

    #[test]
    fn bad_proxy_lists_say_which_entry() {
        let e = TrustedProxies::parse("10.0.0.0/8, proxy.local", ProxyHeader::XForwardedFor).unwrap_err();
        assert!(e.contains("\"proxy.local\""), "{e}");
        assert!(TrustedProxies::parse(" ", ProxyHeader::XForwardedFor).expect("empty").is_empty());
    }
}
