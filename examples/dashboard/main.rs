//! The `dashboard` example: a command line over the crm-metrics library (README.md lists
//! its flags; docs/input-format.md the files it reads, docs/metrics.md what it shows).
//!
//! ```text
//! cargo run --release --example dashboard -- [DATA_DIR] [--as-of RFC3339] [--tz ZONE]
//!     [--period PRESET | --from YYYY-MM-DD --to YYYY-MM-DD]
//!     [--source S]... [--product-type T]... [--fanpage F]...
//!     [--customer ID] [--strict] [--format text|json|html] [--out FILE] [--view FILE]
//!     [--compare previous_period|to_date|year_ago | --compare-from YYYY-MM-DD --compare-to YYYY-MM-DD]
//!     [--rfm-out FILE.csv] [--apply CHANGES_DIR]...
//! ```
//! `--format text` (the default) prints one screen per section; `--format json` prints
//! the report as one JSON object (exact decimals); `--format html --out report.html` writes one self-contained
//! page (inline CSS, SVG charts and a little script; nothing is fetched from the
//! network).
//! `--view FILE` reads a saved marketing view (JSON `{"name", "filter": {"period",
//! "sources", "product_types"}}`, [`crm_metrics::marketing::SavedView`]) whose filter
//! replaces `--period`/`--from`/`--to`/`--source`/`--product-type`.
//! Without DATA_DIR it reports on a generated sample whose history leads up to `--as-of`
//! (default: now), so the current month always has data. Every metric is computed by the
//! library; this file only parses arguments and prints. When rows were rejected, one line
//! on stderr (and the report's first lines) says how many. Exit status 2 on bad arguments
//! (clap's whole message, each line with control characters escaped), and with a one-line
//! message on a bad folder, a bad row under `--strict`, an output that names one of the
//! inputs, or a failed write (a full disk, a closed file). A closed pipe on standard
//! output (`| head`) is not a failure: the dashboard stops quietly with status 0.
//! `--out FILE` writes a temporary file beside FILE and renames it over FILE at the
//! end, so a failed run leaves the previous report as it was.

mod format;
mod html;
mod text;

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use chrono::{DateTime, NaiveDate, Utc};
use clap::{Parser, ValueEnum};
use crm_metrics::calendar::{BusinessCalendar, Compare, Period, PeriodSpec, Preset};
use crm_metrics::error::escape;
use crm_metrics::io::csv::{Progress, parse_timestamp, table_path};
use crm_metrics::io::file::{FileId, read_to_string_limited};
use crm_metrics::marketing::SavedView;
use crm_metrics::sample::SampleOptions;
use crm_metrics::{Dataset, DatasetBuilder, Report, ReportOptions, Table};

