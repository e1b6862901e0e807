//! Parsers for command-line values that say what is wrong in words a user
//! reads: host names in listen addresses, boolean environment variables as
//! people write them, negative numbers, URLs without a scheme.

use std::net::{SocketAddr, ToSocketAddrs as _};
use std::str::FromStr;

/// `HOST:PORT` where HOST is an IP address or a name (`localhost:8080`);
/// a name resolves to its first address.
pub fn listen_addr(s: &str) -> Result<SocketAddr, String> {
    if let Ok(addr) = s.parse() {
        return Ok(addr);
    }
    let hint = "expected HOST:PORT, e.g. 127.0.0.1:8080, [::1]:8080 or localhost:8080";
    if !s.contains(':') {
        return Err(format!("`{s}` has no port: {hint}"));
    }
    s.to_socket_addrs()
        .map_err(|e| format!("`{s}`: {e} ({hint})"))?
        .next()
        .ok_or_else(|| format!("`{s}` resolves to no address ({hint})"))
}

/// A number of `T` that is zero or more, with a clear message for a
/// negative or malformed value (clap's default reads `-1` as a flag).
pub fn non_negative<T: FromStr>(s: &str) -> Result<T, String> {
    if s.trim_start().starts_with('-') {
        return Err(format!("`{s}` is negative: this setting takes a number of zero or more"));
    }
    s.trim().parse().map_err(|_| format!("`{s}` is not a number"))
}

/// An `http://` or `https://` URL of a server.
pub fn server_url(s: &str) -> Result<String, String> {
    let lower = s.to_ascii_lowercase();
    if !(lower.starts_with("http://") || lower.starts_with("https://")) {
        return Err(format!("`{s}` has no scheme: write http://{s} or https://{s}"));
    }
    reqwest::Url::parse(s).map_err(|e| format!("`{s}`: {e}"))?;
    Ok(s.trim_end_matches('/').to_owned())
}

/// A browser origin: `http(s)://host[:port]`, nothing after.
pub fn origin(s: &str) -> Result<reqwest::header::HeaderValue, String> {
    let url =
        reqwest::Url::parse(s).map_err(|e| format!("`{s}`: {e} (an origin is e.g. https://ops.example)"))?;
    let plain = matches!(url.scheme(), "http" | "https")
        && url.host_str().is_some()
        && url.path() == "/"
        && url.query().is_none()
        && url.username().is_empty();
    if !plain || s.trim_end_matches('/') != url.origin().ascii_serialization() {
        return Err(format!("`{s}` is not an origin: write scheme://host[:port], e.g. https://ops.example"));
    }
    reqwest::header::HeaderValue::from_str(&url.origin().ascii_serialization())
        .map_err(|e| format!("`{s}`: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listen_takes_addresses_and_host_names_and_explains_the_rest() {
        assert_eq!(listen_addr("127.0.0.1:8080"), Ok(SocketAddr::from(([127, 0, 0, 1], 8080))));
        let local = listen_addr("localhost:8080").unwrap_or_else(|e| panic!("{e}"));
        assert!(local.ip().is_loopback() && local.port() == 8080, "{local}");
        assert!(listen_addr("localhost").is_err_and(|e| e.contains("no port")));
        assert!(listen_addr("no-such-host.invalid:80").is_err_and(|e| e.contains("HOST:PORT")));
    }

    #[test]
    fn numbers_refuse_negatives_in_words() {
        assert_eq!(non_negative::<u64>("10"), Ok(10));
        assert!(non_negative::<u64>("-1").is_err_and(|e| e.contains("negative")));
        assert!(non_negative::<f64>("ten").is_err_and(|e| e.contains("not a number")));
    }

    #[test]
    fn origins_are_scheme_host_and_port_only() {
        assert_eq!(
            origin("https://ops.example").map(|v| v.to_str().map(str::to_owned).unwrap_or_default()),
            Ok("https://ops.example".to_owned())
        );
        assert!(origin("https://ops.example:8443/").is_ok());
        assert!(origin("https://ops.example/map").is_err_and(|e| e.contains("not an origin")));
        assert!(origin("ops.example").is_err());
        assert!(origin("ftp://ops.example").is_err());
    }

    #[test]
    fn server_urls_need_a_scheme() {
        assert_eq!(server_url("http://127.0.0.1:8080/"), Ok("http://127.0.0.1:8080".to_owned()));
        assert!(server_url("127.0.0.1:8080").is_err_and(|e| e.contains("http://127.0.0.1:8080")));
        assert!(server_url("localhost").is_err_and(|e| e.contains("no scheme")));
    }
}
