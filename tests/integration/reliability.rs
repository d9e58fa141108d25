//! Reliability on hostile or unlucky input, through the built dashboard binary: it never
//! writes over an input, never hides a failed write, never hangs on a FIFO or a device,
//! keeps memory bounded whatever the files claim or contain, keeps every message on one
//! line, and refuses periods and instants it could not print.
//!
//! Every run is a child process under an address-space limit (`ulimit -v`, so an
//! allocation from a file's declared size fails at once instead of eating the machine)
//! and a deadline (it is killed, and the test fails, if it hangs); its peak resident
//! memory (`VmHWM`) is polled while it runs and asserted.

use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use serde_json::Value;

/// The address space each run may use: 1 GiB (a 64 GB reservation fails at once).
const ADDRESS_SPACE_KB: u64 = 1 << 20;
/// The peak resident memory each run may reach.
const PEAK_RSS_KB: u64 = 300 << 10;
/// How long a run may take before it is killed as hung.
const DEADLINE: Duration = Duration::from_secs(90);

/// The dashboard example's executable, built once (dev profile).
fn binary() -> &'static Path {
    static BINARY: OnceLock<PathBuf> = OnceLock::new();
    BINARY.get_or_init(|| {
        let output = Command::new(env!("CARGO"))
            .args([
                "build",
                "--quiet",
                "--example",
                "dashboard",
                "--message-format=json",
                "--manifest-path",
            ])
            .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml"))
            .stderr(Stdio::inherit())
            .output()
            .expect("cargo build runs");
        assert!(output.status.success(), "building the dashboard failed");
        String::from_utf8_lossy(&output.stdout)
            .lines()
            .filter_map(|line| serde_json::from_str::<Value>(line).ok())
            .find(|m| m["reason"] == "compiler-artifact" && m["target"]["name"] == "dashboard")
            .and_then(|m| m["executable"].as_str().map(PathBuf::from))
            .expect("the dashboard's executable")
    })
}

/// What a run did.
struct Run {
    code: Option<i32>,
    stdout: Vec<u8>,
    stderr: String,
    /// Peak resident memory in KiB, as last seen.
    peak_kb: u64,
}

impl Run {
    /// The one line on stderr (asserting there is exactly one).
    fn message(&self) -> &str {
        let lines: Vec<&str> = self.stderr.lines().collect();
        assert_eq!(lines.len(), 1, "not one line: {:?}", self.stderr);
        assert!(
            !self.stderr.contains('\u{1b}') && !self.stderr.contains('\u{202e}'),
            "{:?}",
            self.stderr
        );
        lines[0]
    }

    /// The peak resident memory seen stayed under [`PEAK_RSS_KB`]. (A run that ends
    /// before the first poll shows no peak; the address-space limit still held it.)
    fn assert_bounded(&self) {
        assert!(
            self.peak_kb < PEAK_RSS_KB,
            "peak RSS {} KiB (limit {PEAK_RSS_KB} KiB); stderr {:?}",
            self.peak_kb,
            self.stderr
        );
    }
}