/// Customer-analytics dashboard over a folder of CSV files or a generated sample.
#[derive(Parser, Debug)]
#[command(
    name = "dashboard",
    version,
    about,
    after_help = "The CSV files, their columns and allowed values: docs/input-format.md.\n\
                  What every number means: docs/metrics.md."
)]
struct Args {
    /// Folder with customers.csv, orders.csv, ... (see docs/input-format.md), or a
    /// snapshot file written by --save-snapshot (told apart by its first bytes).
    /// Default: a generated sample.
    data_dir: Option<PathBuf>,
    /// The instant the report is computed at (RFC 3339 with an offset, as in the data).
    /// Default: now.
    #[arg(long)]
    as_of: Option<String>,
    /// Time zone: an offset like +07:00 or an IANA name like Europe/Berlin. Days, weeks
    /// and months are taken there, and timestamps without an offset in the files are
    /// local times there.
    #[arg(long, default_value = "+07:00", allow_hyphen_values = true)]
    tz: String,
    /// today, yesterday, this_week, last_week, this_month, last_month, this_year,
    /// last_7_days, last_28_days, last_30_days, last_90_days. Default: this_month.
    #[arg(long, conflicts_with_all = ["from", "to"])]
    period: Option<String>,
    /// First day of a custom period (YYYY-MM-DD), with --to.
    #[arg(long, requires = "to")]
    from: Option<String>,
    /// Last day of a custom period (YYYY-MM-DD), with --from.
    #[arg(long, requires = "from")]
    to: Option<String>,
    /// Marketing source filter (repeatable; none = all).
    #[arg(long = "source")]
    sources: Vec<String>,
    /// Product type filter (repeatable; none = all).
    #[arg(long = "product-type")]
    product_types: Vec<String>,
    /// Fanpage filter for the social section (repeatable; none = all).
    #[arg(long = "fanpage")]
    fanpages: Vec<String>,
    /// Show the profile of this customer id.
    #[arg(long)]
    customer: Option<String>,
    /// Stop at the first bad row instead of rejecting it.
    #[arg(long)]
    strict: bool,
    /// A folder of changes in the same CSV format, applied after DATA_DIR is built: new
    /// ids are inserted, known ids replace their rows (repeatable, applied in order;
    /// customers.csv and orders.csv may hold only their header).
    #[arg(long = "apply", value_name = "DIR", requires = "data_dir")]
    apply: Vec<PathBuf>,
    /// Output format: text (one screen per section), json (every number, exact) or html
    /// (one self-contained page with charts; use with --out).
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Decimals of money amounts in the text and HTML reports (rounded for display;
    /// JSON stays exact).
    #[arg(long, value_name = "N", default_value_t = 0,
          value_parser = clap::value_parser!(u32).range(0..=8))]
    money_decimals: u32,
    /// Write the output to this file instead of standard output.
    #[arg(long)]
    out: Option<PathBuf>,
    /// A saved view (JSON {"name", "filter"}) whose filter replaces the period, sources
    /// and product types.
    #[arg(long, value_name = "FILE",
          conflicts_with_all = ["period", "from", "to", "sources", "product_types"])]
    view: Option<PathBuf>,
    /// Print one JSON line of timings on stderr: load_ms, build_ms, report_ms, peak RSS.
    #[arg(long)]
    timings: bool,
    /// What the period is compared with: previous_period (default), to_date or year_ago.
    #[arg(long)]
    compare: Option<String>,
    /// First day of a custom comparison range (YYYY-MM-DD), with --compare-to.
    #[arg(long)]
    compare_from: Option<String>,
    /// Last day of a custom comparison range (YYYY-MM-DD), with --compare-from.
    #[arg(long)]
    compare_to: Option<String>,
    /// Also write every purchaser's RFM row to this CSV file (when the report succeeds).
    #[arg(long, value_name = "FILE")]
    rfm_out: Option<PathBuf>,
    /// After building, save the dataset as a snapshot to this file (written to a
    /// temporary file and renamed; never over an input). Pass the file instead of the
    /// folder later to skip reading the CSV files.
    #[arg(long, value_name = "FILE")]
    save_snapshot: Option<PathBuf>,
    /// Also write the accepted rows of the CSV folder as typed Parquet files
    /// `<table>.parquet` into this folder (created if missing), to read them back
    /// instead of the CSV files (feature `parquet`).
    #[cfg(feature = "parquet")]
    #[arg(long, value_name = "DIR", requires = "data_dir")]
    export_parquet: Option<PathBuf>,
    /// Compute the report this many times and time the median (with --timings).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
    repeat: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Format {
    Text,
    Json,
    Html,
}

fn main() -> ExitCode {
    let args = match Args::try_parse() {
        Ok(args) => args,
        Err(e) => {
            use clap::error::ErrorKind;
            if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) {
                let _ = e.print();
                return ExitCode::SUCCESS;
            }
            // clap's whole message: the argument at fault, "similar argument" tips, the
            // possible values and the usage line; each line escaped, so that an argument
            // holding a newline or an escape sequence cannot forge or colour a line.
            let rendered = e.render().to_string();
            let lines: Vec<_> = rendered.lines().map(escape).collect();
            eprintln!("{}", lines.join("\n"));
            return ExitCode::from(2);
        }
    };
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            // One line, whatever a path or a value in it contains.
            eprintln!("dashboard: {}", escape(&message));
            ExitCode::from(2)
        }
    }
}

