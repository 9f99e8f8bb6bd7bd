//! Hostile and broken input against a running `techmatch serve` (issue 10): invalid UTF-8
//! and over-long query strings, nested and huge JSON, absurd paging, path traversal,
//! header floods, slow and idle clients, clients that stop reading, thousands of
//! connections, a crash in the middle of API writes, a second writer, a full disk. Every case must get a 4xx (or a clean
//! close), never a panic, never a stack trace or a file path, and the server must go on
//! serving. The servers run with short timeouts and a small connection limit so the
//! slow-client cases take seconds, not minutes.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::{batch, index_copy, send, supply_line, Server, KEY};
use crate::common::{bundled_supplies, doc_count, techmatch};

/// Flags of the servers under attack: writes on, at most 48 connections.
const FLAGS: [&str; 4] = ["--max-connections", "48", "--api-key", KEY];

/// With short deadlines, for the slow-client cases: 1 s for headers (and idle
/// keep-alive), 3 s per request, 1 s for a client to take any of a response. (Not for
/// the others: a client's pooled connection would be closed under a POST that waits
/// longer than 1 s to reuse it.)
const STRICT: [&str; 6] = [
    "--header-timeout-secs",
    "1",
    "--request-timeout-secs",
    "3",
    "--send-timeout-secs",
    "1",
];

/// Words that must never reach a client: internals of the process.
const LEAKS: [&str; 8] = [
    "panicked",
    ".rs:",
    "/src/",
    "RUST_BACKTRACE",
    "/work/",
    "/root/",
    "/home/",
    "/tmp/",
];

fn start() -> (tempfile::TempDir, Server) {
    let (dir, index) = index_copy();
    let server = Server::start(&index, &FLAGS);
    (dir, server)
}

fn start_strict() -> (tempfile::TempDir, Server) {
    let (dir, index) = index_copy();
    let flags: Vec<&str> = FLAGS.iter().chain(&STRICT).copied().collect();
    let server = Server::start(&index, &flags);
    (dir, server)
}

fn addr(server: &Server) -> String {
    server.base.trim_start_matches("http://").to_string()
}

/// A connection whose reads give up after `wait`.
fn connect(addr: &str, wait: Duration) -> TcpStream {
    let stream = TcpStream::connect(addr).expect("connect");
    stream.set_read_timeout(Some(wait)).unwrap();
    stream
}

/// What came back for raw bytes: the status (None when the server closed without a
/// response) and the whole text.
struct RawReply {
    status: Option<u16>,
    text: String,
}

/// Sends `bytes` on a new connection and reads until the server closes it (or `wait`).
/// A write error is fine: the server may answer and close before reading everything.
fn raw(server: &Server, bytes: &[u8], wait: Duration) -> RawReply {
    let mut stream = connect(&addr(server), wait);
    let _ = stream.write_all(bytes);
    let text = String::from_utf8_lossy(&read_until_closed(&mut stream)).into_owned();
    let status = text
        .strip_prefix("HTTP/1.1 ")
        .and_then(|rest| rest.get(..3))
        .and_then(|code| code.parse().ok());
    RawReply { status, text }
}

/// Everything the server sends until it closes the connection (or a read fails or times
/// out).
fn read_until_closed(stream: &mut TcpStream) -> Vec<u8> {
    let mut received = Vec::new();
    let mut buffer = [0u8; 64 << 10];
    loop {
        match stream.read(&mut buffer) {
            Ok(0) | Err(_) => break,
            Ok(n) => received.extend_from_slice(&buffer[..n]),
        }
    }
    received
}

/// `GET path` over a raw connection, the path sent exactly as given (no client-side
/// normalisation of `..` or percent-escapes).
fn raw_get(server: &Server, path: &str) -> RawReply {
    let request = format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    raw(server, request.as_bytes(), Duration::from_secs(30))
}

fn assert_no_leak(what: &str, text: &str) {
    for leak in LEAKS {
        assert!(
            !text.contains(leak),
            "{what}: the response shows {leak:?}: {text}"
        );
    }
}

/// A 4xx with a JSON error body and nothing internal in it.
fn assert_4xx(what: &str, reply: &RawReply) {
    let status = reply
        .status
        .unwrap_or_else(|| panic!("{what}: no response"));
    assert!((400..500).contains(&status), "{what}: {}", reply.text);
    assert_no_leak(what, &reply.text);
}

