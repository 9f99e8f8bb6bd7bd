//! `techmatch serve`: every endpoint and error status, CORS, writes visible to search, and a
//! clean index after SIGTERM in the middle of a write. Each test starts its own server on a
//! free loopback port (`--addr 127.0.0.1:0`) and kills it on drop.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::common::{assert_in_score_order, build_bundled_index, doc_count, repo, techmatch};

const KEY: &str = "test-key-0123456789";

/// Settings that must not leak into the tests from the environment.
const ENV: [&str; 11] = [
    "TECHMATCH_DATA_DIR",
    "TECHMATCH_READ_ONLY",
    "STATE_DIRECTORY",
    "TECHMATCH_API_KEY",
    "TECHMATCH_CONFIG",
    "TECHMATCH_INDEX",
    "TECHMATCH_ADDR",
    "TECHMATCH_SEED",
    "TECHMATCH_CORS_ORIGINS",
    "TECHMATCH_MAX_BODY_BYTES",
    "TECHMATCH_LOG_FORMAT",
];

/// A `techmatch serve` child process on a free loopback port; killed on drop.
struct Server {
    child: Child,
    base: String,
    stderr: Arc<Mutex<String>>,
}

impl Server {
    /// Starts a server on `index` with extra flags, in `cwd` (default: the repository).
    fn start_in(cwd: Option<&Path>, index: Option<&Path>, flags: &[&str]) -> Server {
        let mut command = techmatch();
        command.arg("serve").args(["--addr", "127.0.0.1:0"]);
        if let Some(index) = index {
            command.arg("--index").arg(index);
        }
        command
            .args(flags)
            .current_dir(cwd.map_or_else(repo, Path::to_path_buf));
        Server::spawn(command)
    }

    /// Runs `command` (which starts `techmatch serve`, maybe through a wrapper) and waits
    /// for the server to say where it listens.
    fn spawn(mut command: std::process::Command) -> Server {
        command
            .env("TECHMATCH_LOG", "info")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for name in ENV {
            command.env_remove(name);
        }
        let mut child = command.spawn().expect("techmatch serve starts");
        let stderr = Arc::new(Mutex::new(String::new()));
        let mut err = child.stderr.take().unwrap();
        let sink = stderr.clone();
        std::thread::spawn(move || {
            let mut buffer = [0u8; 4096];
            while let Ok(n) = err.read(&mut buffer) {
                if n == 0 {
                    break;
                }
                sink.lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&buffer[..n]));
            }
        });
        let (sender, receiver) = mpsc::channel();
        let stdout = child.stdout.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(addr) = line.strip_prefix("techmatch listening on ") {
                    let _ = sender.send(addr.to_string());
                }
            }
        });
        let base = match receiver.recv_timeout(Duration::from_secs(60)) {
            Ok(base) => base,
            Err(_) => {
                child.kill().ok();
                panic!(
                    "the server did not start: {}",
                    stderr.lock().unwrap().as_str()
                );
            }
        };
        assert!(base.starts_with("http://127.0.0.1:"), "{base}");
        Server {
            child,
            base,
            stderr,
        }
    }

    fn start(index: &Path, flags: &[&str]) -> Server {
        Server::start_in(None, Some(index), flags)
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn get(&self, path: &str) -> Reply {
        send(ureq::get(&self.url(path)), None)
    }

    fn post(&self, path: &str, body: &str) -> Reply {
        send(ureq::post(&self.url(path)), Some(body))
    }

    fn write(&self, method: &str, path: &str, body: Option<&str>) -> Reply {
        let request =
            ureq::request(method, &self.url(path)).set("Authorization", &format!("Bearer {KEY}"));
        send(request, body)
    }

    fn logs(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// Sends SIGTERM and waits for the exit; panics if it takes more than `limit`.
    fn terminate(&mut self, limit: Duration) -> std::process::ExitStatus {
        let status = std::process::Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(started.elapsed() < limit, "no exit after SIGTERM");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.child.kill().ok();
        self.child.wait().ok();
    }
}

/// A response: status, headers (names lowercase), body.
struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Asserts an error response: status, JSON error code, and a message containing `words`.
    fn assert_error(&self, status: u16, code: &str, words: &str) {
        assert_eq!(self.status, status, "{}", self.body);
        let body = self.json();
        assert_eq!(body["error"]["code"], code, "{}", self.body);
        let message = body["error"]["message"].as_str().unwrap();
        assert!(message.contains(words), "{message:?} lacks {words:?}");
    }
}

fn send(request: ureq::Request, body: Option<&str>) -> Reply {
    let request = request.timeout(Duration::from_secs(120));
    let result = match body {
        Some(body) => request.send_string(body),
        None => request.call(),
    };
    let response = match result {
        Ok(response) => response,
        Err(ureq::Error::Status(_, response)) => response,
        Err(error) => panic!("request failed: {error}"),
    };
    let status = response.status();
    let headers = response
        .headers_names()
        .into_iter()
        .map(|name| {
            let value = response.header(&name).unwrap_or_default().to_string();
            (name, value)
        })
        .collect();
    let body = response.into_string().unwrap();
    Reply {
        status,
        headers,
        body,
    }
}

/// The bundled index, built once; tests serve copies of it.
fn bundled_index() -> &'static Path {
    static INDEX: OnceLock<PathBuf> = OnceLock::new();
    INDEX.get_or_init(|| {
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("http-bundled-index-{}", std::process::id()));
        std::fs::remove_dir_all(&dir).ok();
        build_bundled_index(&dir);
        dir
    })
}

/// A private copy of the bundled index (a server with writes takes the writer lock).
fn index_copy() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let index = dir.path().join("idx");
    std::fs::create_dir(&index).unwrap();
    for entry in std::fs::read_dir(bundled_index()).unwrap() {
        let entry = entry.unwrap();
        if entry.file_type().unwrap().is_file() && entry.file_name() != ".tantivy-writer.lock" {
            std::fs::copy(entry.path(), index.join(entry.file_name())).unwrap();
        }
    }
    (dir, index)
}

fn supply_line(id: &str, title: &str) -> String {
    json!({
        "id": id,
        "title": title,
        "summary": "Thiết bị xử lý nước thải sinh hoạt dạng hợp khối cho khu dân cư nhỏ.",
        "description": "Hệ thống gồm bể điều hòa, bể sinh học hiếu khí giá thể di động, bể lắng và khử trùng; công suất 20 m3/ngày; nước sau xử lý đạt QCVN 14:2008/BTNMT.",
        "keywords": ["xử lý nước thải", "MBBR"],
        "sector": "environment",
        "country": "VN",
        "trl": 7,
        "transfer": ["sale", "training"],
        "updated": "2024-05-01"
    })
    .to_string()
}