/// The largest `--view` file read: 1 MiB (a saved view is a few hundred bytes).
const VIEW_LIMIT: u64 = 1 << 20;

/// A path for a message.
fn shown(path: &Path) -> String {
    escape(&path.display().to_string()).into_owned()
}

fn parse_date(flag: &str, text: &str) -> Result<NaiveDate, String> {
    crm_metrics::calendar::parse_date(text).map_err(|e| format!("--{flag} {e}"))
}

fn options(args: &Args) -> Result<ReportOptions, String> {
    let calendar: BusinessCalendar = args
        .tz
        .parse()
        .map_err(|e: crm_metrics::Error| e.to_string())?;
    // The data's grammar (no second 60; without an offset, a local time in --tz); years
    // 0001 to 9999 in UTC are checked by the library when the period is resolved.
    let as_of: DateTime<Utc> = match &args.as_of {
        Some(text) => parse_timestamp(text, &calendar).map_err(|e| format!("--as-of {e}"))?,
        None => Utc::now(),
    };
    let period = match (&args.period, &args.from, &args.to) {
        (_, Some(from), Some(to)) => {
            let period = Period::new(parse_date("from", from)?, parse_date("to", to)?)
                .map_err(|e| e.to_string())?;
            PeriodSpec::Custom(period)
        }
        (Some(name), _, _) => {
            PeriodSpec::Preset(name.parse::<Preset>().map_err(|e| e.to_string())?)
        }
        _ => PeriodSpec::default(),
    };
    let mut options = ReportOptions::new(as_of)
        .time_zone(calendar)
        .period(period)
        .sources(args.sources.iter().cloned())
        .product_types(args.product_types.iter().cloned())
        .fanpages(args.fanpages.iter().cloned());
    if let Some(id) = &args.customer {
        options = options.customer(id.clone());
    }
    options = options.compare(compare(args)?);
    if let Some(path) = &args.view {
        // A regular file of at most VIEW_LIMIT bytes: never a FIFO or /dev/zero.
        let text = read_to_string_limited(path, VIEW_LIMIT).map_err(|e| format!("--view {e}"))?;
        let view: SavedView = serde_json::from_str(&text)
            .map_err(|e| format!("--view {}: not a saved view: {e}", shown(path)))?;
        options = view.filter.apply(options);
    }
    // Resolve once here so that a bad period (too long, beyond year 9999) is reported
    // before any data is read.
    options.resolve().map_err(|e| e.to_string())?;
    Ok(options)
}

/// The comparison mode of `--compare` or `--compare-from/--compare-to`.
fn compare(args: &Args) -> Result<Compare, String> {
    match (&args.compare, &args.compare_from, &args.compare_to) {
        (Some(_), Some(_), _) | (Some(_), _, Some(_)) => Err(
            "--compare cannot be used with --compare-from/--compare-to (a custom range)".to_owned(),
        ),
        (_, Some(_), None) => Err("--compare-from needs --compare-to".to_owned()),
        (_, None, Some(_)) => Err("--compare-to needs --compare-from".to_owned()),
        (_, Some(from), Some(to)) => {
            let (from, to) = (
                parse_date("compare-from", from)?,
                parse_date("compare-to", to)?,
            );
            let range = Period::new(from, to)
                .map_err(|_| format!("--compare-to {to} is before --compare-from {from}"))?;
            Ok(Compare::Custom(range))
        }
        (Some(mode), _, _) => mode.parse::<Compare>().map_err(|_| {
            format!("--compare {mode:?} is not one of previous_period, to_date, year_ago")
        }),
        _ => Ok(Compare::default()),
    }
}

