//! The daemon address, in the forms the X-Ray SDKs read from `AWS_XRAY_DAEMON_ADDRESS`:
//! `host:port` (UDP and TCP on the same address) or `tcp:host:port udp:host:port` (either order).
//! The default is `127.0.0.1:2000`, loopback, as the X-Ray daemon binds.

use std::net::{SocketAddr, ToSocketAddrs};

/// The X-Ray daemon's default address.
pub const DEFAULT_ADDRESS: &str = "127.0.0.1:2000";

/// Where to receive segments (UDP) and answer sampling requests (TCP).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DaemonAddress {
    /// Segment documents arrive here.
    pub udp: SocketAddr,
    /// `GetSamplingRules` / `SamplingTargets` are answered here.
    pub tcp: SocketAddr,
}

impl Default for DaemonAddress {
    fn default() -> Self {
        let a = SocketAddr::from(([127, 0, 0, 1], 2000));
        Self { udp: a, tcp: a }
    }
}

/// Parses `host:port` or `tcp:host:port udp:host:port`. Host names are resolved (`localhost`).
pub fn parse_address(s: &str) -> Result<DaemonAddress, String> {
    let parts: Vec<&str> = s.split_whitespace().collect();
    match parts.as_slice() {
        [one] if !one.starts_with("tcp:") && !one.starts_with("udp:") => {
            let a = resolve(one)?;
            Ok(DaemonAddress { udp: a, tcp: a })
        }
        [a, b] => {
            let (mut udp, mut tcp) = (None, None);
            for p in [a, b] {
                if let Some(rest) = p.strip_prefix("udp:") {
                    udp = Some(resolve(rest)?);
                } else if let Some(rest) = p.strip_prefix("tcp:") {
                    tcp = Some(resolve(rest)?);
                } else {
                    return Err(format!("{p:?}: expected udp:host:port or tcp:host:port"));
                }
            }
            match (udp, tcp) {
                (Some(udp), Some(tcp)) => Ok(DaemonAddress { udp, tcp }),
                _ => Err(format!(
                    "{s:?}: give both tcp:host:port and udp:host:port, or one host:port"
                )),
            }
        }
        _ => Err(format!(
            "{s:?}: expected host:port or \"tcp:host:port udp:host:port\""
        )),
    }
}

fn resolve(s: &str) -> Result<SocketAddr, String> {
    if let Ok(a) = s.parse::<SocketAddr>() {
        return Ok(a);
    }
    if !s.contains(':') {
        return Err(format!("{s:?}: missing :port"));
    }
    let mut addrs = s
        .to_socket_addrs()
        .map_err(|e| format!("{s:?}: {e}"))?
        .collect::<Vec<_>>();
    // Prefer IPv4, as the SDKs do for `localhost`.
    addrs.sort_by_key(|a| !a.is_ipv4());
    addrs
        .into_iter()
        .next()
        .ok_or_else(|| format!("{s:?}: no address"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sa(s: &str) -> SocketAddr {
        s.parse().expect("addr")
    }

    #[test]
    fn default_is_loopback_2000() {
        let d = DaemonAddress::default();
        assert_eq!(d.udp, sa(DEFAULT_ADDRESS));
        assert_eq!(parse_address(DEFAULT_ADDRESS), Ok(d));
    }

    #[test]
    fn single_and_pair_forms() {
        let a = parse_address("0.0.0.0:3000").expect("ok");
        assert_eq!((a.udp, a.tcp), (sa("0.0.0.0:3000"), sa("0.0.0.0:3000")));
        let a = parse_address("tcp:127.0.0.1:2001 udp:127.0.0.1:2002").expect("ok");
        assert_eq!((a.udp, a.tcp), (sa("127.0.0.1:2002"), sa("127.0.0.1:2001")));
        let a = parse_address("udp:127.0.0.1:5 tcp:127.0.0.1:6").expect("ok");
        assert_eq!((a.udp, a.tcp), (sa("127.0.0.1:5"), sa("127.0.0.1:6")));
        let a = parse_address("[::1]:2000").expect("ok");
        assert_eq!(a.udp, sa("[::1]:2000"));
        let a = parse_address("localhost:2000").expect("ok");
        assert_eq!(a.udp.port(), 2000);
    }

    #[test]
    fn rejects_bad_forms() {
        for s in [
            "",
            "127.0.0.1",
            "127.0.0.1:notaport",
            "udp:127.0.0.1:2000",
            "tcp:127.0.0.1:1 tcp:127.0.0.1:2",
            "tcp:127.0.0.1:1 foo:127.0.0.1:2",
            "a:1 b:2 c:3",
        ] {
            assert!(parse_address(s).is_err(), "{s:?}");
        }
    }
}
