//! Mutated CSV folders (issue #9): a valid generated folder, then rows and fields dropped,
//! duplicated and corrupted, columns swapped, files truncated, quotes and line breaks
//! injected. Whatever comes out, loading either fails with an error naming a file and a
//! column (exactly when a header is broken), or every table keeps
//! `read = accepted + rejected` with `read` equal to the number of non-blank records an
//! independent RFC 4180 splitter finds in the mutated file; and the report computes.

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use crm_metrics::calendar::Preset;
use crm_metrics::sample::SampleOptions;
use crm_metrics::{DatasetBuilder, Error, ReportOptions, Table};
use proptest::prelude::*;

/// One record as the oracle splits it.
#[derive(Clone, Debug)]
pub struct Rec {
    /// Byte range in the file, line end included.
    pub start: usize,
    pub end: usize,
    /// Physical line where the record starts.
    pub line: u64,
    pub fields: Vec<Vec<u8>>,
    pub unclosed: bool,
}

impl Rec {
    /// A blank line or a line of empty fields is not a record (SPEC §9.8).
    pub fn is_blank(&self) -> bool {
        !self.unclosed && self.fields.iter().all(Vec::is_empty)
    }
}

/// The oracle: an RFC 4180 splitter written independently of `src/io/records.rs`, byte by
/// byte, with the same tolerances (BOM, CR/LF/CRLF, an unclosed quote running to the end,
/// text after a closing quote kept).
pub fn split_records(bytes: &[u8]) -> Vec<Rec> {
    let mut i = if bytes.starts_with(b"\xEF\xBB\xBF") {
        3
    } else {
        0
    };
    let mut line = 1u64;
    let mut out = Vec::new();
    while i < bytes.len() {
        let (start, start_line) = (i, line);
        let (mut fields, mut field, mut unclosed) = (Vec::new(), Vec::new(), false);
        'record: loop {
            if bytes.get(i) == Some(&b'"') {
                i += 1;
                let mut closed = false;
                while let Some(&b) = bytes.get(i) {
                    if b == b'"' {
                        if bytes.get(i + 1) == Some(&b'"') {
                            field.push(b'"');
                            i += 2;
                            continue;
                        }
                        i += 1;
                        closed = true;
                        break;
                    }
                    if b == b'\n' || (b == b'\r' && bytes.get(i + 1) != Some(&b'\n')) {
                        line += 1;
                    }
                    field.push(b);
                    i += 1;
                }
                if !closed {
                    unclosed = true;
                    fields.push(std::mem::take(&mut field));
                    break 'record;
                }
            }
            loop {
                match bytes.get(i) {
                    None => {
                        fields.push(std::mem::take(&mut field));
                        break 'record;
                    }
                    Some(b',') => {
                        i += 1;
                        fields.push(std::mem::take(&mut field));
                        continue 'record;
                    }
                    Some(b'\n') => {
                        i += 1;
                        line += 1;
                        fields.push(std::mem::take(&mut field));
                        break 'record;
                    }
                    Some(b'\r') => {
                        i += 1;
                        if bytes.get(i) == Some(&b'\n') {
                            i += 1;
                        }
                        line += 1;
                        fields.push(std::mem::take(&mut field));
                        break 'record;
                    }
                    Some(&b) => {
                        field.push(b);
                        i += 1;
                    }
                }
            }
        }
        out.push(Rec {
            start,
            end: i,
            line: start_line,
            fields,
            unclosed,
        });
    }
    out
}

/// What loading one table's file must give: `Ok(rows)` with the number of non-blank
/// records after the header, or `Err(())` when the header is unusable (a required column
/// missing or a SPEC column repeated).
pub fn expected_rows(table: Table, file: Option<&[u8]>) -> Result<u64, ()> {
    let Some(file) = file else {
        return if table.is_required() { Err(()) } else { Ok(0) };
    };
    let records = split_records(file);
    let mut records = records.iter().filter(|r| !r.is_blank());
    let Some(header) = records.next() else {
        return if table.is_required() { Err(()) } else { Ok(0) };
    };
    let names: Vec<String> = header
        .fields
        .iter()
        .map(|f| {
            String::from_utf8_lossy(f)
                .trim()
                .trim_start_matches('\u{feff}')
                .to_owned()
        })
        .collect();
    for column in table.columns() {
        let n = names.iter().filter(|n| **n == column.name).count();
        if n > 1 || (column.required && n == 0) {
            return Err(());
        }
    }
    Ok(records.count() as u64)
}