/// Where the rows came from, and how long reading and building took.
struct Loaded {
    dataset: Dataset,
    source: String,
    /// The data files' extension (`.csv`, `.parquet`); none for a snapshot or the
    /// generated sample.
    files: Option<&'static str>,
    load: Duration,
    build: Duration,
}

fn load(args: &Args, options: &ReportOptions) -> Result<Loaded, String> {
    let started = Instant::now();
    let mut bar: Option<ProgressBar> = None;
    if let Some(path) = args.data_dir.as_deref().filter(|p| is_snapshot(p)) {
        let dataset = Dataset::open(path).map_err(|e| e.to_string())?;
        if args.strict
            && let Some(first) = dataset.quality().rejections().first()
        {
            return Err(first.to_string());
        }
        let load = started.elapsed();
        let mut dataset = dataset;
        apply_changes(args, options, &mut dataset)?;
        return Ok(Loaded {
            dataset,
            source: format!("{} (snapshot)", shown(path)),
            files: None,
            load,
            build: started.elapsed() - load,
        });
    }
    let (builder, source, files) = match &args.data_dir {
        Some(dir) if std::fs::metadata(dir).is_ok_and(|m| !m.is_dir()) => {
            return Err(format!(
                "{}: neither a folder of data files nor a crm-metrics snapshot",
                shown(dir)
            ));
        }
        Some(dir) => {
            let mut builder = DatasetBuilder::new()
                .strict(args.strict)
                .time_zone(options.calendar.clone());
            let parquet = holds_parquet(dir)?;
            if parquet {
                #[cfg(feature = "parquet")]
                builder.read_parquet_dir(dir).map_err(|e| e.to_string())?;
            } else if std::io::stderr().is_terminal() {
                let progress = bar.insert(ProgressBar::new(dir));
                let read =
                    builder.read_csv_dir_with_progress(dir, &|p: Progress| progress.update(p));
                if read.is_err() {
                    progress.clear();
                }
                read.map_err(|e| e.to_string())?;
                progress.building();
            } else {
                builder.read_csv_dir(dir).map_err(|e| e.to_string())?;
            }
            let files = if parquet { ".parquet" } else { ".csv" };
            (builder, shown(dir), Some(files))
        }
        None => {
            let mut builder = DatasetBuilder::new().strict(args.strict);
            SampleOptions::new(2_000)
                .seed(42)
                .as_of(options.as_of)
                .generate(&mut builder);
            (
                builder,
                "a generated sample shop (pass a folder of CSV files to see your own data)"
                    .to_owned(),
                None,
            )
        }
    };
    let load = started.elapsed();
    let built = builder.build().map_err(|e| e.to_string());
    if let Some(bar) = &bar {
        bar.clear();
    }
    let mut dataset = built?;
    apply_changes(args, options, &mut dataset)?;
    Ok(Loaded {
        dataset,
        source,
        files,
        load,
        build: started.elapsed() - load,
    })
}

/// `--apply DIR`...: each folder (CSV, or Parquet when it holds Parquet files) applied
/// as a batch of changes, in order, to the dataset built or opened first.
fn apply_changes(
    args: &Args,
    options: &ReportOptions,
    dataset: &mut Dataset,
) -> Result<(), String> {
    for dir in &args.apply {
        if std::fs::metadata(dir).is_ok_and(|m| !m.is_dir()) {
            return Err(format!(
                "--apply {}: not a folder (a batch of changes is a folder of CSV or Parquet \
                 files, as DATA_DIR is)",
                shown(dir)
            ));
        }
        let mut changes = DatasetBuilder::new()
            .strict(args.strict)
            .time_zone(options.calendar.clone());
        if holds_parquet(dir)? {
            #[cfg(feature = "parquet")]
            changes
                .read_parquet_dir(dir)
                .map_err(|e| format!("{}: {e}", shown(dir)))?;
        } else {
            changes
                .read_csv_dir(dir)
                .map_err(|e| format!("{}: {e}", shown(dir)))?;
        }
        dataset
            .apply(changes)
            .map_err(|e| format!("{}: {e}", shown(dir)))?;
    }
    Ok(())
}

