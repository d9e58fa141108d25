//! The report's sections (all but `profile`) computed by DataFusion over a folder of
//! typed Parquet files (`<table>.parquet`, the schema of `crm_metrics_datafusion::tables`)
//! or of CSV files (whose accepted rows are converted to Parquet in a scratch folder
//! first), printed as the report's JSON.
//!
//! ```text
//! cargo run -p crm-metrics-datafusion --release --example report -- DIR
//!     [--as-of INSTANT] [--tz ZONE] [--period PRESET | --from DATE --to DATE]
//!     [--source S]... [--product-type T]... [--fanpage F]...
//!     [--compare MODE | --compare-from DATE --compare-to DATE]
//!     [--partitions N] [--ballista] [--check] [--timings]
//! cargo run -p crm-metrics-datafusion --release --example report -- --generate N OUT_DIR
//! ```
//! `--check` also computes the report in process and fails when a section differs;
//! `--timings` prints the times and the bytes of `crm_fold` partial state the engine
//! emitted (the bucket shuffle's payload) on stderr; with `--check`, also the in-process
//! times and the bytes of the buckets' folded states. `--in-process` computes only the
//! in-process report and prints it (the same JSON) and its times.
//! `--ballista` (with `--features ballista`) runs the report on a Ballista cluster on
//! loopback: a scheduler and two executors in this process, each with
//! `ceil(partitions / 2)` task slots.

use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::Parser;
use crm_metrics::calendar::{BusinessCalendar, Compare, Period, PeriodSpec, Preset};
use crm_metrics::chrono::{DateTime, NaiveDate, Utc};
use crm_metrics::io::csv::parse_timestamp;
use crm_metrics::sample::SampleOptions;
use crm_metrics::{DatasetBuilder, ReportOptions};
use crm_metrics_datafusion::{
    accepted_rows, read_rows, register_parquet_dir, report, write_parquet_dir,
};
use datafusion::arrow::array::AsArray;
use datafusion::prelude::{SessionConfig, SessionContext};

#[derive(Parser)]
#[command(about = "The crm-metrics report computed by DataFusion")]
struct Args {
    /// Folder of <table>.parquet (or <table>.csv) files.
    dir: PathBuf,
    /// Write a generated sample of this many customers as Parquet into DIR and stop.
    #[arg(long, value_name = "N")]
    generate: Option<usize>,
    /// The instant the report is computed at (RFC 3339). Default: now.
    #[arg(long)]
    as_of: Option<String>,
    /// Time zone: +07:00 or an IANA name.
    #[arg(long, default_value = "+07:00", allow_hyphen_values = true)]
    tz: String,
    /// A period preset (this_month, last_30_days, ...).
    #[arg(long, conflicts_with_all = ["from", "to"])]
    period: Option<String>,
    /// First day of a custom period, with --to.
    #[arg(long, requires = "to")]
    from: Option<NaiveDate>,
    /// Last day of a custom period, with --from.
    #[arg(long, requires = "from")]
    to: Option<NaiveDate>,
    /// Marketing source filter (repeatable).
    #[arg(long = "source")]
    sources: Vec<String>,
    /// Product type filter (repeatable).
    #[arg(long = "product-type")]
    product_types: Vec<String>,
    /// Fanpage filter (repeatable).
    #[arg(long = "fanpage")]
    fanpages: Vec<String>,
    /// previous_period, to_date or year_ago.
    #[arg(long, conflicts_with_all = ["compare_from", "compare_to"])]
    compare: Option<String>,
    /// First day of a custom comparison range, with --compare-to.
    #[arg(long, requires = "compare_to")]
    compare_from: Option<NaiveDate>,
    /// Last day of a custom comparison range, with --compare-from.
    #[arg(long, requires = "compare_from")]
    compare_to: Option<NaiveDate>,
    /// DataFusion target partitions (customer buckets).
    #[arg(long, default_value_t = 2)]
    partitions: usize,
    /// Run on a standalone Ballista cluster on loopback: a scheduler and two executors in
    /// this process (needs the feature `ballista`).
    #[arg(long)]
    ballista: bool,
    /// Also compute the report in process and fail when a section differs.
    #[arg(long)]
    check: bool,
    /// Print timings on stderr.
    #[arg(long)]
    timings: bool,
    /// Only the in-process report (read the tables through DataFusion into model
    /// structs, build the Dataset, compute `crm_metrics::report`), with its timings on
    /// stderr: to measure it in a process of its own.
    #[arg(long, conflicts_with_all = ["ballista", "check"])]
    in_process: bool,
}