/// Writes fields as one CSV record, quoting where needed, ending in `\n`.
fn encode(fields: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::new();
    for (k, f) in fields.iter().enumerate() {
        if k > 0 {
            out.push(b',');
        }
        if f.iter().any(|b| matches!(b, b',' | b'"' | b'\n' | b'\r')) || f.first() == Some(&b'"') {
            out.push(b'"');
            for &b in f {
                if b == b'"' {
                    out.push(b'"');
                }
                out.push(b);
            }
            out.push(b'"');
        } else {
            out.extend_from_slice(f);
        }
    }
    out.push(b'\n');
    out
}

#[derive(Clone, Debug)]
pub enum Mutation {
    DropRow(usize),
    DuplicateRow(usize),
    DropField(usize, usize),
    DuplicateField(usize, usize),
    CorruptField(usize, usize, Vec<u8>),
    /// Swap two columns in every record (`true`) or in the data rows only.
    SwapColumns(usize, usize, bool),
    Truncate(usize),
    Inject(usize, Vec<u8>),
}

/// Values that are interesting in a field: off-grammar numbers and times, quotes, line
/// breaks, separators, bad UTF-8, ids of the generated data.
fn corrupt_value() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::sample::select(vec![
            &b""[..],
            b" ",
            b"1e5",
            b"-1",
            b"0",
            b"-0",
            b"1,000",
            b"NaN",
            b"79228162514264337593543950335",
            b"1234567890123456789012345678901234567890",
            b"2026-02-30",
            b"2026-11-15T24:00:00Z",
            b"2026-11-15T10:00:00",
            b"9999-12-31T23:59:59Z",
            b"\"",
            b"a\"b",
            b"\"x\"y",
            b"\n",
            b"\r\n",
            b"x,y",
            b"\xff\xfe",
            b"\0",
            b"completed",
            b"true",
            b"KH0000001",
            b"DH0000001",
        ])
        .prop_map(<[u8]>::to_vec),
        prop::collection::vec(any::<u8>(), 0..8),
    ]
}

fn injected() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::sample::select(vec![
            &b"\""[..],
            b"\"\"",
            b"\n",
            b"\r",
            b"\r\n",
            b",",
            b"\n\n",
            b"\xEF\xBB\xBF",
            b"\xff",
            b"\0",
        ])
        .prop_map(<[u8]>::to_vec),
        prop::collection::vec(any::<u8>(), 1..4),
    ]
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let n = || 0usize..10_000;
    prop_oneof![
        n().prop_map(Mutation::DropRow),
        n().prop_map(Mutation::DuplicateRow),
        (n(), n()).prop_map(|(r, f)| Mutation::DropField(r, f)),
        (n(), n()).prop_map(|(r, f)| Mutation::DuplicateField(r, f)),
        (n(), n(), corrupt_value()).prop_map(|(r, f, v)| Mutation::CorruptField(r, f, v)),
        (n(), n(), any::<bool>()).prop_map(|(a, b, all)| Mutation::SwapColumns(a, b, all)),
        (0usize..1_000_000).prop_map(Mutation::Truncate),
        (0usize..1_000_000, injected()).prop_map(|(at, b)| Mutation::Inject(at, b)),
    ]
}