/// A progress bar of the bytes read, drawn on stderr while a folder loads (only when
/// stderr is a terminal, and only once loading has taken long enough to be worth it).
/// The CSV reader may call [`ProgressBar::update`] from several threads.
struct ProgressBar {
    started: Instant,
    state: Mutex<BarState>,
}

struct BarState {
    /// Bytes read and file size per table, in [`Table::ALL`] order.
    read: [u64; 9],
    total: [u64; 9],
    current: Table,
    drawn: Option<Instant>,
}

impl ProgressBar {
    /// Draw nothing before this much time has passed (small folders load at once).
    const DELAY: Duration = Duration::from_millis(300);
    /// Redraw at most this often.
    const EVERY: Duration = Duration::from_millis(100);

    fn new(dir: &std::path::Path) -> ProgressBar {
        let mut total = [0u64; 9];
        for (slot, table) in total.iter_mut().zip(Table::ALL) {
            let path = dir.join(format!("{}.csv", table.name()));
            *slot = std::fs::metadata(path).map_or(0, |m| m.len());
        }
        ProgressBar {
            started: Instant::now(),
            state: Mutex::new(BarState {
                read: [0; 9],
                total,
                current: Table::ALL[0],
                drawn: None,
            }),
        }
    }

    fn update(&self, p: Progress) {
        let Ok(mut state) = self.state.lock() else {
            return;
        };
        let i = p.table as usize;
        let state = &mut *state;
        if let (Some(read), Some(total)) = (state.read.get_mut(i), state.total.get_mut(i)) {
            *read = p.bytes_read;
            *total = (*total).max(p.bytes_total).max(p.bytes_read);
        }
        state.current = p.table;
        let now = Instant::now();
        if now.duration_since(self.started) < Self::DELAY
            || state
                .drawn
                .is_some_and(|t| now.duration_since(t) < Self::EVERY)
        {
            return;
        }
        state.drawn = Some(now);
        let read: u64 = state.read.iter().sum();
        let total: u64 = state.total.iter().sum::<u64>().max(1);
        let fraction = (read as f64 / total as f64).min(1.0);
        const CELLS: usize = 30;
        let filled = (fraction * CELLS as f64).round() as usize;
        let mb = |b: u64| b as f64 / 1_048_576.0;
        eprint!(
            "\r\x1b[K  loading {:<18} [{}{}] {:>3.0}%  {:.1} / {:.1} MB",
            format!("{}.csv", state.current.name()),
            "█".repeat(filled),
            "░".repeat(CELLS - filled),
            fraction * 100.0,
            mb(read),
            mb(total)
        );
    }

    /// Says that reading is done and the rows are being checked (if a bar was drawn).
    fn building(&self) {
        if let Ok(state) = self.state.lock()
            && state.drawn.is_some()
        {
            eprint!("\r\x1b[K  checking and indexing the rows ...");
        }
    }

    /// Removes the bar (if one was drawn) so that the report starts on a clean line.
    fn clear(&self) {
        if let Ok(state) = self.state.lock()
            && state.drawn.is_some()
        {
            eprint!("\r\x1b[K");
        }
    }
}

/// Whether `path` is a file starting with the snapshot magic bytes (a folder, or a
/// file that cannot be read, is not: reading it as a folder then says what is wrong).
fn is_snapshot(path: &Path) -> bool {
    use std::io::Read;
    if !std::fs::metadata(path).is_ok_and(|m| m.is_file()) {
        return false;
    }
    let mut prefix = [0u8; 8];
    crm_metrics::io::file::open_regular(path)
        .and_then(|mut file| {
            file.read_exact(&mut prefix)
                .map_err(|source| crm_metrics::Error::Io {
                    path: path.to_owned(),
                    source,
                })
        })
        .is_ok_and(|()| crm_metrics::dataset::snapshot::looks_like_snapshot(&prefix))
}