fn batch(prefix: &str, count: usize) -> String {
    (0..count)
        .map(|i| {
            supply_line(
                &format!("{prefix}-{i:05}"),
                &format!("Trạm xử lý nước thải mẫu số {i}"),
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn serve_with_no_arguments_builds_the_index_from_the_bundled_data() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("index-data")).unwrap();
    for file in ["supplies.jsonl", "demands.jsonl"] {
        std::fs::copy(
            repo().join("index-data").join(file),
            dir.path().join("index-data").join(file),
        )
        .unwrap();
    }
    let server = Server::start_in(Some(dir.path()), None, &[]);
    assert!(dir.path().join("data/index/meta.json").exists());
    assert!(
        server.logs().contains("no index yet: building it"),
        "{}",
        server.logs()
    );
    let reply = server.get("/api/search?q=nuoc+thai");
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert!(reply.json()["total"].as_u64().unwrap() > 0);
    // The seed's demands are the demand side of the first start.
    assert!(dir.path().join("data/index.demands/meta.json").exists());
    let demands = server.get("/api/search?q=nuoc+thai&kind=demands").json();
    assert!(demands["total"].as_u64().unwrap() > 0, "{demands}");
    assert_eq!(demands["hits"][0]["kind"], "demand");
}

#[test]
fn totals_above_the_cap_are_flagged_as_lower_bounds() {
    let server = Server::start(bundled_index(), &["--total-cap", "3"]);
    let body = server.get("/api/search?q=nuoc+thai").json();
    assert_eq!(body["total"], 3, "{body}");
    assert_eq!(body["total_is_lower_bound"], true, "{body}");
    // The hits and facets still come from every matching record.
    assert!(body["hits"].as_array().unwrap().len() > 3, "{body}");
    let counted: u64 = body["facets"]["lang"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["count"].as_u64().unwrap())
        .sum();
    assert!(counted > 3, "{body}");
    let exact = server.get("/api/search?q=qqzzxxw").json();
    assert_eq!(exact["total_is_lower_bound"], false, "{exact}");
}

#[test]
fn search_returns_hits_with_snippets_and_facets() {
    let server = Server::start(bundled_index(), &[]);
    let body = server.get("/api/search?q=nuoc+thai").json();
    assert!(body["total"].as_u64().unwrap() >= 5, "{body}");
    let first = &body["hits"][0];
    assert!(
        first["snippet_html"].as_str().unwrap().contains("<mark>"),
        "{first}"
    );
    assert!(first["score"].as_f64().unwrap() > 0.0);
    assert!(!body["facets"]["sector"].as_array().unwrap().is_empty());

    let filtered = server
        .get("/api/search?q=nuoc+thai&sector=environment,energy&trl_min=5&size=3&sort=updated")
        .json();
    assert!(filtered["hits"].as_array().unwrap().len() <= 3);
    for hit in filtered["hits"].as_array().unwrap() {
        let sector = hit["record"]["sector"].as_str().unwrap();
        assert!(["environment", "energy"].contains(&sector), "{sector}");
        assert!(hit["record"]["trl"].as_u64().unwrap() >= 5);
    }
    let repeated = server
        .get("/api/search?q=nuoc+thai&sector=environment&sector=energy&trl_min=5&size=3&sort=updated")
        .json();
    assert_eq!(repeated["total"], filtered["total"]);
    let page2 = server.get("/api/search?q=nuoc+thai&page=2&size=2").json();
    assert_eq!(page2["hits"][0]["rank"], 3);
}

#[test]
fn bad_search_parameters_are_400_naming_the_parameter() {
    let server = Server::start(bundled_index(), &[]);
    server
        .get("/api/search?q=x&size=500")
        .assert_error(400, "bad_request", "size");
    server
        .get("/api/search?q=x&trl_min=high")
        .assert_error(400, "bad_request", "trl_min");
    server
        .get("/api/search?q=x&sort=price")
        .assert_error(400, "bad_request", "sort");
    server
        .get("/api/search?q=x&sectr=energy")
        .assert_error(400, "bad_request", "sectr");
    server
        .get("/api/search?q=x&sector=outer_space")
        .assert_error(400, "bad_request", "sector");
    server
        .get("/api/search?q=x&page=0")
        .assert_error(400, "bad_request", "page");
    let long = "a".repeat(600);
    server
        .get(&format!("/api/search?q={long}"))
        .assert_error(400, "bad_request", "q:");
}

#[test]
fn suggest_completes_what_was_typed() {
    let server = Server::start(bundled_index(), &[]);
    let body = server.get("/api/suggest?q=may+say").json();
    let suggestions = body["suggestions"].as_array().unwrap();
    assert!(!suggestions.is_empty(), "{body}");
    assert!(suggestions
        .iter()
        .all(|s| s["html"].as_str().unwrap().contains("<mark>")));
    server
        .get("/api/suggest?q=may&limit=0")
        .assert_error(400, "bad_request", "limit");
}

#[test]
fn match_explains_the_best_supplies_for_one_demand() {
    let server = Server::start(bundled_index(), &[]);
    let demand = json!({
        "id": "D-1",
        "title": "Cần hệ thống xử lý nước thải cho xưởng chế biến thủy sản",
        "description": "Nước thải nhiều dầu mỡ và đạm, 50 m3/ngày, cần đạt QCVN 11.",
        "sector": "environment"
    });
    let reply = server.post("/api/match?top=10", &demand.to_string());
    assert_eq!(reply.status, 200, "{}", reply.body);
    let body = reply.json();
    assert_eq!(body["demand_id"], "D-1");
    let matches = body["matches"].as_array().unwrap();
    assert!(matches.len() >= 3 && matches.len() <= 10);
    assert_in_score_order(&body);
    assert!(matches[0]["score"].as_f64().unwrap() > 0.0);
    assert!(matches[0]["explanation"]["matched_terms"].is_object());
    server
        .post("/api/match?min_score=101", &demand.to_string())
        .assert_error(400, "bad_request", "min_score");

    server
        .post("/api/match", "{\"id\": \"D-1\", \"title\": ")
        .assert_error(400, "malformed_json", "not valid JSON");
    server
        .post("/api/match", "[1, 2]")
        .assert_error(400, "malformed_json", "JSON object");
    let invalid = server.post("/api/match", r#"{"id": "D-2", "sector": "energy"}"#);
    invalid.assert_error(422, "invalid_record", "field title");
    assert_eq!(invalid.json()["error"]["field"], "title");
    server
        .post("/api/match?top=0", &demand.to_string())
        .assert_error(400, "bad_request", "top");
}

#[test]
fn bulk_match_streams_one_line_per_demand_in_input_order() {
    let server = Server::start(bundled_index(), &[]);
    let input = [
        json!({"id": "B-1", "title": "Máy sấy cà phê bằng bơm nhiệt"}).to_string(),
        json!({"id": "B-2", "description": "no title"}).to_string(),
        "{not json".to_string(),
        json!({"id": "B-4", "title": "Biogas cho trang trại heo"}).to_string(),
    ]
    .join("\n");
    let reply = server.post("/api/match/bulk?top=2", &input);
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.header("content-type"), Some("application/x-ndjson"));
    let lines: Vec<Value> = reply
        .body
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 4, "{}", reply.body);
    assert_eq!(lines[0]["demand_id"], "B-1");
    assert!(lines[0]["matches"].as_array().unwrap().len() <= 2);
    assert_eq!(lines[1]["error"]["code"], "invalid_demand");
    assert_eq!(lines[1]["error"]["field"], "title");
    assert_eq!(lines[1]["line"], 2);
    assert_eq!(lines[2]["line"], 3);
    assert_eq!(lines[3]["demand_id"], "B-4");
    assert_in_score_order(&lines[0]);
    assert_in_score_order(&lines[3]);

    let csv = send(
        ureq::post(&server.url("/api/match/bulk?top=2")).set("Accept", "text/csv"),
        Some(&input),
    );
    assert_eq!(csv.status, 200);
    assert!(csv.header("content-type").unwrap().starts_with("text/csv"));
    let rows: Vec<&str> = csv.body.lines().collect();
    assert!(
        rows[0].starts_with("demand_id,demand_title,rank,supply_id"),
        "{}",
        rows[0]
    );
    assert!(rows[1].starts_with("B-1,"), "{}", rows[1]);
    assert!(csv.body.contains("B-2,") && csv.body.contains("error: line 2: field title"));
    let by_param = server.post("/api/match/bulk?format=csv&top=2", &input);
    assert_eq!(by_param.body, csv.body);
    server
        .post("/api/match/bulk?format=xml", &input)
        .assert_error(400, "bad_request", "format");
}

#[test]
fn supplies_are_fetched_by_id() {
    let server = Server::start(bundled_index(), &[]);
    let reply = server.get("/api/supplies/TS-0001");
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.json()["id"], "TS-0001");
    server
        .get("/api/supplies/TS-9999")
        .assert_error(404, "not_found", "TS-9999");
    server
        .get("/api/supplies/bad%20id")
        .assert_error(400, "bad_request", "id");
}