/// Applies one mutation to a file.
pub fn apply(file: &mut Vec<u8>, mutation: &Mutation) {
    let records = split_records(file);
    let pick = |k: usize| (!records.is_empty()).then(|| &records[k % records.len()]);
    let replace = |file: &mut Vec<u8>, rec: &Rec, with: Vec<u8>| {
        file.splice(rec.start..rec.end, with);
    };
    match mutation {
        Mutation::DropRow(k) => {
            if let Some(rec) = pick(*k) {
                replace(file, rec, Vec::new());
            }
        }
        Mutation::DuplicateRow(k) => {
            if let Some(rec) = pick(*k) {
                let copy = encode(&rec.fields);
                let mut with = file[rec.start..rec.end].to_vec();
                if !with.ends_with(b"\n") && !with.ends_with(b"\r") {
                    with.push(b'\n');
                }
                with.extend(copy);
                replace(file, rec, with);
            }
        }
        Mutation::DropField(k, f) | Mutation::DuplicateField(k, f) => {
            if let Some(rec) = pick(*k) {
                let mut fields = rec.fields.clone();
                let f = f % fields.len().max(1);
                if f < fields.len() {
                    if matches!(mutation, Mutation::DropField(..)) {
                        fields.remove(f);
                    } else {
                        fields.insert(f, fields[f].clone());
                    }
                }
                replace(file, rec, encode(&fields));
            }
        }
        Mutation::CorruptField(k, f, value) => {
            if let Some(rec) = pick(*k) {
                let mut fields = rec.fields.clone();
                let f = f % fields.len().max(1);
                if let Some(field) = fields.get_mut(f) {
                    *field = value.clone();
                }
                // The raw value goes in unquoted: its quotes and line breaks are live.
                let mut with = Vec::new();
                for (i, field) in fields.iter().enumerate() {
                    if i > 0 {
                        with.push(b',');
                    }
                    if i == f {
                        with.extend_from_slice(field);
                    } else {
                        with.extend(encode(std::slice::from_ref(field)).split_last().unwrap().1);
                    }
                }
                with.push(b'\n');
                replace(file, rec, with);
            }
        }
        Mutation::SwapColumns(a, b, all) => {
            let mut out = Vec::new();
            for (i, rec) in records.iter().enumerate() {
                let mut fields = rec.fields.clone();
                let n = fields.len();
                if n > 0 && (*all || i > 0) {
                    fields.swap(a % n, b % n);
                }
                out.extend(encode(&fields));
            }
            *file = out;
        }
        Mutation::Truncate(at) => {
            let at = at % (file.len() + 1);
            file.truncate(at);
        }
        Mutation::Inject(at, bytes) => {
            let at = at % (file.len() + 1);
            file.splice(at..at, bytes.iter().copied());
        }
    }
}

/// The files of a generated folder, in memory (`None`: no such file).
fn generated(seed: u64, customers: usize, bad: f64) -> Vec<Option<Vec<u8>>> {
    let dir = temp("base", seed);
    SampleOptions::new(customers)
        .seed(seed)
        .as_of(as_of())
        .history_days(200)
        .bad_rate(bad)
        .write_csv(&dir)
        .unwrap();
    let files = Table::ALL
        .iter()
        .map(|t| std::fs::read(dir.join(format!("{t}.csv"))).ok())
        .collect();
    std::fs::remove_dir_all(&dir).unwrap();
    files
}

fn temp(what: &str, seed: u64) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "crm-mutations-{what}-{}-{seed}-{:?}",
        std::process::id(),
        std::thread::current().id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn as_of() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-15T03:00:00Z")
        .unwrap()
        .with_timezone(&Utc)
}