/// Peak resident memory in bytes (Linux `VmHWM`), when the platform tells.
fn peak_rss() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

fn millis(d: Duration) -> f64 {
    (d.as_secs_f64() * 1e6).round() / 1e3
}

/// Every input of this run: the folder, its nine files, the saved view.
/// Whether `dir` holds Parquet files (`customers.parquet` and no `customers.csv`);
/// an error when it does and the dashboard was built without the `parquet` feature.
fn holds_parquet(dir: &Path) -> Result<bool, String> {
    let parquet = dir.join("customers.parquet").is_file() && !dir.join("customers.csv").exists();
    if parquet && !cfg!(feature = "parquet") {
        return Err(format!(
            "{} holds Parquet files: build the dashboard with --features parquet to read them",
            shown(dir)
        ));
    }
    Ok(parquet)
}

fn inputs(args: &Args) -> Vec<PathBuf> {
    let mut inputs = Vec::new();
    if let Some(dir) = &args.data_dir {
        inputs.push(dir.clone());
        inputs.extend(Table::ALL.iter().map(|&t| table_path(dir, t)));
        inputs.extend(
            Table::ALL
                .iter()
                .map(|&t| dir.join(format!("{}.parquet", t.name()))),
        );
    }
    inputs.extend(args.view.iter().cloned());
    inputs
}

/// Refuses an output path that is one of the inputs (the same file by device and inode,
/// whatever the spelling: `./data/../data/customers.csv`, a hard or symbolic link). Any
/// output flag goes through here before anything is read or written.
fn check_output(flag: &str, out: &Path, inputs: &[PathBuf]) -> Result<(), String> {
    let Ok(target) = FileId::of(out) else {
        return Ok(()); // does not exist yet: it cannot be an input
    };
    for input in inputs {
        if FileId::of(input).is_ok_and(|id| id == target) {
            return Err(format!(
                "{flag} {} is an input of this run ({}): refusing to write over it",
                shown(out),
                shown(input)
            ));
        }
    }
    Ok(())
}

/// What [`write_output`] writes.
enum Output<'a> {
    /// These bytes.
    Bytes(&'a [u8]),
    /// A snapshot of this dataset, streamed section by section.
    Snapshot(&'a crm_metrics::Dataset),
}

impl Output<'_> {
    /// Writes to `file`; `seekable` when it is a regular file, which lets a snapshot be
    /// written in one pass (its header last).
    fn write_to(&self, file: &mut std::fs::File, seekable: bool) -> std::io::Result<()> {
        // A failed write keeps its own error (and kind: a full disk, a closed pipe).
        let snapshot = |result: crm_metrics::Result<()>| {
            result.map_err(|e| match e {
                crm_metrics::Error::Write { source, .. } => source,
                other => std::io::Error::other(other),
            })
        };
        match self {
            Output::Bytes(bytes) => file.write_all(bytes)?,
            Output::Snapshot(dataset) if seekable => {
                snapshot(dataset.write_snapshot_seekable(&mut *file))?
            }
            Output::Snapshot(dataset) => snapshot(
                dataset.write_snapshot(std::io::BufWriter::with_capacity(1 << 20, &mut *file)),
            )?,
        }
        file.flush()
    }
}