#[test]
fn without_a_key_the_write_api_is_disabled() {
    let server = Server::start(bundled_index(), &[]);
    let line = supply_line("W-1", "Máy lọc nước");
    server
        .write("POST", "/api/supplies", Some(&line))
        .assert_error(403, "writes_disabled", "writes are disabled");
    server
        .write("DELETE", "/api/supplies/TS-0001", None)
        .assert_error(403, "writes_disabled", "writes are disabled");
}

#[test]
fn writes_need_the_right_key_and_are_searchable_at_once() {
    let (_dir, index) = index_copy();
    let server = Server::start(&index, &["--api-key", KEY]);
    let line = supply_line(
        "W-1",
        "Thiết bị khử mặn nước biển năng lượng mặt trời Zyxoquat",
    );
    server
        .post("/api/supplies", &line)
        .assert_error(401, "unauthorized", "Bearer");
    let wrong = send(
        ureq::post(&server.url("/api/supplies")).set("Authorization", "Bearer not-the-key"),
        Some(&line),
    );
    wrong.assert_error(403, "forbidden", "not valid");

    let reply = server.write("POST", "/api/supplies", Some(&line));
    assert_eq!(reply.status, 201, "{}", reply.body);
    assert_eq!(reply.json()["documents"], 341);
    // Searched right after the reply, long before the reader's own file watcher would
    // reload (no clock asserted: a loaded machine may take more than a second to write).
    let found = server.get("/api/search?q=zyxoquat").json();
    assert_eq!(found["hits"][0]["id"], "W-1", "{found}");
    assert!(!server.logs().contains(KEY), "the key must never be logged");
}

#[test]
fn invalid_records_are_422_naming_the_field_and_nothing_is_written() {
    let (_dir, index) = index_copy();
    let server = Server::start(&index, &["--api-key", KEY]);
    let bad = json!({"id": "W-2", "title": "Lò hơi", "trl": 15}).to_string();
    let reply = server.write("POST", "/api/supplies", Some(&bad));
    reply.assert_error(422, "invalid_record", "field trl");
    assert_eq!(reply.json()["error"]["field"], "trl");

    let lines = format!(
        "{}\n{}\n{bad}",
        supply_line("W-3", "Một"),
        supply_line("W-4", "Hai")
    );
    let reply = server.write("POST", "/api/supplies", Some(&lines));
    reply.assert_error(422, "invalid_record", "line 3: field trl");
    server
        .get("/api/supplies/W-3")
        .assert_error(404, "not_found", "W-3");
    server
        .write("POST", "/api/supplies", Some("{\"id\": "))
        .assert_error(400, "malformed_json", "not valid JSON");
    let jsonl = format!("{}\n{{oops", supply_line("W-5", "Ba"));
    server
        .write("POST", "/api/supplies", Some(&jsonl))
        .assert_error(400, "malformed_json", "line 2");

    let ok = format!(
        "{}\n{}",
        supply_line("W-3", "Một"),
        supply_line("W-4", "Hai")
    );
    let reply = server.write("POST", "/api/supplies", Some(&ok));
    assert_eq!(reply.status, 201, "{}", reply.body);
    assert_eq!(reply.json()["indexed"], 2);
    assert_eq!(reply.json()["documents"], 342);
}

#[test]
fn put_and_delete_replace_and_remove_by_id() {
    let (_dir, index) = index_copy();
    let server = Server::start(&index, &["--api-key", KEY]);
    let record = json!({"title": "Máy ép viên nén mùn cưa", "sector": "energy"}).to_string();
    let created = server.write("PUT", "/api/supplies/P-1", Some(&record));
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(created.json()["id"], "P-1");
    let replaced = server.write(
        "PUT",
        "/api/supplies/P-1",
        Some(&json!({"id": "P-1", "title": "Máy ép viên nén trấu"}).to_string()),
    );
    assert_eq!(replaced.status, 200, "{}", replaced.body);
    assert_eq!(
        server.get("/api/supplies/P-1").json()["title"],
        "Máy ép viên nén trấu"
    );
    server
        .write(
            "PUT",
            "/api/supplies/P-1",
            Some(&json!({"id": "P-2", "title": "x"}).to_string()),
        )
        .assert_error(400, "bad_request", "differs");
    server
        .write(
            "PUT",
            "/api/supplies/P-1",
            Some(&json!({"title": ""}).to_string()),
        )
        .assert_error(422, "invalid_record", "field title");

    let deleted = server.write("DELETE", "/api/supplies/P-1", None);
    assert_eq!(deleted.status, 204, "{}", deleted.body);
    server
        .get("/api/supplies/P-1")
        .assert_error(404, "not_found", "P-1");
    server
        .write("DELETE", "/api/supplies/P-1", None)
        .assert_error(404, "not_found", "P-1");
}