/// The server still answers a real search at once and has logged no panic.
fn assert_alive(server: &Server) {
    let reply = server.get("/api/search?q=nuoc+thai&size=3");
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert!(reply.json()["total"].as_u64().unwrap() > 0);
    assert!(!server.logs().contains("panicked"), "{}", server.logs());
}

#[test]
fn hostile_query_strings_are_400_naming_the_parameter() {
    let (_dir, server) = start();
    let long_q = "a".repeat(600);
    let cases: Vec<(String, &str)> = vec![
        ("/api/search?q=%FF%FE%FD".into(), "q:"),
        ("/api/search?q=ok&%C3=1".into(), "UTF-8"),
        ("/api/suggest?q=%C3%28".into(), "q:"),
        (format!("/api/search?q={long_q}"), "q:"),
        (format!("/api/suggest?q={long_q}"), "q:"),
        ("/api/search?q=a&page=-1".into(), "page"),
        ("/api/search?q=a&page=0".into(), "page"),
        (
            "/api/search?q=a&page=99999999999999999999999".into(),
            "page",
        ),
        (
            "/api/search?q=a&page=18446744073709551615&size=100".into(),
            "page",
        ),
        ("/api/search?q=a&size=0".into(), "size"),
        ("/api/search?q=a&size=-5".into(), "size"),
        ("/api/search?q=a&size=1000000000".into(), "size"),
        ("/api/search?q=a&page=1000&size=100".into(), "page"),
        ("/api/search?q=a&trl_min=-3".into(), "trl_min"),
        ("/api/search?q=a&trl_max=1e9".into(), "trl_max"),
        ("/api/search?q=a&sort=..%2F..%2Fetc".into(), "sort"),
        ("/api/search?q=a&facets=maybe".into(), "facets"),
        ("/api/search?q=a&%3Cscript%3E=1".into(), "script"),
        ("/api/suggest?q=a&limit=4294967296".into(), "limit"),
        ("/api/suggest?q=a&limit=0".into(), "limit"),
        ("/api/search?q=a&kind=%FF".into(), "kind"),
        ("/api/search?q=a&kind=..%2Fdemands".into(), "kind"),
        ("/api/search?q=a&kind=both&page=11&size=100".into(), "page"),
        ("/api/search?q=a&kind=both&page=999&size=100".into(), "page"),
    ];
    for (path, words) in &cases {
        let reply = raw_get(&server, path);
        assert_4xx(path, &reply);
        assert_eq!(reply.status, Some(400), "{path}: {}", reply.text);
        assert!(
            reply.text.contains(words),
            "{path}: {words:?} not in {}",
            reply.text
        );
        // Messages quote what was sent, so they are JSON that no browser may sniff as HTML.
        assert!(
            reply.text.contains("content-type: application/json"),
            "{path}"
        );
        assert!(
            reply.text.contains("x-content-type-options: nosniff"),
            "{path}"
        );
    }
    // Odd but valid text is searched, not rejected: control characters, a lone %, emoji,
    // Chinese, 500 characters of Vietnamese.
    let long_vietnamese = "xử lý ".repeat(83);
    for q in [
        "%00%01%02%1B",
        "100%",
        "%F0%9F%94%A5",
        "%E6%B1%A1%E6%B0%B4",
        &long_vietnamese.replace(' ', "+"),
    ] {
        let reply = raw_get(&server, &format!("/api/search?q={q}&size=2"));
        assert_eq!(reply.status, Some(200), "{q}: {}", reply.text);
    }
    assert_alive(&server);
}