fn options(args: &Args) -> Result<ReportOptions, String> {
    let calendar: BusinessCalendar = args
        .tz
        .parse()
        .map_err(|e: crm_metrics::Error| e.to_string())?;
    let as_of: DateTime<Utc> = match &args.as_of {
        Some(text) => parse_timestamp(text, &calendar).map_err(|e| format!("--as-of {e}"))?,
        None => Utc::now(),
    };
    let period = match (&args.period, args.from, args.to) {
        (_, Some(from), Some(to)) => {
            PeriodSpec::Custom(Period::new(from, to).map_err(|e| e.to_string())?)
        }
        (Some(name), _, _) => {
            PeriodSpec::Preset(name.parse::<Preset>().map_err(|e| e.to_string())?)
        }
        _ => PeriodSpec::default(),
    };
    let compare = match (&args.compare, args.compare_from, args.compare_to) {
        (_, Some(from), Some(to)) => {
            Compare::Custom(Period::new(from, to).map_err(|e| e.to_string())?)
        }
        (Some(mode), _, _) => mode
            .parse::<Compare>()
            .map_err(|_| format!("--compare {mode:?}"))?,
        _ => Compare::default(),
    };
    let options = ReportOptions::new(as_of)
        .time_zone(calendar)
        .period(period)
        .compare(compare)
        .sources(args.sources.iter().cloned())
        .product_types(args.product_types.iter().cloned())
        .fanpages(args.fanpages.iter().cloned());
    options.resolve().map_err(|e| e.to_string())?;
    Ok(options)
}

/// The cluster of `--ballista`: a scheduler and two executors on loopback, in this
/// process.
#[cfg(feature = "ballista")]
type Cluster = crm_metrics_datafusion::ballista::StandaloneCluster;

/// Without the `ballista` feature there is no cluster.
#[cfg(not(feature = "ballista"))]
enum Cluster {}

#[cfg(feature = "ballista")]
async fn start_cluster(args: &Args) -> Result<Cluster, Box<dyn std::error::Error>> {
    // Two executors, each with half the partitions as task slots.
    let vcores = args.partitions.div_ceil(2).max(1);
    Ok(Cluster::start(2, vcores, args.partitions, &std::env::temp_dir()).await?)
}

#[cfg(not(feature = "ballista"))]
async fn start_cluster(_: &Args) -> Result<Cluster, Box<dyn std::error::Error>> {
    Err("--ballista needs the feature: cargo run -p crm-metrics-datafusion --features ballista --example report -- ... --ballista".into())
}

#[cfg(feature = "ballista")]
async fn run_on_cluster(
    cluster: &Cluster,
    dir: &Path,
    options: &ReportOptions,
) -> Result<crm_metrics_datafusion::Sections, Box<dyn std::error::Error>> {
    let ctx = cluster.context().await?;
    register_parquet_dir(&ctx, dir).await?;
    Ok(report(&ctx, options).await?)
}

#[cfg(not(feature = "ballista"))]
async fn run_on_cluster(
    cluster: &Cluster,
    _: &Path,
    _: &ReportOptions,
) -> Result<crm_metrics_datafusion::Sections, Box<dyn std::error::Error>> {
    match *cluster {}
}

/// The bytes of the shuffle files the executors wrote (both stages: the buckets' rows,
/// then the buckets' partial states).
#[cfg(feature = "ballista")]
fn shuffle_bytes(cluster: &Cluster) -> u64 {
    fn under(dir: &Path) -> u64 {
        std::fs::read_dir(dir).map_or(0, |entries| {
            entries
                .flatten()
                .map(|e| match e.metadata() {
                    Ok(m) if m.is_dir() => under(&e.path()),
                    Ok(m) => m.len(),
                    Err(_) => 0,
                })
                .sum()
        })
    }
    under(cluster.work_dir())
}

#[cfg(not(feature = "ballista"))]
fn shuffle_bytes(cluster: &Cluster) -> u64 {
    match *cluster {}
}

#[cfg(feature = "ballista")]
fn stop_cluster(cluster: Cluster) {
    cluster.shutdown();
}

#[cfg(not(feature = "ballista"))]
fn stop_cluster(cluster: Cluster) {
    match cluster {}
}

/// The in-process report over the tables of `ctx`: read into model structs, Dataset
/// build, `crm_metrics::report`; the three times in milliseconds and the report.
async fn in_process(
    ctx: &SessionContext,
    options: &ReportOptions,
) -> Result<(f64, f64, f64, crm_metrics::Report), Box<dyn std::error::Error>> {
    let started = Instant::now();
    let rows = read_rows(ctx).await?;
    let read_ms = started.elapsed().as_secs_f64() * 1e3;
    let started = Instant::now();
    let mut builder = DatasetBuilder::new().time_zone(options.calendar.clone());
    rows.push_into(&mut builder);
    drop(rows);
    let dataset = builder.build()?;
    let build_ms = started.elapsed().as_secs_f64() * 1e3;
    let started = Instant::now();
    let report = crm_metrics::report(&dataset, options)?;
    let report_ms = started.elapsed().as_secs_f64() * 1e3;
    Ok((read_ms, build_ms, report_ms, report))
}