#[test]
fn oversized_bodies_are_413() {
    let (_dir, index) = index_copy();
    let server = Server::start(
        &index,
        &[
            "--api-key",
            KEY,
            "--max-body-bytes",
            "2000",
            "--max-bulk-body-bytes",
            "4000",
        ],
    );
    let big = json!({"id": "D-1", "title": "x".repeat(3000)}).to_string();
    server
        .post("/api/match", &big)
        .assert_error(413, "payload_too_large", "2000 bytes");
    server
        .write("PUT", "/api/supplies/X-1", Some(&big))
        .assert_error(413, "payload_too_large", "2000 bytes");
    let lines = batch("X", 20);
    server
        .write("POST", "/api/supplies", Some(&lines))
        .assert_error(413, "payload_too_large", "4000 bytes");
    server
        .post("/api/match/bulk", &lines)
        .assert_error(413, "payload_too_large", "4000 bytes");
    // A client still sending a large body reads the 413 (the server drains what it refused
    // instead of resetting the connection under the client's feet).
    let huge = batch("H", 4000);
    assert!(huge.len() > 2_000_000);
    server
        .post("/api/match/bulk", &huge)
        .assert_error(413, "payload_too_large", "4000 bytes");
    // The bulk limit applies to the bulk endpoints only.
    let reply = server.post("/api/match/bulk", &big);
    assert_eq!(reply.status, 200, "{}", reply.body);
}

#[test]
fn cors_preflight_allows_only_the_configured_origins() {
    let server = Server::start(
        bundled_index(),
        &["--cors-origin", "https://portal.example.vn"],
    );
    let preflight = |origin: &str| {
        send(
            ureq::request("OPTIONS", &server.url("/api/search"))
                .set("Origin", origin)
                .set("Access-Control-Request-Method", "GET"),
            None,
        )
    };
    let allowed = preflight("https://portal.example.vn");
    assert_eq!(allowed.status, 200, "{}", allowed.body);
    assert_eq!(
        allowed.header("access-control-allow-origin"),
        Some("https://portal.example.vn")
    );
    assert!(allowed
        .header("access-control-allow-methods")
        .unwrap()
        .contains("GET"));
    let other = preflight("https://evil.example");
    assert_eq!(other.header("access-control-allow-origin"), None);
    let simple = send(
        ureq::get(&server.url("/api/search?q=biogas")).set("Origin", "https://portal.example.vn"),
        None,
    );
    assert_eq!(
        simple.header("access-control-allow-origin"),
        Some("https://portal.example.vn")
    );
}

