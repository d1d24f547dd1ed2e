//! The generator's HTTP/1.1 client: one keep-alive connection per worker and server address,
//! hyper's connection API and nothing else (no pool, no URL parsing per request, no redirects).
//! The generator shares the cores with the server it measures, so every microsecond it spends
//! per request is taken from the server; a general-purpose client spent about twice as much.

use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};

use http_body_util::{BodyExt as _, Full};
use hyper::body::Bytes;
use hyper::client::conn::http1::SendRequest;
use hyper::header::{HOST, HeaderMap, HeaderValue};
use hyper::{Method, Request, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use url::Url;

use crate::target::socket_addr;

/// Where a request goes: the server's address, the `Host` header and the path with its query,
/// all worked out once from a URL that passed the loopback guard.
#[derive(Clone, Debug)]
pub struct Endpoint {
    pub addr: SocketAddr,
    /// Over TLS (an `https` URL).
    pub tls: bool,
    host: HeaderValue,
    pub path_and_query: String,
}

impl Endpoint {
    pub fn new(url: &Url) -> Self {
        let addr = socket_addr(url);
        let path_and_query = match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_owned(),
        };
        Self {
            addr,
            tls: url.scheme() == "https",
            host: HeaderValue::from_str(&addr.to_string()).expect("an address is a valid header"),
            path_and_query,
        }
    }

    /// Its whole URL, as a request to it names it (a DPoP proof's `htu`, a set-up request).
    pub fn url(&self) -> String {
        let scheme = if self.tls { "https" } else { "http" };
        format!("{scheme}://{}{}", self.addr, self.path_and_query)
    }

    /// A request to this endpoint, with `Host` set; `path_and_query` overrides the endpoint's.
    pub fn request(
        &self,
        method: Method,
        path_and_query: Option<&str>,
        headers: &[(hyper::header::HeaderName, &HeaderValue)],
        body: Bytes,
    ) -> Request<Full<Bytes>> {
        let mut request = Request::new(Full::new(body));
        *request.method_mut() = method;
        *request.uri_mut() = path_and_query
            .unwrap_or(&self.path_and_query)
            .parse()
            .expect("paths from a parsed URL are valid URIs");
        let h = request.headers_mut();
        h.insert(HOST, self.host.clone());
        for (name, value) in headers {
            h.insert(name.clone(), (*value).clone());
        }
        request
    }
}

/// What a request got: status, headers, the whole body.
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

/// What TLS connections trust: the authority of the server under test (set once, when the
/// issuer is `https`).
static TLS: OnceLock<tokio_rustls::TlsConnector> = OnceLock::new();

/// Connections over TLS trust `trust`'s authorities.
pub fn use_tls(trust: &fauxauth_core::Trust) {
    let _ = TLS.get_or_init(|| tokio_rustls::TlsConnector::from(Arc::new(trust.client_config())));
}

/// One worker's connections, opened on first use and again after the server closed one.
#[derive(Debug, Default)]
pub struct Client {
    connections: Vec<(SocketAddr, SendRequest<Full<Bytes>>)>,
}

impl Client {
    pub async fn send(
        &mut self,
        to: &Endpoint,
        request: Request<Full<Bytes>>,
    ) -> Result<Answer, String> {
        let addr = to.addr;
        let at = match self.connections.iter().position(|(a, _)| *a == addr) {
            Some(i) if !self.connections[i].1.is_closed() => i,
            found => {
                let sender = if to.tls {
                    connect_tls(addr).await?
                } else {
                    connect(addr).await?
                };
                match found {
                    Some(i) => {
                        self.connections[i].1 = sender;
                        i
                    }
                    None => {
                        self.connections.push((addr, sender));
                        self.connections.len() - 1
                    }
                }
            }
        };
        let sender = &mut self.connections[at].1;
        sender.ready().await.map_err(|e| e.to_string())?;
        let response = sender
            .send_request(request)
            .await
            .map_err(|e| e.to_string())?;
        let (parts, body) = response.into_parts();
        let body = body.collect().await.map_err(|e| e.to_string())?.to_bytes();
        Ok(Answer {
            status: parts.status,
            headers: parts.headers,
            body,
        })
    }
}

async fn connect(addr: SocketAddr) -> Result<SendRequest<Full<Bytes>>, String> {
    let stream = TcpStream::connect(addr)
        .await
        .map_err(|e| format!("cannot connect to {addr}: {e}"))?;
    stream.set_nodelay(true).map_err(|e| e.to_string())?;
    let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| e.to_string())?;
    tokio::spawn(connection);
    Ok(sender)
}

/// A TLS connection: TCP, then the whole handshake (the server's certificate verified).
pub async fn tls_stream(
    addr: SocketAddr,
) -> Result<tokio_rustls::client::TlsStream<TcpStream>, String> {
    let connector = TLS
        .get()
        .ok_or("an https URL, but no authority to trust was set")?;
    let stream = TcpStream::connect(addr)
        .await
        .map_err(|e| format!("cannot connect to {addr}: {e}"))?;
    stream.set_nodelay(true).map_err(|e| e.to_string())?;
    let name = tokio_rustls::rustls::pki_types::ServerName::IpAddress(addr.ip().into());
    connector
        .connect(name, stream)
        .await
        .map_err(|e| format!("TLS handshake with {addr}: {e}"))
}

async fn connect_tls(addr: SocketAddr) -> Result<SendRequest<Full<Bytes>>, String> {
    let stream = tls_stream(addr).await?;
    let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| e.to_string())?;
    tokio::spawn(connection);
    Ok(sender)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::target::loopback;

    #[test]
    fn endpoint_keeps_path_and_query_and_names_its_host() {
        let url = loopback("http://127.0.0.1:9000/t/authorize?a=1&b=%20").unwrap();
        let endpoint = Endpoint::new(&url);
        assert_eq!(endpoint.addr.port(), 9000);
        assert_eq!(endpoint.path_and_query, "/t/authorize?a=1&b=%20");
        let request = endpoint.request(Method::GET, None, &[], Bytes::new());
        assert_eq!(request.uri(), "/t/authorize?a=1&b=%20");
        assert_eq!(request.headers()[HOST], "127.0.0.1:9000");
        let other = endpoint.request(Method::POST, Some("/x?y"), &[], Bytes::from("z"));
        assert_eq!(other.uri(), "/x?y");
        assert_eq!(other.method(), Method::POST);
    }
}