#[test]
fn broken_requests_are_refused_by_the_http_layer() {
    let (_dir, server) = start();
    let flood: String = (0..1000).map(|i| format!("X-Flood-{i}: {i}\r\n")).collect();
    let huge_header = format!("X-Huge: {}\r\n", "h".repeat(100_000));
    let long_uri = format!("/api/search?q=a{}", "&x=1".repeat(25_000));
    let cases: Vec<(&str, Vec<u8>)> = vec![
        (
            "invalid UTF-8 in the request line",
            b"GET /api/search?q=\xff\xfe HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".to_vec(),
        ),
        (
            "a TLS handshake on the plain port",
            b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03garbage-not-http".to_vec(),
        ),
        ("NUL bytes", vec![0u8; 4096]),
        (
            "1000 headers",
            format!("GET /api/search?q=a HTTP/1.1\r\nHost: x\r\n{flood}\r\n").into_bytes(),
        ),
        (
            "a 100 kB header",
            format!("GET /api/search?q=a HTTP/1.1\r\nHost: x\r\n{huge_header}\r\n").into_bytes(),
        ),
        (
            "a 100 kB request line",
            format!("GET {long_uri} HTTP/1.1\r\nHost: x\r\n\r\n").into_bytes(),
        ),
        (
            "Content-Length and Transfer-Encoding together (smuggling)",
            b"POST /api/match HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n".to_vec(),
        ),
        (
            "a negative Content-Length",
            b"POST /api/match HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n".to_vec(),
        ),
        (
            "a Content-Length beyond u64",
            b"POST /api/match HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999999\r\n\r\n".to_vec(),
        ),
        (
            "a bad chunk size",
            b"POST /api/match HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n".to_vec(),
        ),
        (
            "an unknown method",
            b"BREW /api/search HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".to_vec(),
        ),
        (
            "TRACE",
            b"TRACE / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".to_vec(),
        ),
        ("HTTP/0.9", b"GET /\r\n\r\n".to_vec()),
        ("HTTP/2 preface", b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".to_vec()),
    ];
    for (what, bytes) in &cases {
        let reply = raw(&server, bytes, Duration::from_secs(10));
        // Either a 4xx or a clean close without a word.
        if let Some(status) = reply.status {
            assert!((400..500).contains(&status), "{what}: {}", reply.text);
        }
        assert_no_leak(what, &reply.text);
    }
    assert_alive(&server);
}

#[test]
fn path_traversal_never_reaches_the_file_system() {
    let (_dir, server) = start();
    let paths = [
        "/../../../../etc/passwd",
        "/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
        "/..%2f..%2f..%2fetc%2fpasswd",
        "/assets/..%2f..%2f..%2fCargo.toml",
        "/assets/%2e%2e/%2e%2e/Cargo.toml",
        "/static/../../Cargo.toml",
        "//etc/passwd",
        "/api/supplies/..%2F..%2F..%2Fetc%2Fpasswd",
        "/api/supplies/%2e%2e",
        "/api/supplies/%00",
        "/index-data/supplies.jsonl",
        "/.git/config",
        "/Cargo.toml",
        "/data/index/meta.json",
        "/api/../Cargo.toml",
    ];
    for path in paths {
        let reply = raw_get(&server, path);
        assert_4xx(path, &reply);
        for secret in ["root:", "[package]", "[core]", "\"segments\"", "TS-0001"] {
            assert!(!reply.text.contains(secret), "{path}: {}", reply.text);
        }
    }
    assert_alive(&server);
}

#[test]
fn nested_huge_and_malformed_json_bodies_are_4xx() {
    let (_dir, server) = start();
    let post = |path: &str, body: &[u8], auth: bool| -> RawReply {
        let auth = if auth {
            format!("Authorization: Bearer {KEY}\r\n")
        } else {
            String::new()
        };
        let mut request = format!(
            "POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n{auth}Content-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        )
        .into_bytes();
        request.extend_from_slice(body);
        raw(&server, &request, Duration::from_secs(60))
    };
    let nested = "[".repeat(100_000);
    let nested_field = format!(r#"{{"id":"D-1","title":{}}}"#, "[".repeat(50_000));
    let nested_object = format!("{}1{}", r#"{"a":"#.repeat(20_000), "}".repeat(20_000));
    let many_keys = format!(
        "{{{}\"id\":\"D-1\"}}",
        (0..200_000)
            .map(|i| format!("\"k{i}\":{i},"))
            .collect::<String>()
    );
    let cases: Vec<(&str, &str, Vec<u8>, bool)> = vec![
        (
            "/api/match",
            "100 000 nested arrays",
            nested.clone().into_bytes(),
            false,
        ),
        (
            "/api/match",
            "a nested field",
            nested_field.clone().into_bytes(),
            false,
        ),
        (
            "/api/match",
            "20 000 nested objects",
            nested_object.into_bytes(),
            false,
        ),
        (
            "/api/match",
            "200 000 unknown keys",
            many_keys.into_bytes(),
            false,
        ),
        (
            "/api/match",
            "not JSON",
            b"\xff\xfe\x00garbage".to_vec(),
            false,
        ),
        (
            "/api/match",
            "a JSON string",
            br#""just a string""#.to_vec(),
            false,
        ),
        (
            "/api/match",
            "a number out of range",
            br#"{"id":"D","title":"x","trl_min":1e400}"#.to_vec(),
            false,
        ),
        (
            "/api/match",
            "a TRL of -1",
            br#"{"id":"D","title":"x","trl_min":-1}"#.to_vec(),
            false,
        ),
        (
            "/api/match?top=-5",
            "a negative top",
            br#"{"id":"D","title":"x"}"#.to_vec(),
            false,
        ),
        (
            "/api/match?top=99999999999",
            "an enormous top",
            br#"{"id":"D","title":"x"}"#.to_vec(),
            false,
        ),
        (
            "/api/supplies",
            "nested supplies",
            nested.into_bytes(),
            true,
        ),
        (
            "/api/supplies",
            "a nested supply field",
            nested_field.into_bytes(),
            true,
        ),
        (
            "/api/supplies",
            "supplies without a key",
            supply_line("H-1", "x").into_bytes(),
            false,
        ),
        (
            "/api/demands",
            "nested demands",
            "[".repeat(100_000).into_bytes(),
            true,
        ),
        (
            "/api/demands",
            "a demand with a TRL of 1e400",
            br#"{"id":"D-9","title":"x","trl_min":1e400}"#.to_vec(),
            true,
        ),
        (
            "/api/demands",
            "demands without a key",
            br#"{"id":"D-9","title":"x"}"#.to_vec(),
            false,
        ),
        (
            "/api/match?against=demands",
            "a nested supply",
            "[".repeat(100_000).into_bytes(),
            false,
        ),
        (
            "/api/match?against=elsewhere",
            "an unknown side",
            br#"{"id":"S","title":"x"}"#.to_vec(),
            false,
        ),
    ];
    for (path, what, body, auth) in &cases {
        let reply = post(path, body, *auth);
        assert_4xx(what, &reply);
    }
    // Over the 10 MiB body limit: refused from its Content-Length before it is read.
    let huge = format!(
        r#"{{"id":"D-1","title":"x","description":"{}"}}"#,
        "a".repeat(11 << 20)
    );
    let reply = post("/api/match", huge.as_bytes(), false);
    assert_eq!(reply.status, Some(413), "{}", reply.text);
    // The same without a Content-Length (chunked): cut off at the limit.
    let mut chunked =
        b"POST /api/match HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
            .to_vec();
    for chunk in huge.as_bytes().chunks(1 << 20) {
        chunked.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        chunked.extend_from_slice(chunk);
        chunked.extend_from_slice(b"\r\n");
    }
    chunked.extend_from_slice(b"0\r\n\r\n");
    let reply = raw(&server, &chunked, Duration::from_secs(60));
    assert_eq!(reply.status, Some(413), "{}", reply.text);
    // A bulk body with one hostile line: that line gets an error line, the others results.
    let bulk = format!(
        "{}\n{}\n{}\n",
        r#"{"id":"D-1","title":"xử lý nước thải"}"#,
        "[".repeat(100_000),
        r#"{"id":"D-3","title":"máy sấy"}"#
    );
    let reply = server.post("/api/match/bulk", &bulk);
    assert_eq!(reply.status, 200, "{}", reply.body);
    let lines: Vec<serde_json::Value> = reply
        .body
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3, "{}", reply.body);
    assert_eq!(lines[0]["demand_id"], "D-1");
    assert!(lines[1]["error"].is_object(), "{}", reply.body);
    assert_eq!(lines[2]["demand_id"], "D-3");
    assert_eq!(server.get("/readyz").json()["documents"], 340);
    assert_alive(&server);
}

#[test]
fn slow_and_idle_clients_are_cut_off_without_blocking_others() {
    let (_dir, server) = start_strict();
    // Slowloris: headers one line every 300 ms, never finished.
    let slow = {
        let addr = addr(&server);
        std::thread::spawn(move || {
            let started = Instant::now();
            let mut stream = connect(&addr, Duration::from_millis(300));
            let _ = stream.write_all(b"GET /api/search?q=a HTTP/1.1\r\nHost: x\r\n");
            let mut buffer = [0u8; 1024];
            while started.elapsed() < Duration::from_secs(20) {
                if stream.write_all(b"X-Slow: 1\r\n").is_err() {
                    break;
                }
                match stream.read(&mut buffer) {
                    Ok(_) => break,
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                    Err(e) if e.kind() == std::io::ErrorKind::TimedOut => {}
                    Err(_) => break,
                }
            }
            started.elapsed()
        })
    };
    // An idle connection that never sends a byte.
    let idle = {
        let addr = addr(&server);
        std::thread::spawn(move || {
            let started = Instant::now();
            let mut stream = connect(&addr, Duration::from_secs(20));
            let mut buffer = [0u8; 64];
            let _ = stream.read(&mut buffer);
            started.elapsed()
        })
    };
    // A body that stops half-way: 408 once it has been quiet for the header timeout.
    let stalled = {
        let addr = addr(&server);
        std::thread::spawn(move || {
            let started = Instant::now();
            let mut stream = connect(&addr, Duration::from_secs(20));
            stream
                .write_all(b"POST /api/match HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"id\":")
                .unwrap();
            let mut text = String::new();
            let _ = stream.read_to_string(&mut text);
            (started.elapsed(), text)
        })
    };
    // Meanwhile, real requests are served at once.
    for _ in 0..5 {
        let started = Instant::now();
        assert_alive(&server);
        assert!(started.elapsed() < Duration::from_secs(5));
    }
    let slow = slow.join().unwrap();
    let idle = idle.join().unwrap();
    let (stalled, text) = stalled.join().unwrap();
    assert!(
        slow < Duration::from_secs(10),
        "slowloris held on for {slow:?}"
    );
    assert!(
        idle < Duration::from_secs(10),
        "an idle connection stayed {idle:?}"
    );
    assert!(
        stalled < Duration::from_secs(10),
        "a stalled body took {stalled:?}"
    );
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    assert!(text.contains("request_timeout"), "{text}");
    assert_alive(&server);
}

/// Requests pipelined by the client that stops reading: their answers (about 40 KB
/// each) are far more than the socket buffers hold.
const UNREAD_REQUESTS: usize = 400;

#[test]
fn a_client_that_stops_reading_is_cut_off() {
    let (_dir, server) = start_strict();
    let address: std::net::SocketAddr = addr(&server).parse().unwrap();
    let socket = socket2::Socket::new(
        socket2::Domain::for_address(address),
        socket2::Type::STREAM,
        None,
    )
    .unwrap();
    // A small fixed receive buffer: the kernel cannot grow it to swallow the answers.
    socket.set_recv_buffer_size(16 << 10).unwrap();
    socket.connect(&address.into()).unwrap();
    let mut stream: TcpStream = socket.into();
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let path = "/api/search?q=cong+nghe+xu+ly&size=100";
    // Computed once before, so every pipelined answer comes from the cache at once and
    // fills the buffers within the 4 s even on a loaded machine (a slow first search
    // could otherwise keep the server from ever waiting 1 s on this client).
    assert_eq!(server.get(path).status, 200);
    let request = format!("GET {path} HTTP/1.1\r\nHost: x\r\n\r\n");
    stream
        .write_all(request.repeat(UNREAD_REQUESTS).as_bytes())
        .unwrap();
    // The server fills the buffers, then waits 1 s for the client to take a byte; this
    // one takes none for 4 s.
    std::thread::sleep(Duration::from_secs(4));
    let started = Instant::now();
    let received = read_until_closed(&mut stream);
    let answered = String::from_utf8_lossy(&received)
        .matches("HTTP/1.1 200")
        .count();
    assert!(
        answered < UNREAD_REQUESTS,
        "the server kept the connection of a client that read nothing for 4 s and sent \
         all {answered} answers once it read"
    );
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_alive(&server);
}

#[test]
fn thousands_of_connections_are_bounded_and_the_server_recovers() {
    // Headers may take 30 s here, so the connections within the limit stay open while
    // the test counts.
    let (_dir, index) = index_copy();
    let flags: Vec<&str> = FLAGS
        .iter()
        .copied()
        .chain(["--header-timeout-secs", "30"])
        .collect();
    let server = Server::start(&index, &flags);
    let mut streams = Vec::new();
    for _ in 0..2000 {
        match TcpStream::connect(addr(&server)) {
            Ok(stream) => streams.push(stream),
            Err(error) => panic!("connect failed after {}: {error}", streams.len()),
        }
    }
    // Over the limit of 48, connections are answered 503 at once and closed.
    let deadline = Instant::now() + Duration::from_secs(20);
    let (mut refused, mut held) = (0, 0);
    for stream in &streams {
        let wait = deadline
            .saturating_duration_since(Instant::now())
            .max(Duration::from_millis(50));
        stream
            .set_read_timeout(Some(wait.min(Duration::from_secs(2))))
            .unwrap();
        let mut received = Vec::new();
        let mut buffer = [0u8; 512];
        loop {
            match (&*stream).read(&mut buffer) {
                Ok(0) => break,
                Ok(n) => received.extend_from_slice(&buffer[..n]),
                Err(_) => break,
            }
        }
        let text = String::from_utf8_lossy(&received);
        if text.starts_with("HTTP/1.1 503") {
            assert!(text.contains("too_many_connections"), "{text}");
            refused += 1;
        } else {
            assert!(text.is_empty(), "{text}");
            held += 1;
        }
    }
    assert_eq!(refused + held, 2000);
    assert!(
        held <= 48,
        "{held} connections were let in, over the limit of 48"
    );
    // Closing them frees the server at once.
    drop(streams);
    let started = Instant::now();
    loop {
        let reply = raw_get(&server, "/api/search?q=nuoc+thai&size=1");
        if reply.status == Some(200) {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{}",
            reply.text
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_alive(&server);
    assert!(server.logs().contains("too many open connections"));
}

#[test]
fn errors_show_no_internals_and_the_key_is_never_logged() {
    let (_dir, server) = start();
    let wrong = "wrong-key-9876543210";
    let replies = [
        server.get("/api/search?q=a&page=0"),
        server.get("/no/such/route"),
        server.get("/api/supplies/NO-SUCH-ID"),
        server.post("/api/match", "{"),
        send(
            ureq::post(&server.url("/api/supplies"))
                .set("Authorization", &format!("Bearer {wrong}")),
            Some(&supply_line("K-1", "khóa sai")),
        ),
        send(
            ureq::post(&server.url("/api/supplies")).set("Authorization", wrong),
            Some(&supply_line("K-1", "khóa sai")),
        ),
        server.write("POST", "/api/supplies", Some("{\"id\": 5}")),
        server.write(
            "POST",
            "/api/supplies",
            Some(&supply_line("K-2", "khóa đúng")),
        ),
        server.write("DELETE", "/api/supplies/K-2", None),
    ];
    let statuses: Vec<u16> = replies.iter().map(|r| r.status).collect();
    assert_eq!(statuses, [400, 404, 404, 400, 403, 401, 422, 201, 204]);
    for reply in &replies {
        assert_no_leak(&format!("status {}", reply.status), &reply.body);
        // Security headers on every response, errors included.
        assert_eq!(reply.header("x-content-type-options"), Some("nosniff"));
        assert_eq!(reply.header("x-frame-options"), Some("DENY"));
        assert_eq!(reply.header("referrer-policy"), Some("no-referrer"));
        let csp = reply.header("content-security-policy").unwrap_or_default();
        assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    }
    let logs = server.logs();
    assert!(
        logs.contains("supply") || logs.contains("request served"),
        "{logs}"
    );
    assert!(!logs.contains(KEY), "the key is in the log");
    assert!(!logs.contains(wrong), "a wrong key is in the log");
}

#[test]
fn sigkill_during_api_writes_leaves_the_last_commit() {
    let (_dir, index) = index_copy();
    let before = doc_count(&index);
    let mut server = Server::start(&index, &["--api-key", KEY]);
    let acknowledged = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let url = server.url("/api/supplies");
        let acknowledged = acknowledged.clone();
        let stop = stop.clone();
        std::thread::spawn(move || {
            for round in 0.. {
                if stop.load(Ordering::SeqCst) {
                    break;
                }
                let result = ureq::post(&url)
                    .set("Authorization", &format!("Bearer {KEY}"))
                    .timeout(Duration::from_secs(60))
                    .send_string(&batch(&format!("KILL{round:03}"), 150));
                match result {
                    Ok(response) if response.status() == 201 => {
                        acknowledged.fetch_add(1, Ordering::SeqCst);
                    }
                    _ => break,
                }
            }
        })
    };
    // Kill once two batches are acknowledged, with the third most likely in flight.
    let started = Instant::now();
    while acknowledged.load(Ordering::SeqCst) < 2 && started.elapsed() < Duration::from_secs(120) {
        std::thread::sleep(Duration::from_millis(5));
    }
    std::thread::sleep(Duration::from_millis(150));
    server.child.kill().unwrap();
    server.child.wait().unwrap();
    stop.store(true, Ordering::SeqCst);
    writer.join().unwrap();
    let acknowledged = acknowledged.load(Ordering::SeqCst) as u64;
    assert!(acknowledged >= 2);

    // Every acknowledged batch is there, the one cut short entirely or not at all.
    let after = doc_count(&index);
    assert_eq!(
        (after - before) % 150,
        0,
        "{before} -> {after}: a batch was torn"
    );
    let batches = (after - before) / 150;
    assert!(
        batches == acknowledged || batches == acknowledged + 1,
        "{acknowledged} acknowledged, {batches} in the index"
    );
    // The killed server's lock does not outlive it: a new one writes at once.
    let restarted = Server::start(&index, &["--api-key", KEY]);
    assert_eq!(restarted.get("/readyz").json()["documents"], after);
    let reply = restarted.write(
        "POST",
        "/api/supplies",
        Some(&supply_line("AFTER-1", "sau sự cố")),
    );
    assert_eq!(reply.status, 201, "{}", reply.body);
    assert_eq!(reply.json()["documents"], after + 1);
}

#[test]
fn a_second_writer_is_told_the_index_is_locked() {
    let (_dir, index) = index_copy();
    let server = Server::start(&index, &["--api-key", KEY]);
    let output = techmatch()
        .arg("index")
        .arg("--index")
        .arg(&index)
        .arg(bundled_supplies())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(stderr.contains("is locked by another writer"), "{stderr}");
    assert!(stderr.contains("techmatch serve"), "{stderr}");
    assert_eq!(server.get("/readyz").json()["documents"], 340);
}

/// Whether this machine lets an unprivileged test mount a tmpfs in a private namespace.
fn can_mount_tmpfs() -> bool {
    Command::new("unshare")
        .args(["-rm", "sh", "-c", "mount -t tmpfs -o size=1m tmpfs /mnt"])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// A full disk in the middle of an API write: 507, nothing of the write is kept, every
/// earlier commit is, the server goes on serving, and later writes work once space is
/// free. The index (1.7 MiB) lives on a 2 MiB tmpfs in a private mount namespace (`unshare -rm`),
/// so the test needs no root and leaves no mount behind. Where user namespaces are off,
/// run the manual procedure in README.md ("A full disk") instead.
#[test]
fn a_full_disk_fails_the_write_cleanly_and_loses_nothing() {
    assert!(
        can_mount_tmpfs(),
        "this machine cannot mount a tmpfs in a user namespace (unshare -rm); \
         see README.md, 'A full disk', for the manual procedure"
    );
    let (dir, index) = index_copy();
    let mount = dir.path().join("small-disk");
    std::fs::create_dir(&mount).unwrap();
    let script = format!(
        "set -e; mount -t tmpfs -o size=2m tmpfs '{m}'; cp -r '{i}' '{m}/idx'; \
         exec '{t}' serve --index '{m}/idx' --addr 127.0.0.1:0 --api-key '{KEY}'",
        m = mount.display(),
        i = index.display(),
        t = env!("CARGO_BIN_EXE_techmatch"),
    );
    let mut command = Command::new("unshare");
    command.args(["-rm", "sh", "-c", &script]);
    let server = Server::spawn(command);
    // Far more than the ~0.8 MB the bundled index leaves free: 15,000 of these records
    // make an index of ~1.6 MB (3,000 fitted once the exact bigrams were no longer indexed,
    // and the write then succeeded).
    let big = batch("FULL", 15_000);
    let reply = server.write("POST", "/api/supplies", Some(&big));
    let head: String = reply.body.chars().take(300).collect();
    assert_eq!(reply.status, 507, "{head}");
    assert_eq!(reply.json()["error"]["code"], "disk_full");
    assert_no_leak("disk full", &reply.body);
    assert_eq!(server.get("/readyz").json()["documents"], 340);
    assert_alive(&server);
    // The failed write's files were deleted: a small write fits again.
    let reply = server.write(
        "POST",
        "/api/supplies",
        Some(&supply_line("SMALL-1", "ghi nhỏ")),
    );
    assert_eq!(reply.status, 201, "{}", reply.body);
    assert_eq!(reply.json()["documents"], 341);
    let found = server.get("/api/supplies/SMALL-1");
    assert_eq!(found.status, 200, "{}", found.body);
}
