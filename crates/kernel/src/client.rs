//! The client's address, for rate limits and logs.
//!
//! The serving loop (`madoguchi::serve`) puts the socket's peer into every request as
//! `ConnectInfo<SocketAddr>`. Behind a load balancer that peer is the balancer, so the address is then taken
//! from the configured header (`[http] client_ip_header`, `X-Forwarded-For` by default) — but only when the
//! peer is one of `[http] trusted_proxies`; anyone else could write any address there and get a fresh quota
//! with every request.

use crate::config::HttpConfig;
use crate::state::Ctx;
use axum::extract::{ConnectInfo, FromRef, FromRequestParts};
use axum::http::HeaderMap;
use axum::http::request::Parts;
use std::convert::Infallible;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

/// The address of the client a request comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddr(pub IpAddr);

impl ClientAddr {
    /// The key counted by per-client rate limits: the IPv4 address, or the IPv6 /64 network, since one
    /// subscriber is usually given a whole /64 and could otherwise change address at every request.
    pub fn rate_key(&self) -> String {
        match self.0 {
            IpAddr::V4(v4) => v4.to_string(),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => v4.to_string(),
                None => {
                    let s = v6.segments();
                    format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
                }
            },
        }
    }

    /// The client address of a request whose socket peer is `peer` (`None` when the request did not come
    /// through the serving loop, which should not happen; such requests share one address).
    pub fn resolve(config: &HttpConfig, peer: Option<IpAddr>, headers: &HeaderMap) -> ClientAddr {
        let Some(peer) = peer else {
            return ClientAddr(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
        };
        let proxies = TrustedProxies::parse_lenient(&config.trusted_proxies);
        if !proxies.contains(peer) {
            return ClientAddr(peer);
        }
        // Each proxy appends the address it received the request from, so the list is read from the right:
        // the first address that is not one of our proxies is the client. Entries further left were written
        // by the client itself and prove nothing.
        let mut client = peer;
        let joined: Vec<&str> = headers
            .get_all(config.client_ip_header.as_str())
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .collect();
        for entry in joined.iter().rev() {
            let Some(ip) = parse_forwarded_ip(entry) else {
                // Garbage from an untrusted hop: stop at the last address we can vouch for.
                break;
            };
            client = ip;
            if !proxies.contains(ip) {
                break;
            }
        }
        ClientAddr(client)
    }
}

/// One entry of a forwarded-for list: `203.0.113.7`, `2001:db8::1`, `[2001:db8::1]:443` or `203.0.113.7:80`.
fn parse_forwarded_ip(entry: &str) -> Option<IpAddr> {
    let entry = entry.trim();
    if let Ok(ip) = entry.parse::<IpAddr>() {
        return Some(ip);
    }
    entry.parse::<SocketAddr>().ok().map(|s| s.ip())
}

/// The peers whose forwarded-for header is believed.
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(Vec<(IpAddr, u8)>);

impl TrustedProxies {
    /// Parses `10.0.0.0/8`, `127.0.0.1`, `fd00::/8` …; the error names the entry that is wrong.
    pub fn parse(entries: &[String]) -> Result<Self, String> {
        entries
            .iter()
            .map(|e| parse_cidr(e).ok_or_else(|| format!("[http] trusted_proxies: 「{e}」はアドレスまたはCIDR（例: 10.0.0.0/8）ではありません")))
            .collect::<Result<Vec<_>, _>>()
            .map(TrustedProxies)
    }

    /// Like [`TrustedProxies::parse`], skipping wrong entries (the serving loop refuses to start with one).
    fn parse_lenient(entries: &[String]) -> Self {
        TrustedProxies(entries.iter().filter_map(|e| parse_cidr(e)).collect())
    }

    /// Whether `ip` is one of the proxies.
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        self.0.iter().any(|&(net, bits)| in_network(ip, net, bits))
    }
}

fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
        v4 => v4,
    }
}

fn parse_cidr(entry: &str) -> Option<(IpAddr, u8)> {
    let entry = entry.trim();
    let (addr, bits) = match entry.split_once('/') {
        Some((a, b)) => (a, Some(b.parse::<u8>().ok()?)),
        None => (entry, None),
    };
    let ip = canonical(addr.parse::<IpAddr>().ok()?);
    let max = if ip.is_ipv4() { 32 } else { 128 };
    let bits = bits.unwrap_or(max);
    (bits <= max).then_some((ip, bits))
}

fn in_network(ip: IpAddr, net: IpAddr, bits: u8) -> bool {
    match (ip, net) {
        (IpAddr::V4(a), IpAddr::V4(n)) => {
            let mask = if bits == 0 {
                0
            } else {
                u32::MAX << (32 - bits)
            };
            u32::from(a) & mask == u32::from(n) & mask
        }
        (IpAddr::V6(a), IpAddr::V6(n)) => {
            let mask = if bits == 0 {
                0
            } else {
                u128::MAX << (128 - bits)
            };
            u128::from(a) & mask == u128::from(n) & mask
        }
        _ => false,
    }
}

impl<S> FromRequestParts<S> for ClientAddr
where
    Ctx: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let ctx = Ctx::from_ref(state);
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip());
        Ok(ClientAddr::resolve(&ctx.config.http, peer, &parts.headers))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(proxies: &[&str]) -> HttpConfig {
        HttpConfig {
            trusted_proxies: proxies.iter().map(|s| s.to_string()).collect(),
            ..HttpConfig::default()
        }
    }

    fn headers(xff: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-for", xff.parse().unwrap());
        h
    }

    #[test]
    fn an_untrusted_peer_cannot_choose_its_address() {
        let c = ClientAddr::resolve(
            &config(&[]),
            Some("198.51.100.9".parse().unwrap()),
            &headers("203.0.113.1"),
        );
        assert_eq!(c.0.to_string(), "198.51.100.9");
    }

    #[test]
    fn a_trusted_proxy_names_the_client_and_spoofed_entries_on_the_left_are_ignored() {
        let cfg = config(&["10.0.0.0/8"]);
        let peer = Some("10.1.2.3".parse().unwrap());
        let c = ClientAddr::resolve(&cfg, peer, &headers("1.2.3.4, 203.0.113.7, 10.9.9.9"));
        assert_eq!(c.0.to_string(), "203.0.113.7");
        let c = ClientAddr::resolve(&cfg, peer, &HeaderMap::new());
        assert_eq!(c.0.to_string(), "10.1.2.3");
        let c = ClientAddr::resolve(&cfg, peer, &headers("garbage, 203.0.113.8"));
        assert_eq!(c.0.to_string(), "203.0.113.8");
    }

    #[test]
    fn ipv6_clients_are_counted_per_64() {
        let a = ClientAddr("2001:db8:1:2:aaaa::1".parse().unwrap());
        let b = ClientAddr("2001:db8:1:2:bbbb::9".parse().unwrap());
        assert_eq!(a.rate_key(), b.rate_key());
        let mapped = ClientAddr("::ffff:192.0.2.1".parse().unwrap());
        assert_eq!(mapped.rate_key(), "192.0.2.1");
    }

    #[test]
    fn wrong_proxy_entries_are_named() {
        assert!(TrustedProxies::parse(&["10.0.0.0/8".into(), "::1".into()]).is_ok());
        let e = TrustedProxies::parse(&["10.0.0.0/33".into()]).unwrap_err();
        assert!(e.contains("10.0.0.0/33"), "{e}");
    }
}