/// Writes `output` to `path` through a temporary file in the same folder, renamed over
/// `path` once complete, so that a failed write leaves an existing file intact; the
/// temporary file is removed on failure. A path that exists and is not a regular file
/// (`/dev/null`, a pipe) is written directly.
fn write_output(flag: &str, path: &Path, output: Output<'_>) -> Result<(), String> {
    let failed = |e: std::io::Error| format!("{flag} {}: writing failed: {e}", shown(path));
    if std::fs::metadata(path).is_ok_and(|m| !m.is_file()) {
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .open(path)
            .map_err(failed)?;
        return output.write_to(&mut file, false).map_err(failed);
    }
    // Through a symbolic link (`/dev/stdout` to a file, a link to the latest report):
    // replace the file it points to, never the link.
    let resolved = std::fs::canonicalize(path).ok();
    let path = resolved.as_deref().unwrap_or(path);
    let folder = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let name = path
        .file_name()
        .ok_or_else(|| format!("{flag} {}: not a file name", shown(path)))?;
    let mut temp_name = std::ffi::OsString::from(".");
    temp_name.push(name);
    temp_name.push(format!(".{}.tmp", std::process::id()));
    let temp = folder.join(temp_name);
    let written = (|| {
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&temp)?;
        output.write_to(&mut file, true)?;
        file.sync_all()?;
        drop(file);
        std::fs::rename(&temp, path)
    })();
    if let Err(e) = written {
        let _ = std::fs::remove_file(&temp);
        return Err(failed(e));
    }
    Ok(())
}

/// Writes the report on standard output. A closed pipe (`| head`) ends the run quietly
/// with status 0, as for any filter; any other failure (`> /dev/full`) is an error.
fn write_stdout(bytes: &[u8]) -> Result<(), String> {
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(bytes).and_then(|()| stdout.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(format!("writing standard output failed: {e}")),
    }
}

/// `--export-parquet OUT`: the accepted rows of the CSV folder `dir` as typed Parquet.
#[cfg(feature = "parquet")]
fn export_parquet(
    dir: &Path,
    out: &Path,
    dataset: &crm_metrics::Dataset,
    options: &ReportOptions,
    inputs: &[PathBuf],
) -> Result<(), String> {
    use crm_metrics::io::parquet_write::{Columns, Rows, write_parquet_dir};
    if holds_parquet(dir)? {
        return Err(
            "--export-parquet converts a folder of CSV files; this one holds Parquet".to_owned(),
        );
    }
    for table in Table::ALL {
        let path = out.join(format!("{}.parquet", table.name()));
        check_output("--export-parquet", &path, inputs)?;
    }
    write_parquet_dir(
        dir,
        out,
        &options.calendar,
        Rows::Accepted(dataset.quality()),
        Columns::Typed,
    )
    .map_err(|e| format!("--export-parquet: {e}"))
}