#[tokio::main]
async fn main() {
    if let Err(e) = run(Args::parse()).await {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

async fn run(args: Args) -> Result<(), Box<dyn std::error::Error>> {
    if let Some(customers) = args.generate {
        let as_of = options(&args)?.as_of;
        let rows = SampleOptions::new(customers).seed(7).as_of(as_of).rows();
        write_parquet_dir(&rows, &args.dir)?;
        eprintln!(
            "wrote {} rows as Parquet into {}",
            rows.len(),
            args.dir.display()
        );
        return Ok(());
    }
    let options = options(&args)?;
    // A CSV folder: its accepted rows, as Parquet in a scratch folder.
    let scratch = std::env::temp_dir().join(format!("crm-report-{}", std::process::id()));
    let dir: &Path = if args.dir.join("customers.parquet").is_file() {
        &args.dir
    } else {
        let (rows, _) = accepted_rows(&args.dir, &options.calendar)?;
        write_parquet_dir(&rows, &scratch)?;
        &scratch
    };
    // The in-process DataFusion session (also what --check and --timings read with).
    let local = SessionContext::new_with_config(
        SessionConfig::new().with_target_partitions(args.partitions),
    );
    register_parquet_dir(&local, dir).await?;
    if args.in_process {
        let (read_ms, build_ms, report_ms, report) = in_process(&local, &options).await?;
        // The same JSON as the engine's, to compare outputs of separate processes.
        let sections = crm_metrics_datafusion::Sections {
            as_of: report.as_of,
            time_zone: report.time_zone,
            period: report.period,
            previous_period: report.previous_period,
            compare: report.compare,
            values: crm_metrics_datafusion::udaf::SectionValues {
                customers: report.customers,
                marketing: report.marketing,
                customer_picture: report.customer_picture,
                social: report.social,
                lifecycle: report.lifecycle,
                cohorts: report.cohorts,
                rfm: report.rfm,
            },
        };
        println!("{}", serde_json::to_string_pretty(&sections)?);
        eprintln!(
            "{{\"engine\":\"in_process\",\"in_process_read_ms\":{read_ms:.0},\"in_process_build_ms\":{build_ms:.0},\"in_process_report_ms\":{report_ms:.0}}}"
        );
        let _ = std::fs::remove_dir_all(&scratch);
        return Ok(());
    }
    let cluster = if args.ballista {
        Some(start_cluster(&args).await?)
    } else {
        None
    };
    let before = crm_metrics_datafusion::udaf::fold_state_bytes();
    let started = Instant::now();
    let sections = match &cluster {
        Some(cluster) => run_on_cluster(cluster, dir, &options).await?,
        None => report(&local, &options).await?,
    };
    let engine_ms = started.elapsed().as_secs_f64() * 1e3;
    // The executors of the standalone cluster run in this process: the counter covers
    // them too.
    let row_state_bytes = crm_metrics_datafusion::udaf::fold_state_bytes() - before;
    let shuffle_file_bytes = cluster.as_ref().map(shuffle_bytes);
    println!("{}", serde_json::to_string_pretty(&sections)?);
    let engine = if args.ballista {
        "ballista"
    } else {
        "datafusion"
    };
    let shuffle_file_bytes =
        shuffle_file_bytes.map_or_else(|| "null".to_owned(), |b| b.to_string());
    if args.timings && !args.check {
        eprintln!(
            "{{\"engine\":\"{engine}\",\"partitions\":{},\"engine_ms\":{engine_ms:.0},\"bucket_rows_state_bytes\":{row_state_bytes},\"ballista_shuffle_file_bytes\":{shuffle_file_bytes}}}",
            args.partitions,
        );
    }
    if args.check {
        let (read_ms, build_ms, report_ms, expected) = in_process(&local, &options).await?;
        if args.timings {
            let params = crm_metrics_datafusion::params(&local, &options).await?;
            let states = crm_metrics_datafusion::fold_plan(&local, params, args.partitions)
                .await?
                .collect()
                .await?;
            let state_bytes: usize = states
                .iter()
                .map(|b| {
                    b.column_by_name("states")
                        .map_or(0, |c| c.as_binary::<i32>().value_data().len())
                })
                .sum();
            eprintln!(
                "{{\"engine\":\"{engine}\",\"partitions\":{},\"engine_ms\":{engine_ms:.0},\"in_process_read_ms\":{read_ms:.0},\"in_process_build_ms\":{build_ms:.0},\"in_process_report_ms\":{report_ms:.0},\"bucket_rows_state_bytes\":{row_state_bytes},\"partial_state_bytes\":{state_bytes},\"ballista_shuffle_file_bytes\":{shuffle_file_bytes}}}",
                args.partitions,
            );
        }
        let differences = sections.differences(&expected);
        if !differences.is_empty() {
            return Err(
                format!("sections differ from the in-process report: {differences:?}").into(),
            );
        }
    }
    if let Some(cluster) = cluster {
        stop_cluster(cluster);
    }
    let _ = std::fs::remove_dir_all(&scratch);
    Ok(())
}