#[test]
fn health_metrics_openapi_and_unknown_routes() {
    let server = Server::start(bundled_index(), &[]);
    assert_eq!(server.get("/healthz").json()["status"], "ok");
    let ready = server.get("/readyz").json();
    assert_eq!(ready["status"], "ready");
    assert_eq!(ready["documents"], 340);

    server.get("/api/search?q=biogas");
    server.get("/api/supplies/TS-0001");
    let metrics = server.get("/metrics");
    assert_eq!(metrics.status, 200);
    let text = metrics.body;
    assert!(
        text.contains(r#"http_requests_total{method="GET",route="/api/search",status="200"} 1"#),
        "{text}"
    );
    assert!(text.contains(r#"route="/api/supplies/{id}""#), "{text}");
    assert!(
        text.contains("http_request_duration_seconds_bucket"),
        "{text}"
    );
    assert!(text.contains("techmatch_documents 340"), "{text}");
    assert!(
        text.contains("techmatch_last_commit_timestamp_seconds 1"),
        "{text}"
    );

    let openapi = server.get("/openapi.json").json();
    assert!(openapi["openapi"].as_str().unwrap().starts_with("3."));
    for path in [
        "/api/search",
        "/api/suggest",
        "/api/match",
        "/api/match/bulk",
        "/api/supplies",
        "/api/supplies/{id}",
        "/healthz",
        "/readyz",
        "/metrics",
    ] {
        assert!(openapi["paths"][path].is_object(), "{path} missing");
    }
    let search_response = &openapi["components"]["schemas"]["SearchResponse"];
    assert!(search_response.is_object());
    // The capped total and the words made optional are described.
    for field in ["total", "total_is_lower_bound", "relaxed", "optional_words"] {
        assert!(
            search_response["properties"][field].is_object(),
            "SearchResponse.{field} missing"
        );
    }
    assert!(
        search_response["properties"]["total_is_lower_bound"]["description"]
            .as_str()
            .unwrap_or_default()
            .contains("10,000+")
    );

    server
        .get("/nowhere")
        .assert_error(404, "not_found", "no such endpoint");
    let page = server.get("/");
    assert_eq!(page.status, 200, "/ is the portal page (tests/browser.rs)");
    assert_eq!(
        page.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    server
        .post("/api/search", "{}")
        .assert_error(405, "method_not_allowed", "not allowed");

    let gz = send(
        ureq::get(&server.url("/openapi.json")).set("Accept-Encoding", "gzip"),
        None,
    );
    assert_eq!(gz.header("content-encoding"), Some("gzip"));
    assert!(server.get("/healthz").header("x-request-id").is_some());
}

#[test]
fn repeated_searches_come_from_the_cache_until_a_commit() {
    let (_dir, index) = index_copy();
    let server = Server::start(&index, &["--api-key", KEY]);
    let path = "/api/search?q=tr%E1%BA%A1m+x%E1%BB%AD+l%C3%BD&size=3";
    let first = server.get(path);
    assert_eq!(first.header("x-cache"), Some("miss"));
    let second = server.get(path);
    assert_eq!(second.header("x-cache"), Some("hit"));
    assert_eq!(first.json()["hits"], second.json()["hits"]);
    assert_eq!(first.json()["facets"], second.json()["facets"]);
    // Another page is another answer.
    assert_eq!(
        server.get(&format!("{path}&page=2")).header("x-cache"),
        Some("miss")
    );
    let suggest = "/api/suggest?q=xu+ly+nu";
    assert_eq!(server.get(suggest).header("x-cache"), Some("miss"));
    assert_eq!(server.get(suggest).header("x-cache"), Some("hit"));

    // A commit makes every cached answer stale.
    let reply = server.write("POST", "/api/supplies", Some(&batch("CACHE", 3)));
    assert_eq!(reply.status, 201, "{}", reply.body);
    let third = server.get(path);
    assert_eq!(third.header("x-cache"), Some("miss"));
    assert_eq!(
        third.json()["total"].as_u64().unwrap(),
        first.json()["total"].as_u64().unwrap() + 3
    );
    assert_eq!(server.get(suggest).header("x-cache"), Some("miss"));
    let metrics = server.get("/metrics").body;
    assert!(
        metrics.contains(r#"techmatch_cache_lookups_total{cache="search",result="hit"} 1"#),
        "{metrics}"
    );
    // The reader's file watcher reloads once more after a commit (tantivy waits ~500 ms);
    // that reload sees the same segments, so what was cached after the commit stays.
    std::thread::sleep(std::time::Duration::from_millis(1500));
    assert_eq!(server.get(path).header("x-cache"), Some("hit"));
    assert_eq!(server.get(suggest).header("x-cache"), Some("hit"));

    // --cache-mb 0 turns it off.
    drop(server);
    let uncached = Server::start(&index, &["--cache-mb", "0", "--api-key", KEY]);
    uncached.get(path);
    assert_eq!(uncached.get(path).header("x-cache"), Some("miss"));
    // Without the cache too, a commit is visible to the next search (one word: no word
    // can become optional as the counts change).
    let one_word = "/api/search?q=tr%E1%BA%A1m&size=3";
    let before = uncached.get(one_word).json()["total"].as_u64().unwrap();
    let reply = uncached.write("POST", "/api/supplies", Some(&batch("NOCACHE", 2)));
    assert_eq!(reply.status, 201, "{}", reply.body);
    assert_eq!(
        uncached.get(one_word).json()["total"].as_u64().unwrap(),
        before + 2
    );
    // A deletion too, though the record's segment (and its remembered record sets) stays:
    // the facets lose it as well.
    let lang_count = |reply: &Value| -> u64 {
        reply["facets"]["lang"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v["count"].as_u64().unwrap())
            .sum()
    };
    let shown = uncached.get(one_word).json();
    let reply = uncached.write("DELETE", "/api/supplies/NOCACHE-00000", None);
    assert!(reply.status < 300, "{} {}", reply.status, reply.body);
    let after = uncached.get(one_word).json();
    assert_eq!(after["total"].as_u64().unwrap(), before + 1);
    assert_eq!(lang_count(&after), lang_count(&shown) - 1);
}

#[test]
fn searches_never_fail_during_a_bulk_write() {
    let (_dir, index) = index_copy();
    let server = Server::start(&index, &["--api-key", KEY]);
    let done = Arc::new(AtomicBool::new(false));
    let url = server.url("/api/search?q=nuoc+thai&size=5");
    let searcher = {
        let done = done.clone();
        std::thread::spawn(move || {
            let mut searches = 0;
            while !done.load(Ordering::SeqCst) {
                let reply = send(ureq::get(&url), None);
                assert_eq!(reply.status, 200, "{}", reply.body);
                assert!(reply.json()["total"].as_u64().unwrap() > 0);
                searches += 1;
            }
            searches
        })
    };
    let reply = server.write("POST", "/api/supplies", Some(&batch("BULK", 800)));
    done.store(true, Ordering::SeqCst);
    assert_eq!(reply.status, 201, "{}", reply.body);
    let searches = searcher.join().expect("no search failed");
    assert!(searches > 0);
    assert_eq!(server.get("/readyz").json()["documents"], 1140);
}

#[test]
fn sigterm_during_a_bulk_write_leaves_a_consistent_index() {
    let (_dir, index) = index_copy();
    let before = doc_count(&index);
    let mut server = Server::start(&index, &["--api-key", KEY]);
    let url = server.url("/api/supplies");
    let body = batch("TERM", 3000);
    let writer = std::thread::spawn(move || {
        // The connection may be cut by the shutdown: any outcome is fine, the index is what
        // is checked.
        let _ = ureq::post(&url)
            .set("Authorization", &format!("Bearer {KEY}"))
            .timeout(Duration::from_secs(120))
            .send_string(&body);
    });
    // Wait until the write is in flight.
    let started = Instant::now();
    while !server.logs().contains("writing supplies") && started.elapsed() < Duration::from_secs(30)
    {
        std::thread::sleep(Duration::from_millis(5));
    }
    std::thread::sleep(Duration::from_millis(50));
    let status = server.terminate(Duration::from_secs(60));
    assert!(status.success(), "exit {status:?}: {}", server.logs());
    assert!(
        server.logs().contains("index closed at a clean commit"),
        "{}",
        server.logs()
    );
    writer.join().unwrap();

    let after = doc_count(&index);
    assert!(
        after == before || after == before + 3000,
        "{before} -> {after}"
    );
    let restarted = Server::start(&index, &["--api-key", KEY]);
    let ready = restarted.get("/readyz").json();
    assert_eq!(ready["documents"], after);
}

mod hostile;

#[test]
fn settings_come_from_flags_then_environment_then_file_then_defaults() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("techmatch.toml");
    std::fs::write(
        &file,
        "addr = \"127.0.0.1:9001\"\nmax_page_size = 40\ncache_mb = 11\nconcurrency_limit = 9\n",
    )
    .unwrap();
    let output = crate::common::techmatch()
        .args(["serve", "--print-config", "--config"])
        .arg(&file)
        .args(["--addr", "127.0.0.1:9003"])
        .env("TECHMATCH_ADDR", "127.0.0.1:9002")
        .env("TECHMATCH_MAX_PAGE_SIZE", "30")
        .env("TECHMATCH_API_KEY", "s3cret-from-env")
        .env_remove("TECHMATCH_CACHE_MB")
        .env_remove("TECHMATCH_CONCURRENCY_LIMIT")
        .env_remove("TECHMATCH_MAX_CONNECTIONS")
        .output()
        .unwrap();
    let (stdout, stderr) = crate::common::texts(&output);
    assert!(output.status.success(), "{stderr}");
    let printed: toml::Table = toml::from_str(&stdout).unwrap();
    assert_eq!(
        printed["addr"].as_str(),
        Some("127.0.0.1:9003"),
        "flag over env and file"
    );
    assert_eq!(
        printed["max_page_size"].as_integer(),
        Some(30),
        "env over file"
    );
    assert_eq!(
        printed["cache_mb"].as_integer(),
        Some(11),
        "file over default"
    );
    assert_eq!(
        printed["concurrency_limit"].as_integer(),
        Some(9),
        "file over default"
    );
    assert_eq!(
        printed["max_connections"].as_integer(),
        Some(1024),
        "default"
    );
    assert!(!stdout.contains("s3cret"), "the key is printed: {stdout}");
    assert_eq!(printed["api_key"].as_str(), Some("<redacted>"));

    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "max_page_sise = 40\n").unwrap();
    let output =
        crate::common::run(&["serve", "--print-config", "--config", bad.to_str().unwrap()]);
    let (_, stderr) = crate::common::texts(&output);
    assert!(!output.status.success());
    assert!(
        stderr.contains("unknown setting 'max_page_sise'"),
        "{stderr}"
    );
}

#[test]
fn an_installed_binary_serves_from_any_directory_with_only_a_data_dir() {
    // `cargo install --path . --root TMP` puts the release binary in TMP/bin; copying the
    // binary under test there is the same install without a second build.
    let root = tempfile::tempdir().unwrap();
    let bin = root.path().join("bin/techmatch");
    std::fs::create_dir_all(bin.parent().unwrap()).unwrap();
    std::fs::copy(env!("CARGO_BIN_EXE_techmatch"), &bin).unwrap();
    let data = root.path().join("state");
    let elsewhere = root.path().join("elsewhere");
    std::fs::create_dir_all(&elsewhere).unwrap();
    let mut command = std::process::Command::new(&bin);
    command
        .args(["serve", "--addr", "127.0.0.1:0", "--data-dir"])
        .arg(&data)
        .current_dir(&elsewhere);
    let server = Server::spawn(command);
    let reply = server.get("/api/search?q=nuoc+thai&size=3");
    assert_eq!(reply.status, 200, "{}", reply.body);
    let body = reply.json();
    assert!(body["total"].as_u64().unwrap() > 0, "{body}");
    assert_eq!(body["hits"].as_array().unwrap().len(), 3);
    assert!(
        server.logs().contains("the bundled collection"),
        "{}",
        server.logs()
    );
    assert!(data.join("index/meta.json").is_file());
    // The bundled demands came with the bundled supplies; no temporary file is left.
    let demands = server.get("/api/search?q=ca+phe&kind=demands").json();
    assert!(demands["total"].as_u64().unwrap() > 0, "{demands}");
    assert!(data.join("index.demands/meta.json").is_file());
    let left: Vec<_> = std::fs::read_dir(&data)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        left.iter().all(|name| !name.contains("bundled")),
        "{left:?}"
    );
    assert_eq!(
        std::fs::read_dir(&elsewhere).unwrap().count(),
        0,
        "wrote into the working directory"
    );
}

/// `techmatch index --index INDEX FILE`, which must succeed.
fn index_file(index: &Path, file: &Path) {
    let output = crate::common::run(&[
        "index",
        "--index",
        index.to_str().unwrap(),
        file.to_str().unwrap(),
    ]);
    let (_, stderr) = crate::common::texts(&output);
    assert!(output.status.success(), "{stderr}");
}

#[test]
fn a_read_only_replica_follows_the_writer_and_snapshots_hold_one_commit() {
    let (dir, index) = index_copy();
    let replica = Server::start(&index, &["--read-only", "--api-key", KEY]);
    replica
        .write("DELETE", "/api/supplies/TS-0001", None)
        .assert_error(403, "read_only", "read-only replica");
    assert_eq!(replica.get("/api/supplies/TS-0001").status, 200);

    // A record written by another process is found through the replica (the reader's
    // file watcher reloads ~0.5 s after a commit; 10 s leaves room for a loaded machine).
    let file = dir.path().join("one.jsonl");
    std::fs::write(
        &file,
        supply_line("RO-1", "Lò hơi đốt trấu cho nhà máy xay xát"),
    )
    .unwrap();
    index_file(&index, &file);
    let committed = Instant::now();
    loop {
        if replica.get("/api/supplies/RO-1").status == 200 {
            break;
        }
        assert!(
            committed.elapsed() < Duration::from_secs(10),
            "the replica did not see the commit within 10 s"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let found = replica.get("/api/search?q=lo+hoi+dot+trau");
    assert!(found.body.contains("RO-1"), "{}", found.body);

    // Snapshots taken while a writer commits batches of 10 hold whole commits only.
    let base = doc_count(&index);
    let writing = Arc::new(AtomicBool::new(true));
    let writer = {
        let (index, dir, writing) = (index.clone(), dir.path().to_path_buf(), writing.clone());
        std::thread::spawn(move || {
            for round in 0..12 {
                let file = dir.join(format!("batch-{round}.jsonl"));
                std::fs::write(&file, batch(&format!("B{round}"), 10)).unwrap();
                index_file(&index, &file);
            }
            writing.store(false, Ordering::SeqCst);
        })
    };
    let mut sizes = Vec::new();
    let mut taken = 0;
    while writing.load(Ordering::SeqCst) || taken < 3 {
        let out = dir.path().join(format!("snapshot-{taken}"));
        let output = crate::common::run(&[
            "snapshot",
            "--index",
            index.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--json",
        ]);
        let (stdout, stderr) = crate::common::texts(&output);
        assert!(output.status.success(), "{stderr}");
        let reported: Value = serde_json::from_str(&stdout).unwrap();
        let records = doc_count(&out);
        assert_eq!(reported["records"].as_u64(), Some(records));
        assert!(reported["linked"].as_u64().unwrap() > 0, "{stdout}");
        assert!(
            records >= base && (records - base).is_multiple_of(10),
            "{records} records: not one commit's"
        );
        sizes.push(records);
        taken += 1;
    }
    writer.join().unwrap();
    assert!(sizes.windows(2).all(|w| w[0] <= w[1]), "{sizes:?}");
    eprintln!("snapshots held {sizes:?} records ({base} before the writes)");
}

#[test]
fn the_example_config_lists_every_setting_and_is_valid() {
    let example = repo().join("deploy/techmatch.toml");
    let text = std::fs::read_to_string(&example).unwrap();
    let output = crate::common::run(&[
        "serve",
        "--config",
        example.to_str().unwrap(),
        "--print-config",
    ]);
    let (stdout, stderr) = crate::common::texts(&output);
    assert!(output.status.success(), "{stderr}");
    let printed: toml::Table = toml::from_str(&stdout).unwrap();
    let example_keys: toml::Table = toml::from_str(&text).unwrap();
    for (key, value) in &example_keys {
        assert_eq!(
            &printed[key], value,
            "{key}: the example is not the default"
        );
    }
    // The optional settings are printed only when set; the example shows them commented.
    let optional = ["data_dir", "index", "seed", "api_key", "glossary"];
    let keys = printed
        .keys()
        .map(String::as_str)
        .chain(optional)
        .collect::<Vec<_>>();
    for key in keys {
        assert!(
            text.contains(&format!("\n{key} = ")) || text.contains(&format!("\n# {key} = ")),
            "deploy/techmatch.toml does not list {key}"
        );
    }
}

/// A supply of the bundled kind, sent by one source.
fn sourced_supply(id: &str, source: &str, extra: Value) -> String {
    let mut record = json!({
        "id": id,
        "title": "Lò đốt rác thải y tế Qwertzuiop không khói 50 kg/giờ",
        "summary": "Lò đốt hai buồng cho bệnh viện tuyến huyện, khí thải đạt QCVN 02:2012/BTNMT.",
        "description": "Buồng sơ cấp đốt rác ở 800 °C, buồng thứ cấp đốt khí ở 1.050 °C với thời gian lưu trên 2 giây; tháp hấp thụ kiềm khử HCl và SO2; vận hành bán tự động, tiêu thụ 8 lít dầu DO mỗi giờ. Đã lắp đặt tại 14 bệnh viện ở Nghệ An và Hà Tĩnh.",
        "sector": "environment",
        "owner": "Trung tâm Công nghệ Môi trường Bắc Trung Bộ",
        "trl": 8,
        "source": source,
        "source_id": format!("{source}-{id}"),
    });
    for (key, value) in extra.as_object().unwrap() {
        record[key] = value.clone();
    }
    record.to_string()
}

#[test]
fn duplicates_fold_into_one_card_and_inactive_records_leave_results_at_their_commit() {
    let (_dir, index) = index_copy();
    let server = Server::start(&index, &["--api-key", KEY]);
    // The same technology from two connection points, the second typed without diacritics.
    let original = sourced_supply("LD-1", "techmart-hanoi", json!({}));
    let retyped: Value = serde_json::from_str(&original).unwrap();
    let fold = |v: &Value| techmatch_analysis::fold_diacritics(v.as_str().unwrap());
    let retyped = sourced_supply(
        "LD-2",
        "diem-ket-noi-nghe-an",
        json!({"title": fold(&retyped["title"]), "summary": fold(&retyped["summary"]),
               "description": fold(&retyped["description"])}),
    );
    let other = sourced_supply(
        "LD-3",
        "techmart-hanoi",
        json!({"title": "Lò hơi đốt trấu Qwertzuiop 2 tấn hơi/giờ",
               "summary": "Lò hơi tầng sôi đốt trấu cho nhà máy xay xát.",
               "description": "Lò hơi ống nước tuần hoàn tự nhiên, áp suất 10 bar, buồng đốt tầng sôi, cấp trấu bằng vít tải; tro bay thu bằng cyclon chùm và lọc túi."}),
    );
    let body = [original, retyped, other].join("\n");
    let reply = server.write("POST", "/api/supplies", Some(&body));
    assert_eq!(reply.status, 201, "{}", reply.body);

    let search = |params: &str| {
        server
            .get(&format!("/api/search?q=qwertzuiop{params}"))
            .json()
    };
    let folded = search("");
    let ids: Vec<&str> = folded["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids.len(),
        2,
        "one card for LD-1/LD-2, one for LD-3: {folded}"
    );
    let card = folded["hits"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["id"] == "LD-1" || h["id"] == "LD-2")
        .expect("the cluster's card");
    let also = &card["also_listed"][0];
    assert!(also["id"] == "LD-1" || also["id"] == "LD-2", "{card}");
    assert_ne!(also["id"], card["id"]);
    assert!(also["source"].is_string(), "{card}");
    assert_eq!(folded["total"], 3, "the total counts records");
    let all = search("&show_duplicates=true");
    assert_eq!(all["hits"].as_array().unwrap().len(), 3, "{all}");
    assert!(all["hits"][0]["also_listed"].is_null());
    let joined = all["hits"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|h| h["duplicate_of"] == "LD-1" || h["duplicate_of"] == "LD-2")
        .count();
    assert_eq!(
        joined, 1,
        "one of the two joined the other's cluster: {all}"
    );
    // Facet and filter by source.
    let sources = &folded["facets"]["source"];
    assert!(
        sources
            .as_array()
            .unwrap()
            .iter()
            .any(|v| v["value"] == "techmart-hanoi" && v["count"] == 2),
        "{sources}"
    );
    let from_nghe_an = search("&source=diem-ket-noi-nghe-an");
    assert_eq!(from_nghe_an["hits"][0]["id"], "LD-2", "{from_nghe_an}");

    // Matching folds the cluster the same way.
    let demand =
        json!({"id": "D-LD", "title": "Cần lò đốt rác thải y tế Qwertzuiop cho bệnh viện huyện"})
            .to_string();
    let matched = server.post("/api/match?top=10", &demand).json();
    let in_cluster = |body: &Value| {
        body["matches"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|m| m["supply_id"] == "LD-1" || m["supply_id"] == "LD-2")
            .count()
    };
    assert_eq!(in_cluster(&matched), 1, "{matched}");
    assert_in_score_order(&matched);
    let every = server
        .post("/api/match?top=10&show_duplicates=true", &demand)
        .json();
    assert_eq!(in_cluster(&every), 2, "{every}");

    // Suggestions: the two sources' title once, the other offer's title.
    let suggested = |server: &Server| -> Vec<String> {
        server.get("/api/suggest?q=qwertzuiop").json()["suggestions"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| s["kind"] == "title")
            .map(|s| s["id"].as_str().unwrap().to_string())
            .collect()
    };
    let titles = suggested(&server);
    assert_eq!(titles.len(), 2, "{titles:?}");
    assert!(titles.contains(&"LD-3".to_string()), "{titles:?}");

    // Withdrawn at its commit, cache or not: the cached answer belongs to the old index.
    assert_eq!(
        server
            .get("/api/search?q=qwertzuiop&show_duplicates=true")
            .header("x-cache"),
        Some("hit")
    );
    let withdrawn = sourced_supply("LD-3", "techmart-hanoi", json!({"status": "withdrawn"}));
    let reply = server.write("PUT", "/api/supplies/LD-3", Some(&withdrawn));
    assert_eq!(reply.status, 200, "{}", reply.body);
    let after = search("&show_duplicates=true");
    let ids: Vec<&str> = after["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["id"].as_str().unwrap())
        .collect();
    assert!(!ids.contains(&"LD-3"), "{after}");
    assert!(!suggested(&server).contains(&"LD-3".to_string()));
    let asked = search("&show_duplicates=true&include_inactive=true");
    assert_eq!(asked["total"], 3, "{asked}");

    // Expired on its date: shown through its last day, hidden from the next.
    let expiring = sourced_supply(
        "LD-9",
        "vista-can-tho",
        json!({"expires": "2031-06-30",
        "title": "Máy phân loại hạt điều Qwertzuiop bằng camera",
        "summary": "Phân loại nhân điều theo màu và vết nứt.",
        "description": "Camera màu tốc độ cao và van khí nén loại hạt lỗi, 2 tấn/giờ."}),
    );
    let reply = server.write("POST", "/api/supplies", Some(&expiring));
    assert_eq!(reply.status, 201, "{}", reply.body);
    let on = |day: &str| {
        let body = search(&format!("&show_duplicates=true&as_of={day}"));
        body["hits"]
            .as_array()
            .unwrap()
            .iter()
            .any(|h| h["id"] == "LD-9")
    };
    assert!(on("2031-06-30"));
    assert!(!on("2031-07-01"));
    assert!(search("").to_string().contains("LD-9"), "not expired today");
    server
        .get("/api/search?q=x&as_of=2031-02-30")
        .assert_error(400, "bad_request", "as_of");
}

/// The bundled supply TS-0001 (a heat-pump coffee dryer) as one JSON object.
fn bundled_supply(id: &str) -> String {
    std::fs::read_to_string(repo().join("index-data/supplies.jsonl"))
        .unwrap()
        .lines()
        .find(|l| l.contains(&format!("\"id\": \"{id}\"")))
        .unwrap()
        .to_string()
}

#[test]
fn demands_are_written_searched_and_matched_over_http() {
    let (_dir, index) = index_copy();
    let server = Server::start(&index, &["--api-key", KEY]);
    let demands = std::fs::read_to_string(repo().join("index-data/demands.jsonl")).unwrap();

    // Writes need the key, as for supplies; an invalid demand names its field. (One line:
    // the server answers 401 without reading a body, and a client still sending a large
    // one can see the connection closed under it.)
    let first = demands.lines().next().unwrap();
    server
        .post("/api/demands", first)
        .assert_error(401, "unauthorized", "Bearer");
    let bad = json!({"id": "X-1", "title": "Cần lò sấy", "trl_min": 12}).to_string();
    server
        .write("POST", "/api/demands", Some(&bad))
        .assert_error(422, "invalid_record", "field trl_min");
    let reply = server.write("POST", "/api/demands", Some(&demands));
    assert_eq!(reply.status, 201, "{}", reply.body);
    assert_eq!(reply.json()["indexed"], 160);
    assert_eq!(reply.json()["documents"], 160);

    // Read back in the demand contract.
    let d001 = server.get("/api/demands/D001").json();
    assert_eq!(
        d001["enterprise"], "HTX Nông nghiệp Cà phê Ea Tân",
        "{d001}"
    );
    assert_eq!(d001["trl_min"], 7);
    assert_eq!(d001["source_event"], "Techmart Tây Nguyên 2025");
    assert!(d001.get("owner").is_none(), "{d001}");

    // kind=demands searches the demands; the default stays on the supplies.
    let found = server.get("/api/search?q=say+ca+phe&kind=demands").json();
    assert_eq!(found["kind"], "demands");
    let hits = found["hits"].as_array().unwrap();
    assert!(!hits.is_empty(), "{found}");
    assert!(hits.iter().all(|h| h["kind"] == "demand"));
    assert!(hits.iter().any(|h| h["id"] == "D001"), "{found}");
    assert!(
        hits.iter().all(|h| h["id"] != "D071"),
        "D071 is closed: {found}"
    );
    let hit = hits.iter().find(|h| h["id"] == "D001").unwrap();
    assert_eq!(hit["record"]["enterprise"], "HTX Nông nghiệp Cà phê Ea Tân");
    let supplies = server.get("/api/search?q=say+ca+phe").json();
    assert!(supplies["hits"]
        .as_array()
        .unwrap()
        .iter()
        .all(|h| h["id"].as_str().unwrap().starts_with("TS-")));

    // kind=both merges them and counts each kind.
    let both = server
        .get("/api/search?q=say+ca+phe&kind=both&size=20")
        .json();
    let kinds = both["facets"]["kind"].as_array().unwrap();
    let count = |kind: &str| {
        kinds.iter().find(|k| k["value"] == kind).unwrap()["count"]
            .as_u64()
            .unwrap()
    };
    assert_eq!(count("supplies"), supplies["total"].as_u64().unwrap());
    assert_eq!(count("demands"), found["total"].as_u64().unwrap());
    assert_eq!(
        both["total"].as_u64().unwrap(),
        count("supplies") + count("demands")
    );
    let merged = both["hits"].as_array().unwrap();
    assert!(merged.iter().any(|h| h["kind"] == "supply"));
    assert!(merged.iter().any(|h| h["kind"] == "demand"));
    let scores: Vec<f64> = merged
        .iter()
        .map(|h| h["score"].as_f64().unwrap())
        .collect();
    assert!(scores.windows(2).all(|w| w[0] >= w[1]), "{scores:?}");
    server
        .get("/api/search?q=x&kind=offers")
        .assert_error(400, "bad_request", "kind");
    let bare = server
        .get("/api/search?q=say+ca+phe&kind=both&facets=false")
        .json();
    assert_eq!(bare["facets"], json!({}), "{bare}");
    assert_eq!(bare["total"], both["total"]);

    // A supply against the demands: D001 first, its constraints checked against the offer.
    let matched = server.post("/api/match?against=demands", &bundled_supply("TS-0001"));
    assert_eq!(matched.status, 200, "{}", matched.body);
    let result = matched.json();
    assert_eq!(result["supply_id"], "TS-0001");
    assert_eq!(result["matches"][0]["demand_id"], "D001", "{result}");
    let constraints = result["matches"][0]["explanation"]["constraints"]
        .as_array()
        .unwrap();
    assert!(constraints
        .iter()
        .any(|c| c["constraint"] == "trl_min" && c["met"] == true));
    assert_in_score_order(&result);

    // Many supplies at once, streamed back in input order (an invalid one says why).
    let body = format!(
        "{}\n{}\n{}",
        bundled_supply("TS-0001"),
        json!({"id": "S-BAD", "title": "Máy", "trl": 42}),
        bundled_supply("TS-0153")
    );
    let reply = server.post("/api/match/bulk?against=demands", &body);
    assert_eq!(reply.status, 200, "{}", reply.body);
    let lines: Vec<Value> = reply
        .body
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3, "{}", reply.body);
    assert_eq!(lines[0]["supply_id"], "TS-0001");
    assert_eq!(lines[1]["error"]["code"], "invalid_supply", "{}", lines[1]);
    assert_eq!(lines[1]["line"], 2);
    assert_eq!(lines[2]["supply_id"], "TS-0153");
    let csv = server.post("/api/match/bulk?against=demands&format=csv", &body);
    assert_eq!(csv.status, 200, "{}", csv.body);
    let header = csv.body.lines().next().unwrap();
    assert!(
        header.starts_with("supply_id,supply_title,rank,demand_id"),
        "{header}"
    );
    assert!(header.contains("constraints"), "{header}");

    // Closing a demand takes it out of matches and searches at once.
    let mut closed: Value = serde_json::from_str(
        std::fs::read_to_string(repo().join("index-data/demands.jsonl"))
            .unwrap()
            .lines()
            .next()
            .unwrap(),
    )
    .unwrap();
    closed["status"] = "closed".into();
    let reply = server.write("PUT", "/api/demands/D001", Some(&closed.to_string()));
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.json()["status"], "closed");
    let result = server
        .post("/api/match?against=demands", &bundled_supply("TS-0001"))
        .json();
    assert!(
        result["matches"]
            .as_array()
            .unwrap()
            .iter()
            .all(|m| m["demand_id"] != "D001"),
        "{result}"
    );
    let found = server.get("/api/search?q=say+ca+phe&kind=demands").json();
    assert!(found["hits"]
        .as_array()
        .unwrap()
        .iter()
        .all(|h| h["id"] != "D001"));

    // Delete.
    assert_eq!(
        server.write("DELETE", "/api/demands/D002", None).status,
        204
    );
    server
        .get("/api/demands/D002")
        .assert_error(404, "not_found", "no demand with id 'D002'");
    assert!(!server.logs().contains(KEY));
}