fn run(args: &Args) -> Result<(), String> {
    if let Some(out) = &args.out {
        check_output("--out", out, &inputs(args))?;
    }
    if let Some(path) = &args.rfm_out {
        check_output("--rfm-out", path, &inputs(args))?;
    }
    if let Some(path) = &args.save_snapshot {
        check_output("--save-snapshot", path, &inputs(args))?;
    }
    let options = options(args)?;
    let loaded = load(args, &options)?;
    if let Some(path) = &args.save_snapshot {
        // Like --out: never one of the inputs, written to a temporary file and renamed.
        // Streamed section by section: never the whole file in memory.
        write_output("--save-snapshot", path, Output::Snapshot(&loaded.dataset))?;
    }
    let mut times = Vec::with_capacity(args.repeat as usize);
    let mut report: Option<Report> = None;
    for _ in 0..args.repeat {
        let started = Instant::now();
        report = Some(crm_metrics::report(&loaded.dataset, &options).map_err(|e| e.to_string())?);
        times.push(started.elapsed());
    }
    times.sort();
    let report_time = times[times.len() / 2];
    let Some(report) = report else {
        return Err("--repeat must be at least 1".to_owned());
    };
    if let Some(path) = &args.rfm_out {
        // Rows first, then the file: nothing is written when they cannot be computed.
        let rows =
            crm_metrics::rfm::summary(&loaded.dataset, &options).map_err(|e| e.to_string())?;
        // Like --out: never one of the inputs, written to a temporary file and renamed.
        let mut bytes = Vec::new();
        crm_metrics::rfm::write_csv(&rows, &mut bytes, path).map_err(|e| e.to_string())?;
        check_output("--rfm-out", path, &inputs(args))?;
        write_output("--rfm-out", path, Output::Bytes(&bytes))?;
    }
    #[cfg(feature = "parquet")]
    if let (Some(out), Some(dir)) = (&args.export_parquet, &args.data_dir) {
        export_parquet(dir, out, &loaded.dataset, &options, &inputs(args))?;
    }
    if args.timings {
        let timings = serde_json::json!({
            "load_ms": millis(loaded.load),
            "build_ms": millis(loaded.build),
            "report_ms": millis(report_time),
            "repeat": args.repeat,
            "peak_rss_bytes": peak_rss(),
            "customers": loaded.dataset.customer_count(),
            "orders": loaded.dataset.order_count(),
            "interactions": loaded.dataset.interaction_count(),
        });
        eprintln!("{timings}");
    }
    warn_unmatched_filters(&loaded.dataset, &options);
    format::set_money_decimals(args.money_decimals);
    let meta = format::Meta {
        source: loaded.source.clone(),
        files: loaded.files,
        load_time: Some(loaded.load + loaded.build),
        filters: filters(&options, args),
    };
    if args.format == Format::Html && args.out.is_none() && std::io::stdout().is_terminal() {
        return Err(
            "--format html writes a whole web page: add --out report.html (or redirect stdout)"
                .to_owned(),
        );
    }
    let output = match args.format {
        Format::Json => {
            let mut json = serde_json::to_string_pretty(&report).map_err(|e| e.to_string())?;
            json.push('\n');
            json
        }
        Format::Text => text::render(&report, &meta),
        Format::Html => html::render(&report, &meta),
    };
    // The same line the report starts with, for whoever reads only stderr.
    if let Some(summary) = loaded.dataset.quality().rejection_summary() {
        eprintln!("dashboard: warning: {summary}");
    }
    match &args.out {
        Some(path) => {
            // Checked again just before writing: the folder may have changed meanwhile.
            check_output("--out", path, &inputs(args))?;
            write_output("--out", path, Output::Bytes(output.as_bytes()))?;
            if args.format == Format::Html && std::io::stderr().is_terminal() {
                eprintln!(
                    "dashboard: wrote {} ({} KB): open it in a browser",
                    shown(path),
                    format::count_usize(output.len().div_ceil(1024))
                );
            }
            Ok(())
        }
        None => write_stdout(output.as_bytes()),
    }
}

/// Warns on stderr about each filter value that matches nothing in the data, listing
/// the values that exist (at most [`LISTED`]).
fn warn_unmatched_filters(dataset: &Dataset, options: &ReportOptions) {
    const LISTED: usize = 12;
    let checks: [(&str, &std::collections::BTreeSet<String>, Vec<&str>); 3] = [
        ("--source", &options.sources, dataset.marketing_sources()),
        (
            "--product-type",
            &options.product_types,
            dataset.product_types(),
        ),
        ("--fanpage", &options.fanpages, dataset.fanpage_ids()),
    ];
    for (flag, wanted, known) in checks {
        for value in wanted {
            if known.binary_search(&value.as_str()).is_ok() {
                continue;
            }
            let mut list: Vec<String> = known
                .iter()
                .take(LISTED)
                .map(|v| format!("{v:?}"))
                .collect();
            if known.len() > LISTED {
                list.push(format!("… {} more", known.len() - LISTED));
            }
            let values = if known.is_empty() {
                "none".to_owned()
            } else {
                list.join(", ")
            };
            eprintln!(
                "dashboard: warning: {flag} {value:?} matches nothing in the data (values are \
                 matched exactly); the data has: {values}"
            );
        }
    }
}

/// The filters in effect, for the report's header.
fn filters(options: &ReportOptions, args: &Args) -> Vec<(String, String)> {
    let mut filters = Vec::new();
    if let Some(view) = &args.view {
        filters.push(("saved view".to_owned(), shown(view)));
    }
    filters.extend(format::filters(options));
    filters
}