/// Loads `files` as a folder and checks them against the oracle; returns the number of
/// reports computed (0 when a header was broken).
fn check_folder(files: &[Option<Vec<u8>>], seed: u64) -> Result<usize, TestCaseError> {
    let dir = temp("case", seed);
    for (table, file) in Table::ALL.iter().zip(files) {
        if let Some(file) = file {
            std::fs::write(dir.join(format!("{table}.csv")), file).unwrap();
        }
    }
    let expected: Vec<Result<u64, ()>> = Table::ALL
        .iter()
        .zip(files)
        .map(|(&t, f)| expected_rows(t, f.as_deref()))
        .collect();
    let mut builder = DatasetBuilder::new();
    let loaded = builder.read_csv_dir(&dir);
    std::fs::remove_dir_all(&dir).unwrap();
    let first_bad = Table::ALL
        .iter()
        .zip(&expected)
        .find(|(_, e)| e.is_err())
        .map(|(t, _)| *t);
    match (loaded, first_bad) {
        (Ok(()), None) => {}
        (
            Err(
                Error::MissingColumn { table, .. }
                | Error::DuplicateColumn { table, .. }
                | Error::MissingFile { table, .. },
            ),
            Some(bad),
        ) => {
            prop_assert_eq!(table, bad);
            return Ok(0);
        }
        (loaded, bad) => {
            return Err(TestCaseError::fail(format!(
                "loading gave {loaded:?}, the oracle's first bad header is {bad:?}"
            )));
        }
    }
    let dataset = builder.clone().build().unwrap();
    let quality = dataset.quality();
    for (table, expected) in Table::ALL.iter().zip(&expected) {
        let c = quality.table(*table);
        prop_assert_eq!(c.read, c.accepted + c.rejected, "{}", table);
        prop_assert_eq!(Ok(c.read), *expected, "{}: read", table);
    }
    prop_assert_eq!(
        Table::ALL
            .iter()
            .map(|&t| quality.table(t).rejected)
            .sum::<u64>(),
        quality.rejections().len() as u64
    );
    // Strict mode fails on the first rejection exactly.
    match (builder.strict(true).build(), quality.rejections().first()) {
        (Ok(_), None) => {}
        (Err(Error::Rejected(r)), Some(first)) => prop_assert_eq!(&*r, first),
        (other, first) => {
            return Err(TestCaseError::fail(format!(
                "strict gave {:?}, first rejection {first:?}",
                other.map(|_| ())
            )));
        }
    }
    let mut reports = 0;
    let first_customer = dataset
        .customer_indices()
        .next()
        .and_then(|i| dataset.customer(i));
    for (tz, preset) in [
        ("+07:00", Preset::ThisMonth),
        ("Europe/Berlin", Preset::Last90Days),
    ] {
        let mut options = ReportOptions::new(as_of()).time_zone(tz).period(preset);
        if let Some(c) = &first_customer
            && c.created_at <= as_of()
        {
            options = options.customer(c.id.clone());
        }
        match crm_metrics::report(&dataset, &options) {
            Ok(report) => {
                serde_json::to_string(&report).unwrap();
                reports += 1;
            }
            // Corrupted digits can make amounts whose sum does not fit.
            Err(Error::Overflow { .. } | Error::CountOverflow { .. }) => {}
            Err(e) => return Err(TestCaseError::fail(format!("report: {e}"))),
        }
    }
    Ok(reports)
}

/// The oracle agrees with the reader on hand-made shapes, line numbers included.
#[test]
fn the_oracle_splits_like_the_reader() {
    let file = b"\xEF\xBB\xBFid,name\r\nNV1,\"a\r\nb\"\n\n,\nNV2,x\"y\rNV3,\"q\"\"\"z\nNV4,\"open";
    let lines: Vec<(u64, bool)> = split_records(file)
        .iter()
        .map(|r| (r.line, r.is_blank()))
        .collect();
    assert_eq!(
        lines,
        [
            (1, false),
            (2, false),
            (4, true),
            (5, true),
            (6, false),
            (7, false),
            (8, false)
        ]
    );
    assert_eq!(expected_rows(Table::Staff, Some(file)), Ok(4));
    let d = {
        let mut b = DatasetBuilder::new();
        b.read_csv(Table::Staff, &file[..], "staff.csv").unwrap();
        b.build().unwrap()
    };
    assert_eq!(d.quality().table(Table::Staff).read, 4);
    assert_eq!(expected_rows(Table::Staff, Some(b"id\n")), Err(()));
    assert_eq!(expected_rows(Table::Staff, Some(b"id,name,id\n")), Err(()));
    assert_eq!(expected_rows(Table::Deals, None), Ok(0));
    assert_eq!(expected_rows(Table::Orders, None), Err(()));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// A generated folder, mutated: nothing panics, nothing is lost.
    #[test]
    fn mutated_folders_lose_nothing(
        seed in any::<u64>(),
        customers in 3usize..14,
        bad in prop_oneof![Just(0.0), 0.0f64..0.3],
        mutations in prop::collection::vec((0usize..9, mutation()), 1..10),
    ) {
        let mut files = generated(seed, customers, bad);
        for (table, m) in &mutations {
            if let Some(file) = files[*table].as_mut() {
                apply(file, m);
            }
        }
        check_folder(&files, seed)?;
    }

    /// The same with one file removed (a missing required file is an error naming it).
    #[test]
    fn a_missing_file_is_an_empty_table_or_an_error(seed in any::<u64>(), table in 0usize..9) {
        let mut files = generated(seed, 5, 0.1);
        files[table] = None;
        let reports = check_folder(&files, seed)?;
        prop_assert_eq!(reports == 0, Table::ALL[table].is_required());
    }
}
