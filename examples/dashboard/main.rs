//! The `dashboard` example: SPEC §8's command line over the crm-metrics library.
//!
//! ```text
//! cargo run --release --example dashboard -- [DATA_DIR] [--as-of RFC3339] [--tz ZONE]
//!     [--period PRESET | --from YYYY-MM-DD --to YYYY-MM-DD]
//!     [--source S]... [--product-type T]... [--fanpage F]...
//!     [--customer ID] [--strict] [--format text|json|html] [--out FILE] [--view FILE]
//!     [--compare previous_period|to_date|year_ago | --compare-from YYYY-MM-DD --compare-to YYYY-MM-DD]
//!     [--rfm-out FILE.csv]
//! ```
//! `--format text` (the default) prints one screen per section; `--format json` prints
//! SPEC §8's JSON object; `--format html --out report.html` writes one self-contained
//! page (inline CSS, SVG charts and a little script; nothing is fetched from the
//! network).
//! `--view FILE` reads a saved marketing view (JSON `{"name", "filter": {"period",
//! "sources", "product_types"}}`, [`crm_metrics::marketing::SavedView`]) whose filter
//! replaces `--period`/`--from`/`--to`/`--source`/`--product-type`.
//! Without DATA_DIR it reports on a generated sample whose history leads up to `--as-of`
//! (default: now), so the current month always has data. Every metric is computed by the
//! library; this file only parses arguments and prints. Exit status 2 with a one-line
//! message on bad arguments, a bad folder, or a bad row under `--strict`.

mod format;
mod html;
mod text;

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use chrono::{DateTime, NaiveDate, Utc};
use clap::{Parser, ValueEnum};
use crm_metrics::calendar::{BusinessCalendar, Compare, Period, PeriodSpec, Preset};
use crm_metrics::io::csv::Progress;
use crm_metrics::marketing::SavedView;
use crm_metrics::sample::SampleOptions;
use crm_metrics::{Dataset, DatasetBuilder, Report, ReportOptions, Table};

/// Customer-analytics dashboard (SPEC §8) over a folder of CSV files or a generated sample.
#[derive(Parser, Debug)]
#[command(name = "dashboard", version, about)]
struct Args {
    /// Folder with customers.csv, orders.csv, ... (SPEC §2). Default: a generated sample.
    data_dir: Option<PathBuf>,
    /// The instant the report is computed at (RFC 3339). Default: now.
    #[arg(long)]
    as_of: Option<String>,
    /// Time zone: an offset like +07:00 or an IANA name like Europe/Berlin.
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
    /// Output format: text (one screen per section), json (SPEC §8) or html (one
    /// self-contained page with charts; use with --out).
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
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
            let message = e.to_string();
            let first = message.lines().next().unwrap_or("bad arguments");
            eprintln!("dashboard: {}", first.trim_start_matches("error: "));
            return ExitCode::from(2);
        }
    };
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("dashboard: {message}");
            ExitCode::from(2)
        }
    }
}

fn parse_date(flag: &str, text: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|_| format!("--{flag} {text:?} is not a date YYYY-MM-DD"))
}

fn options(args: &Args) -> Result<ReportOptions, String> {
    let as_of: DateTime<Utc> = match &args.as_of {
        Some(text) => DateTime::parse_from_rfc3339(text)
            .map_err(|_| format!("--as-of {text:?} is not an RFC 3339 timestamp with an offset"))?
            .with_timezone(&Utc),
        None => Utc::now(),
    };
    let calendar: BusinessCalendar = args
        .tz
        .parse()
        .map_err(|e: crm_metrics::Error| e.to_string())?;
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
        let text =
            std::fs::read_to_string(path).map_err(|e| format!("--view {}: {e}", path.display()))?;
        let view: SavedView = serde_json::from_str(&text)
            .map_err(|e| format!("--view {}: not a saved view: {e}", path.display()))?;
        options = view.filter.apply(options);
    }
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
    load: Duration,
    build: Duration,
}

fn load(args: &Args, options: &ReportOptions) -> Result<Loaded, String> {
    let started = Instant::now();
    let mut bar: Option<ProgressBar> = None;
    let (builder, source) = match &args.data_dir {
        Some(dir) => {
            let mut builder = DatasetBuilder::new().strict(args.strict);
            if std::io::stderr().is_terminal() {
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
            (builder, dir.display().to_string())
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
            )
        }
    };
    let load = started.elapsed();
    let built = builder.build().map_err(|e| e.to_string());
    if let Some(bar) = &bar {
        bar.clear();
    }
    Ok(Loaded {
        dataset: built?,
        source,
        load,
        build: started.elapsed() - load,
    })
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

fn run(args: &Args) -> Result<(), String> {
    let options = options(args)?;
    let loaded = load(args, &options)?;
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
        let file =
            std::fs::File::create(path).map_err(|e| format!("writing {}: {e}", path.display()))?;
        crm_metrics::rfm::write_csv(&rows, file, path).map_err(|e| e.to_string())?;
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
    let meta = format::Meta {
        source: loaded.source.clone(),
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
    match &args.out {
        Some(path) => {
            std::fs::write(path, &output)
                .map_err(|e| format!("writing {}: {e}", path.display()))?;
            if args.format == Format::Html && std::io::stderr().is_terminal() {
                eprintln!(
                    "dashboard: wrote {} ({} KB): open it in a browser",
                    path.display(),
                    format::count_usize(output.len().div_ceil(1024))
                );
            }
            Ok(())
        }
        None => {
            let mut stdout = std::io::stdout().lock();
            // A closed pipe (`| head`) is not an error worth a message.
            let _ = stdout.write_all(output.as_bytes());
            Ok(())
        }
    }
}

/// The filters in effect, for the report's header.
fn filters(options: &ReportOptions, args: &Args) -> Vec<(String, String)> {
    let mut filters = Vec::new();
    if let Some(view) = &args.view {
        filters.push(("saved view".to_owned(), view.display().to_string()));
    }
    filters.extend(format::filters(options));
    filters
}