fn vm_hwm_kb(pid: u32) -> Option<u64> {
    let status = fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Runs the dashboard with `args` under the memory limit and the deadline; standard
/// output goes to `stdout` (a file by default).
fn run_with(args: &[&str], stdout: Option<Stdio>, scratch: &Path) -> Run {
    let out_path = scratch.join(format!("stdout-{}", unique()));
    let err_path = scratch.join(format!("stderr-{}", unique()));
    let captured = stdout.is_none();
    let stdout = stdout.unwrap_or_else(|| File::create(&out_path).unwrap().into());
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(format!("ulimit -v {ADDRESS_SPACE_KB} && exec \"$@\""))
        .arg("sh")
        .arg(binary())
        .args(args)
        .stdin(Stdio::null())
        .stdout(stdout)
        .stderr(File::create(&err_path).unwrap())
        .spawn()
        .expect("sh runs");
    let started = Instant::now();
    let mut peak_kb = 0;
    let status = loop {
        if let Some(kb) = vm_hwm_kb(child.id()) {
            peak_kb = peak_kb.max(kb);
        }
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > DEADLINE {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the dashboard hung: killed after {DEADLINE:?} ({args:?})");
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let run = Run {
        code: status.code(),
        stdout: if captured {
            fs::read(&out_path).unwrap_or_default()
        } else {
            Vec::new()
        },
        stderr: fs::read_to_string(&err_path).unwrap_or_default(),
        peak_kb,
    };
    let _ = fs::remove_file(out_path);
    let _ = fs::remove_file(err_path);
    run
}

fn run(args: &[&str], scratch: &Path) -> Run {
    run_with(args, None, scratch)
}

fn unique() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// A fresh folder under the system's temporary folder, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!(
            "crm-reliability-{name}-{}-{}",
            std::process::id(),
            unique()
        ));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    /// A data folder `data` inside, with these files.
    fn data(&self, files: &[(&str, &[u8])]) -> PathBuf {
        let dir = self.0.join("data");
        fs::create_dir_all(&dir).unwrap();
        for (name, bytes) in files {
            fs::write(dir.join(name), bytes).unwrap();
        }
        dir
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

const CUSTOMERS: &[u8] = b"id,created_at,source\nKH1,2026-11-02T03:00:00Z,pos\n";
const ORDERS: &[u8] =
    b"id,customer_id,created_at,status,total\nDH1,KH1,2026-11-03T03:00:00Z,completed,100\n";
const AS_OF: &str = "2026-11-15T03:00:00Z";

fn s(path: &Path) -> &str {
    path.to_str().expect("a UTF-8 temporary path")
}

#[test]
fn a_fifo_in_place_of_an_input_is_refused_without_hanging() {
    let scratch = Scratch::new("fifo");
    let dir = scratch.data(&[("customers.csv", CUSTOMERS), ("orders.csv", ORDERS)]);
    let fifo = dir.join("deals.csv");
    let made = Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo runs");
    assert!(made.success());
    // Opening a FIFO for reading waits for a writer: before the fix this never ended.
    let r = run(&[s(&dir), "--as-of", AS_OF], &scratch.0);
    assert_eq!(r.code, Some(2), "{}", r.stderr);
    assert_eq!(
        r.message(),
        format!(
            "dashboard: {}: not a regular file (a FIFO): input files must be regular files",
            fifo.display()
        )
    );
    r.assert_bounded();
    // The same FIFO as a saved view.
    let r = run(&["--view", s(&fifo), "--as-of", AS_OF], &scratch.0);
    assert_eq!(r.code, Some(2), "{}", r.stderr);
    assert!(
        r.message().contains("not a regular file (a FIFO)"),
        "{}",
        r.stderr
    );
    r.assert_bounded();
}

#[test]
fn a_device_as_an_input_or_a_view_is_refused() {
    let scratch = Scratch::new("device");
    let dir = scratch.data(&[("orders.csv", ORDERS)]);
    // /dev/zero never ends: before the fix memory grew at over 1 GB/s.
    std::os::unix::fs::symlink("/dev/zero", dir.join("customers.csv")).unwrap();
    let r = run(&[s(&dir), "--as-of", AS_OF], &scratch.0);
    assert_eq!(r.code, Some(2), "{}", r.stderr);
    assert_eq!(
        r.message(),
        format!(
            "dashboard: {}: not a regular file (a character device): input files must be regular files",
            dir.join("customers.csv").display()
        )
    );
    r.assert_bounded();
    let r = run(&["--view", "/dev/zero", "--as-of", AS_OF], &scratch.0);
    assert_eq!(r.code, Some(2), "{}", r.stderr);
    assert_eq!(
        r.message(),
        "dashboard: --view /dev/zero: not a regular file (a character device): input files must be regular files"
    );
    r.assert_bounded();
    // A directory where a file is expected.
    fs::remove_file(dir.join("customers.csv")).unwrap();
    fs::create_dir(dir.join("customers.csv")).unwrap();
    let r = run(&[s(&dir), "--as-of", AS_OF], &scratch.0);
    assert_eq!(r.code, Some(2), "{}", r.stderr);
    assert!(
        r.message()
            .ends_with("not a regular file (a directory): input files must be regular files")
    );
    // A view file over the size limit (1 MiB) names the file and the limit.
    let big = scratch.0.join("big-view.json");
    File::create(&big).unwrap().set_len((1 << 20) + 1).unwrap();
    let r = run(&["--view", s(&big), "--as-of", AS_OF], &scratch.0);
    assert_eq!(r.code, Some(2), "{}", r.stderr);
    assert_eq!(
        r.message(),
        format!(
            "dashboard: --view {}: the file is longer than the limit of 1048576 bytes",
            big.display()
        )
    );
    r.assert_bounded();
}

#[test]
fn out_onto_an_input_is_refused_and_the_input_is_unchanged() {
    let scratch = Scratch::new("out");
    let dir = scratch.data(&[("customers.csv", CUSTOMERS), ("orders.csv", ORDERS)]);
    let view = scratch.0.join("view.json");
    fs::write(
        &view,
        br#"{"name": "week", "filter": {"period": {"preset": "last_7_days"}}}"#,
    )
    .unwrap();
    let link = scratch.0.join("link.csv");
    std::os::unix::fs::symlink(dir.join("orders.csv"), &link).unwrap();
    let dotted = dir.join(".").join("customers.csv");
    for (out, input) in [
        (dir.join("customers.csv"), dir.join("customers.csv")),
        (dotted.clone(), dir.join("customers.csv")),
        (link.clone(), dir.join("orders.csv")),
        (dir.clone(), dir.clone()),
        (view.clone(), view.clone()),
    ] {
        let before = fs::read(&input).ok();
        let mut args = vec![s(&dir), "--as-of", AS_OF, "--out", s(&out)];
        if out == view {
            // The saved view is an input too.
            args.extend(["--view", s(&view)]);
        }
        let r = run(&args, &scratch.0);
        assert_eq!(r.code, Some(2), "{}: {}", out.display(), r.stderr);
        let message = r.message();
        assert!(
            message.starts_with(&format!(
                "dashboard: --out {} is an input of this run",
                out.display()
            )) && message.ends_with("refusing to write over it"),
            "{message}"
        );
        r.assert_bounded();
        assert_eq!(fs::read(&input).ok(), before, "{} changed", input.display());
    }
    // --rfm-out follows the same rule.
    let before = fs::read(dir.join("orders.csv")).unwrap();
    let rfm_out = dir.join("orders.csv");
    let r = run(
        &[s(&dir), "--as-of", AS_OF, "--rfm-out", s(&rfm_out)],
        &scratch.0,
    );
    assert_eq!(r.code, Some(2), "{}", r.stderr);
    assert!(
        r.message().starts_with(&format!(
            "dashboard: --rfm-out {} is an input",
            rfm_out.display()
        )),
        "{}",
        r.message()
    );
    assert_eq!(fs::read(dir.join("orders.csv")).unwrap(), before);
    // A report next to the data is fine, and replaces an older one through a renamed
    // temporary file: no temporary file is left behind.
    let report = scratch.0.join("report.json");
    fs::write(&report, "old").unwrap();
    let r = run(
        &[
            s(&dir),
            "--as-of",
            AS_OF,
            "--format",
            "json",
            "--out",
            s(&report),
        ],
        &scratch.0,
    );
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let json: Value = serde_json::from_slice(&fs::read(&report).unwrap()).unwrap();
    assert_eq!(json["data_quality"]["tables"]["customers"]["accepted"], 1);
    let leftovers: Vec<_> = fs::read_dir(&scratch.0)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    // Through a symbolic link, the file it points to is replaced, not the link.
    let latest = scratch.0.join("latest.json");
    std::os::unix::fs::symlink(&report, &latest).unwrap();
    fs::write(&report, "old").unwrap();
    let r = run(
        &[
            s(&dir),
            "--as-of",
            AS_OF,
            "--format",
            "json",
            "--out",
            s(&latest),
        ],
        &scratch.0,
    );
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert!(
        fs::symlink_metadata(&latest)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert!(fs::read_to_string(&report).unwrap().starts_with('{'));
    // A write that fails (the output is a folder) exits 2 with the reason.
    let folder = scratch.0.join("a-folder");
    fs::create_dir(&folder).unwrap();
    let r = run(
        &[s(&dir), "--as-of", AS_OF, "--out", s(&folder)],
        &scratch.0,
    );
    assert_eq!(r.code, Some(2), "{}", r.stderr);
    assert!(
        r.message().starts_with(&format!(
            "dashboard: --out {}: writing failed: ",
            folder.display()
        )),
        "{}",
        r.stderr
    );
}

#[test]
fn a_failing_stdout_is_an_error_and_a_closed_pipe_is_quiet() {
    let scratch = Scratch::new("stdout");
    let dir = scratch.data(&[("customers.csv", CUSTOMERS), ("orders.csv", ORDERS)]);
    // /dev/full: every write fails with ENOSPC. Before the fix: exit 0, no message.
    let full = fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap();
    let r = run_with(&[s(&dir), "--as-of", AS_OF], Some(full.into()), &scratch.0);
    assert_eq!(r.code, Some(2), "{}", r.stderr);
    assert_eq!(
        r.message(),
        "dashboard: writing standard output failed: No space left on device (os error 28)"
    );
    r.assert_bounded();
    // A pipe whose reader is gone (`| head` that exited): quiet, status 0.
    let mut child = Command::new(binary())
        .args([s(&dir), "--as-of", AS_OF])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&output.stderr), "");
}

#[test]
fn a_record_past_the_limit_is_rejected_and_later_rows_are_read() {
    let scratch = Scratch::new("long");
    let mut customers = CUSTOMERS.to_vec();
    // KH2's created_at is 17 MiB long: past the 16 MiB record limit.
    customers.extend_from_slice(b"KH2,");
    customers.resize(customers.len() + (17 << 20), b'7');
    customers.extend_from_slice(b",pos\nKH3,2026-11-04T03:00:00Z,pos\n");
    // A 300,000-character id with a bad date: its id is echoed cut, in every format.
    customers.extend(std::iter::repeat_n(b'K', 300_000));
    customers.extend_from_slice(b",yesterday,pos\n");
    let dir = scratch.data(&[("customers.csv", &customers), ("orders.csv", ORDERS)]);
    let r = run(&[s(&dir), "--as-of", AS_OF, "--format", "json"], &scratch.0);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    r.assert_bounded();
    let json: Value = serde_json::from_slice(&r.stdout).unwrap();
    let q = &json["data_quality"];
    assert_eq!(
        q["tables"]["customers"],
        serde_json::json!({"read": 4, "accepted": 2, "rejected": 2})
    );
    let rejected = q["rejected"].as_array().unwrap();
    assert_eq!(rejected[0]["line"], 3);
    assert_eq!(rejected[0]["id"], "KH2");
    assert_eq!(rejected[0]["reason"], "parse_error");
    let detail = rejected[0]["detail"].as_str().unwrap();
    assert!(
        detail.contains("longer than the limit of 16777216 bytes"),
        "{detail}"
    );
    assert_eq!(rejected[1]["line"], 5); // KH3 on line 4 was read after the long record
    let id = rejected[1]["id"].as_str().unwrap();
    assert_eq!(id, format!("{}…(300000 bytes)", "K".repeat(256)));
    assert!(r.stdout.len() < 100_000, "{} bytes of JSON", r.stdout.len());
    for format in ["text", "html"] {
        let r = run(&[s(&dir), "--as-of", AS_OF, "--format", format], &scratch.0);
        assert_eq!(r.code, Some(0), "{}", r.stderr);
        assert!(
            r.stdout.len() < 600_000,
            "{format}: {} bytes",
            r.stdout.len()
        );
        let text = String::from_utf8_lossy(&r.stdout);
        assert!(
            !text.contains(&"K".repeat(257)),
            "{format} echoes the whole id"
        );
        r.assert_bounded();
    }
}

#[test]
fn a_huge_sparse_file_is_read_in_bounded_memory() {
    let scratch = Scratch::new("sparse");
    let dir = scratch.data(&[("customers.csv", CUSTOMERS), ("orders.csv", ORDERS)]);
    // 64 GB of zeros after the rows, without using any disk: before the fix the process
    // aborted at once reserving rows from the file's size.
    for name in ["customers.csv", "interactions.csv"] {
        let path = dir.join(name);
        if name == "interactions.csv" {
            fs::write(&path, "id,customer_id,at,channel,kind,direction\n").unwrap();
        }
        let file = fs::OpenOptions::new().write(true).open(&path).unwrap();
        file.set_len(64 << 30).unwrap();
        drop(file);
        let r = run(&[s(&dir), "--as-of", AS_OF], &scratch.0);
        assert_eq!(r.code, Some(2), "{}", r.stderr);
        let line = if name == "customers.csv" { 3 } else { 2 };
        assert_eq!(
            r.message(),
            format!(
                "dashboard: reading {}: line {line} has no line end within 268435456 bytes: not CSV text",
                path.display()
            )
        );
        r.assert_bounded();
        if name == "customers.csv" {
            fs::write(&path, CUSTOMERS).unwrap();
        }
    }
}

#[test]
fn a_long_period_from_a_saved_view_or_the_command_line_is_refused() {
    let scratch = Scratch::new("period");
    let dir = scratch.data(&[("customers.csv", CUSTOMERS), ("orders.csv", ORDERS)]);
    let view = scratch.0.join("view.json");
    // ±50,000 years: before the fix, one daily row per day took 6 GB in 4 s.
    fs::write(
        &view,
        br#"{"name": "forever", "filter": {"period": {"custom": {"start": "-50000-01-01", "end": "+50000-12-31"}}}}"#,
    )
    .unwrap();
    let r = run(&[s(&dir), "--as-of", AS_OF, "--view", s(&view)], &scratch.0);
    assert_eq!(r.code, Some(2), "{}", r.stderr);
    // Refused before its length is looked at: a date in a view is exactly YYYY-MM-DD.
    let message = r.message();
    assert!(
        message.starts_with(&format!(
            "dashboard: --view {}: not a saved view: ",
            view.display()
        )) && message.contains("\"-50000-01-01\" is not a date YYYY-MM-DD"),
        "{message}"
    );
    r.assert_bounded();
    // A view within the years 0001-9999 but over 100 years long.
    fs::write(
        &view,
        br#"{"name": "all", "filter": {"period": {"custom": {"start": "0001-01-01", "end": "9999-12-31"}}}}"#,
    )
    .unwrap();
    let r = run(&[s(&dir), "--as-of", AS_OF, "--view", s(&view)], &scratch.0);
    assert_eq!(r.code, Some(2), "{}", r.stderr);
    assert!(
        r.message().contains("the longest period is 36525 days"),
        "{}",
        r.stderr
    );
    let r = run(
        &[
            s(&dir),
            "--as-of",
            AS_OF,
            "--from",
            "1900-01-01",
            "--to",
            "2026-11-15",
        ],
        &scratch.0,
    );
    assert_eq!(r.code, Some(2), "{}", r.stderr);
    assert_eq!(
        r.message(),
        "dashboard: period 1900-01-01 .. 2026-11-15 has 46340 days: the longest period is 36525 days (100 years)"
    );
    r.assert_bounded();
}

#[test]
fn control_characters_in_an_id_under_strict_stay_on_one_line() {
    let scratch = Scratch::new("control");
    // The same id twice: a newline, an ESC colour sequence and a right-to-left override.
    let customers = "id,created_at,source\n\
                     \"KH\n\u{1b}[31m\u{202e}1\",2026-11-02T03:00:00Z,pos\n\
                     \"KH\n\u{1b}[31m\u{202e}1\",2026-11-02T03:00:00Z,pos\n";
    let dir = scratch.data(&[
        ("customers.csv", customers.as_bytes()),
        ("orders.csv", ORDERS),
    ]);
    let r = run(&[s(&dir), "--as-of", AS_OF, "--strict"], &scratch.0);
    assert_eq!(r.code, Some(2), "{}", r.stderr);
    assert_eq!(
        r.message(),
        "dashboard: customers.csv line 4, column id: duplicate_id: KH\\n\\u{1b}[31m\\u{202e}1 is already claimed by an earlier row"
    );
    r.assert_bounded();
    // Leniently, the text report shows the id escaped too.
    let r = run(&[s(&dir), "--as-of", AS_OF], &scratch.0);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let text = String::from_utf8(r.stdout).unwrap();
    assert!(!text.contains('\u{1b}') && !text.contains('\u{202e}'));
    assert!(text.contains("KH\\n\\u{1b}[31m\\u{202e}1"), "{text}");
    // A path with a newline and an ESC in an I/O error.
    let odd = scratch.0.join("odd\n\u{1b}[2Jview.json");
    let r = run(&[s(&dir), "--as-of", AS_OF, "--view", s(&odd)], &scratch.0);
    assert_eq!(r.code, Some(2), "{}", r.stderr);
    assert!(
        r.message().contains("odd\\n\\u{1b}[2Jview.json"),
        "{}",
        r.stderr
    );
}

#[test]
fn as_of_outside_the_years_0001_to_9999_and_second_60_are_refused() {
    let scratch = Scratch::new("year");
    let dir = scratch.data(&[("customers.csv", CUSTOMERS), ("orders.csv", ORDERS)]);
    // 10000-01-01T11:59:59Z in UTC: the JSON printed `+10000-01-01T11:59:59Z`.
    let r = run(
        &[
            s(&dir),
            "--as-of",
            "9999-12-31T23:59:59-12:00",
            "--format",
            "json",
        ],
        &scratch.0,
    );
    assert_eq!(r.code, Some(2), "{}", r.stderr);
    assert_eq!(
        r.message(),
        "dashboard: as_of +10000-01-01T11:59:59Z is outside the years 0001 to 9999 in UTC"
    );
    assert!(r.stdout.is_empty());
    r.assert_bounded();
    // The data's grammar: second 60 is refused, as in a data row.
    let r = run(&[s(&dir), "--as-of", "2026-11-15T23:59:60Z"], &scratch.0);
    assert_eq!(r.code, Some(2), "{}", r.stderr);
    assert_eq!(
        r.message(),
        "dashboard: --as-of \"2026-11-15T23:59:60Z\": second out of range (a leap second is not allowed)"
    );
    // Within the range, every instant printed is RFC 3339 with a four-digit year.
    let r = run(
        &[
            s(&dir),
            "--as-of",
            "9999-12-01T00:00:00Z",
            "--format",
            "json",
        ],
        &scratch.0,
    );
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let json: Value = serde_json::from_slice(&r.stdout).unwrap();
    assert_eq!(json["as_of"], "9999-12-01T00:00:00Z");
}

#[test]
fn a_count_overflow_names_a_64_bit_count_not_a_decimal() {
    let scratch = Scratch::new("count");
    let big = i64::MAX;
    let fanpages = format!(
        "id,name,channel,activated,linked_accounts\n\
         FP1,A,facebook,true,{big}\nFP2,B,facebook,true,{big}\nFP3,C,facebook,true,{big}\n"
    );
    let dir = scratch.data(&[
        ("customers.csv", CUSTOMERS),
        ("orders.csv", ORDERS),
        ("fanpages.csv", fanpages.as_bytes()),
    ]);
    let r = run(&[s(&dir), "--as-of", AS_OF], &scratch.0);
    assert_eq!(r.code, Some(2), "{}", r.stderr);
    assert_eq!(
        r.message(),
        "dashboard: overflow computing social.linked_accounts: the count does not fit in a 64-bit unsigned integer"
    );
    r.assert_bounded();
}
