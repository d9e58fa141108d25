//! Arrow and Parquet input (features `arrow`, `parquet`): the fixture folder converted
//! to Parquet, as text and typed, reads to the CSV references; the accepted types; a
//! CSV export round trip. The Parquet files are written into temporary folders here,
//! never committed.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_array::types::Int32Type;
use arrow_array::{
    ArrayRef, BooleanArray, Date32Array, Date64Array, Decimal128Array, Decimal256Array,
    DictionaryArray, Float64Array, Int64Array, LargeStringArray, RecordBatch, StringArray,
    StringViewArray, TimestampMicrosecondArray, TimestampMillisecondArray,
    TimestampNanosecondArray, TimestampSecondArray, UInt16Array, UInt64Array,
};
use arrow_schema::DataType;
use chrono::{TimeZone, Utc};
use crm_metrics::calendar::BusinessCalendar;
use crm_metrics::io::parquet_write::{Columns, Rows, write_parquet_dir};
use crm_metrics::{
    Dataset, DatasetBuilder, Error, InputKind, Origin, Reason, ReportOptions, Table,
};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use serde_json::Value;

use crate::compare::compare;
use crate::fixtures::{case_tz, fixture_dir, options};

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("crm-parquet-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn zone(tz: &str) -> BusinessCalendar {
    tz.parse().unwrap()
}

fn from_csv(dir: &Path, tz: &str) -> Dataset {
    let mut builder = DatasetBuilder::new().time_zone(zone(tz));
    builder.read_csv_dir(dir).unwrap();
    builder.build().unwrap()
}

fn from_parquet(dir: &Path, tz: &str) -> Dataset {
    let mut builder = DatasetBuilder::new().time_zone(zone(tz));
    builder.read_parquet_dir(dir).unwrap();
    builder.build().unwrap()
}

/// A rejection without its line number and origin.
type Unnumbered = (Table, Option<String>, Option<&'static str>, Reason, String);

/// The rejections without their line numbers and origins.
fn rejections(dataset: &Dataset) -> Vec<Unnumbered> {
    dataset
        .quality()
        .rejections()
        .iter()
        .map(|r| (r.table, r.id.clone(), r.column, r.reason, r.detail.clone()))
        .collect()
}

fn data_type(path: &Path, column: &str) -> DataType {
    let reader = ParquetRecordBatchReaderBuilder::try_new(File::open(path).unwrap()).unwrap();
    reader
        .schema()
        .field_with_name(column)
        .unwrap()
        .data_type()
        .clone()
}

/// The `table.column`s of the Parquet files in `dir` that are not text.
fn typed_columns(dir: &Path) -> Vec<String> {
    let mut typed = Vec::new();
    for table in Table::ALL {
        let path = dir.join(format!("{}.parquet", table.name()));
        if !path.exists() {
            continue;
        }
        let reader = ParquetRecordBatchReaderBuilder::try_new(File::open(&path).unwrap()).unwrap();
        for field in reader.schema().fields() {
            if field.data_type() != &DataType::Utf8 {
                typed.push(format!("{}.{}", table.name(), field.name()));
            }
        }
    }
    typed
}

/// Every fixture case from the fixture folder written as Parquet: the report equals the
/// reference (rejections' lines aside: rows are numbered, not lined), and the data
/// quality equals the CSV folder's but for row numbers.
fn fixture_cases_match(columns: Columns) {
    let data = fixture_dir().join("data");
    let cases: Value =
        serde_json::from_str(&std::fs::read_to_string(fixture_dir().join("cases.json")).unwrap())
            .unwrap();
    let mut failures = Vec::new();
    let mut checked = 0;
    for case in cases.as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let args: Vec<String> = case["args"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a.as_str().unwrap().to_owned())
            .collect();
        let tz = case_tz(&args);
        let dir = temp_dir(&format!("fixture-{columns:?}-{name}"));
        write_parquet_dir(&data, &dir, &zone(tz), Rows::All, columns).unwrap();
        if columns == Columns::Typed {
            // The conversion typed the columns (else this test would repeat the text one).
            let typed = typed_columns(&dir);
            // The fixture holds bad values in most columns (those stay text, so that the
            // rows are rejected as from CSV); these have none.
            for column in [
                "customers.birth_date",
                "orders.cost_of_goods",
                "deals.handed_over_at",
                "deals.revenue",
                "fanpages.linked_accounts",
            ] {
                assert!(
                    typed.iter().any(|c| c == column),
                    "{column} not typed: {typed:?}"
                );
            }
        }
        let dataset = from_parquet(&dir, tz);
        let csv = from_csv(&data, tz);
        assert_eq!(
            rejections(&dataset),
            rejections(&csv),
            "{name}: data quality"
        );
        for table in Table::ALL {
            assert_eq!(dataset.quality().table(table), csv.quality().table(table));
        }
        assert!(
            dataset
                .quality()
                .rejections()
                .iter()
                .all(|r| r.origin == Origin::PushedRow)
        );
        let report = crm_metrics::report(&dataset, &options(&args)).unwrap();
        let actual = serde_json::to_value(&report).unwrap();
        let expected: Value = serde_json::from_str(
            &std::fs::read_to_string(fixture_dir().join("expected").join(format!("{name}.json")))
                .unwrap(),
        )
        .unwrap();
        let keys: Vec<String> = expected.as_object().unwrap().keys().cloned().collect();
        let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
        let mismatches = compare(
            &expected,
            &actual,
            &keys,
            &[
                "data_quality.rejected[*].detail",
                "data_quality.rejected[*].line",
            ],
        );
        if !mismatches.is_empty() {
            failures.push(format!(
                "{name}: {} mismatch(es), first {}: expected {} got {}",
                mismatches.len(),
                mismatches[0].path,
                mismatches[0].expected,
                mismatches[0].actual
            ));
        }
        checked += 1;
        let _ = std::fs::remove_dir_all(&dir);
    }
    assert_eq!(checked, 9);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn fixture_as_text_parquet_matches_the_references() {
    fixture_cases_match(Columns::Text);
}

#[test]
fn fixture_as_typed_parquet_matches_the_references() {
    fixture_cases_match(Columns::Typed);
}

#[test]
fn export_of_accepted_rows_reads_back_to_the_same_report() {
    let data = fixture_dir().join("data");
    let csv = from_csv(&data, "+07:00");
    let dir = temp_dir("export");
    write_parquet_dir(
        &data,
        &dir,
        &zone("+07:00"),
        Rows::Accepted(csv.quality()),
        Columns::Typed,
    )
    .unwrap();
    // Every typed column of the schema is typed once the rejected rows are out.
    let path = |t: &str| dir.join(format!("{t}.parquet"));
    assert!(
        matches!(data_type(&path("customers"), "created_at"), DataType::Timestamp(_, Some(tz)) if &*tz == "UTC")
    );
    assert_eq!(
        data_type(&path("customers"), "birth_date"),
        DataType::Date32
    );
    assert_eq!(data_type(&path("order_lines"), "quantity"), DataType::Int64);
    assert!(matches!(
        data_type(&path("order_lines"), "unit_price"),
        DataType::Decimal128(38, _)
    ));
    assert_eq!(
        data_type(&path("interactions"), "automated"),
        DataType::Boolean
    );
    let parquet = from_parquet(&dir, "+07:00");
    assert!(parquet.quality().rejections().is_empty());
    let as_of = Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap();
    let mut a =
        serde_json::to_value(crm_metrics::report(&csv, &ReportOptions::new(as_of)).unwrap())
            .unwrap();
    let mut b =
        serde_json::to_value(crm_metrics::report(&parquet, &ReportOptions::new(as_of)).unwrap())
            .unwrap();
    // The rejected rows were not exported: all else is equal.
    a.as_object_mut().unwrap().remove("data_quality");
    b.as_object_mut().unwrap().remove("data_quality");
    assert_eq!(a, b);
    let _ = std::fs::remove_dir_all(&dir);
}

fn batch(columns: Vec<(&str, ArrayRef)>) -> RecordBatch {
    RecordBatch::try_from_iter(columns).unwrap()
}

fn text(values: &[Option<&str>]) -> ArrayRef {
    Arc::new(StringArray::from(values.to_vec()))
}

/// The same rows as CSV text and as typed Arrow columns of every accepted type build
/// the same dataset.
#[test]
fn every_accepted_type_reads_as_its_text() {
    let tz = "+07:00";
    let mut typed = DatasetBuilder::new().time_zone(zone(tz));
    let source: DictionaryArray<Int32Type> = vec!["Shopee", "POS", "shopee"].into_iter().collect();
    typed
        .push_batch(
            Table::Customers,
            &batch(vec![
                (
                    "ID",
                    Arc::new(LargeStringArray::from(vec!["KH1", "KH2", "KH3"])),
                ),
                (
                    "Created At",
                    // 2026-11-02 10:00 +07:00, an instant in seconds.
                    Arc::new(
                        TimestampSecondArray::from(vec![
                            1_793_588_400,
                            1_793_588_400,
                            1_793_588_400,
                        ])
                        .with_timezone("+07:00"),
                    ),
                ),
                ("source", Arc::new(source)),
                (
                    "name",
                    Arc::new(StringViewArray::from(vec![Some("Lan"), None, Some("Mai")])),
                ),
                (
                    "birth_date",
                    Arc::new(Date32Array::from(vec![Some(7305), None, Some(0)])),
                ),
            ]),
        )
        .unwrap();
    typed
        .push_batch(
            Table::Orders,
            &batch(vec![
                ("id", text(&[Some("DH1"), Some("DH2")])),
                ("customer_id", text(&[Some("KH1"), Some("KH2")])),
                (
                    "created_at",
                    // Local wall-clock times (no zone): 2026-11-05 09:30 and 2026-11-06 00:00.
                    Arc::new(TimestampMillisecondArray::from(vec![
                        1_793_871_000_000,
                        1_793_923_200_000,
                    ])),
                ),
                ("status", text(&[Some("completed"), Some("Completed")])),
                (
                    "total",
                    Arc::new(
                        Decimal128Array::from(vec![12_345_000, 50_000])
                            .with_precision_and_scale(20, 2)
                            .unwrap(),
                    ),
                ),
                (
                    "cost_of_goods",
                    Arc::new(
                        Decimal256Array::from(vec![Some(<arrow_array::types::Decimal256Type as arrow_array::ArrowPrimitiveType>::Native::from_i128(9)), None])
                            .with_precision_and_scale(40, -3)
                            .unwrap(),
                    ),
                ),
            ]),
        )
        .unwrap();
    typed
        .push_batch(
            Table::OrderLines,
            &batch(vec![
                ("order_id", text(&[Some("DH1")])),
                ("product_id", text(&[Some("SP1")])),
                ("quantity", Arc::new(UInt16Array::from(vec![3]))),
                (
                    "unit_price",
                    Arc::new(
                        Decimal128Array::from(vec![4_115_000])
                            .with_precision_and_scale(12, 2)
                            .unwrap(),
                    ),
                ),
            ]),
        )
        .unwrap();
    typed
        .push_batch(
            Table::Costs,
            &batch(vec![
                // 2026-11-01 in milliseconds.
                ("date", Arc::new(Date64Array::from(vec![1_793_491_200_000]))),
                ("source", text(&[Some("shopee")])),
                ("amount", Arc::new(Int64Array::from(vec![200_000]))),
            ]),
        )
        .unwrap();
    typed
        .push_batch(
            Table::Interactions,
            &batch(vec![
                ("id", text(&[Some("TT1"), Some("TT2")])),
                ("customer_id", text(&[Some("KH1"), Some("KH1")])),
                (
                    "at",
                    Arc::new(
                        TimestampNanosecondArray::from(vec![
                            1_762_300_000_000_000_000,
                            1_762_300_060_500_000_000,
                        ])
                        .with_timezone("UTC"),
                    ),
                ),
                ("channel", text(&[Some("zalo"), Some("zalo")])),
                ("kind", text(&[Some("message"), Some("message")])),
                ("direction", text(&[Some("inbound"), Some("outbound")])),
                (
                    "automated",
                    Arc::new(BooleanArray::from(vec![Some(false), None])),
                ),
            ]),
        )
        .unwrap();
    typed
        .push_batch(
            Table::Fanpages,
            &batch(vec![
                ("id", text(&[Some("FP1")])),
                ("name", text(&[Some("Page")])),
                ("activated", Arc::new(BooleanArray::from(vec![true]))),
                ("linked_accounts", Arc::new(UInt64Array::from(vec![2]))),
            ]),
        )
        .unwrap();
    let typed = typed.build().unwrap();

    let mut csv = DatasetBuilder::new().time_zone(zone(tz));
    let read =
        |b: &mut DatasetBuilder, t: Table, s: &str| b.read_csv(t, s.as_bytes(), "t.csv").unwrap();
    read(
        &mut csv,
        Table::Customers,
        "id,created_at,source,name,birth_date\nKH1,2026-11-02 10:00,shopee,Lan,1990-01-01\nKH2,2026-11-02T03:00:00Z,pos,,\nKH3,2026-11-02 10:00,shopee,Mai,1970-01-01\n",
    );
    read(
        &mut csv,
        Table::Orders,
        "id,customer_id,created_at,status,total,cost_of_goods\nDH1,KH1,2026-11-05 09:30,completed,123450.00,9000\nDH2,KH2,2026-11-06 00:00,completed,500.00,\n",
    );
    read(
        &mut csv,
        Table::OrderLines,
        "order_id,product_id,quantity,unit_price\nDH1,SP1,3,41150.00\n",
    );
    read(
        &mut csv,
        Table::Costs,
        "date,source,amount\n2026-11-01,shopee,200000\n",
    );
    read(
        &mut csv,
        Table::Interactions,
        "id,customer_id,at,channel,kind,direction,automated\nTT1,KH1,2025-11-04T23:46:40Z,zalo,message,inbound,false\nTT2,KH1,2025-11-04T23:47:40.5Z,zalo,message,outbound,\n",
    );
    read(
        &mut csv,
        Table::Fanpages,
        "id,name,activated,linked_accounts\nFP1,Page,true,2\n",
    );
    let csv = csv.build().unwrap();

    assert!(
        typed.quality().is_clean(),
        "{:?}",
        typed.quality().rejections()
    );
    assert_eq!(typed.quality(), csv.quality());
    let as_of = Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap();
    let a = serde_json::to_value(crm_metrics::report(&typed, &ReportOptions::new(as_of)).unwrap())
        .unwrap();
    let b = serde_json::to_value(crm_metrics::report(&csv, &ReportOptions::new(as_of)).unwrap())
        .unwrap();
    assert_eq!(a, b);
    // The dictionary-encoded "Shopee" is the source shopee.
    let kh1 = typed.customer(typed.customer_idx("KH1").unwrap()).unwrap();
    assert_eq!(kh1.source, crm_metrics::model::Source::Shopee);
}

#[test]
fn timestamp_without_zone_is_local_time_in_the_builders_zone() {
    let at = Arc::new(TimestampMicrosecondArray::from(vec![1_793_613_600_000_000])) as ArrayRef; // 2026-11-02 10:00 wall clock
    let customers = batch(vec![
        ("id", text(&[Some("KH1")])),
        ("created_at", at),
        ("source", text(&[Some("pos")])),
    ]);
    for (tz, utc_hour) in [("+07:00", 3), ("-05:00", 15)] {
        let mut builder = DatasetBuilder::new().time_zone(zone(tz));
        builder.push_batch(Table::Customers, &customers).unwrap();
        let dataset = builder.build().unwrap();
        let customer = dataset
            .customer(dataset.customer_idx("KH1").unwrap())
            .unwrap();
        assert_eq!(
            customer.created_at,
            Utc.with_ymd_and_hms(2026, 11, 2, utc_hour, 0, 0).unwrap()
        );
    }
}

fn customers() -> RecordBatch {
    batch(vec![
        ("id", text(&[Some("KH1")])),
        ("created_at", text(&[Some("2026-11-02 10:00")])),
        ("source", text(&[Some("pos")])),
    ])
}

#[test]
fn nulls_and_out_of_range_values_are_rejected_rows_numbered_in_the_table() {
    let mut builder = DatasetBuilder::new();
    builder.push_batch(Table::Customers, &customers()).unwrap();
    let beyond = 10i128.pow(30); // more than rust_decimal's 96-bit mantissa holds
    let orders = batch(vec![
        (
            "id",
            text(&[Some("DH1"), Some("DH2"), Some("DH3"), Some("DH4")]),
        ),
        (
            "customer_id",
            text(&[Some("KH1"), Some("KH1"), Some("KH1"), Some("KH1")]),
        ),
        (
            "created_at",
            Arc::new(
                TimestampSecondArray::from(vec![
                    Some(1_793_588_400),
                    None,
                    Some(1_793_588_400),
                    Some(i64::MAX),
                ])
                .with_timezone("UTC"),
            ),
        ),
        (
            "status",
            text(&[
                Some("completed"),
                Some("completed"),
                Some("completed"),
                Some("completed"),
            ]),
        ),
        (
            "total",
            Arc::new(
                Decimal128Array::from(vec![Some(100), Some(100), Some(beyond), Some(100)])
                    .with_precision_and_scale(38, 0)
                    .unwrap(),
            ),
        ),
        (
            "cost_of_goods",
            Arc::new(Decimal128Array::from(vec![None, None, None, None::<i128>])),
        ),
    ]);
    builder.push_batch(Table::Orders, &orders).unwrap();
    let dataset = builder.build().unwrap();
    assert_eq!(dataset.order_count(), 1);
    let rejected = dataset.quality().rejections();
    let seen: Vec<(u64, Option<&str>, Reason, Origin)> = rejected
        .iter()
        .map(|r| (r.line, r.column, r.reason, r.origin))
        .collect();
    assert_eq!(
        seen,
        [
            (2, Some("created_at"), Reason::ParseError, Origin::PushedRow),
            (3, Some("total"), Reason::ParseError, Origin::PushedRow),
            (4, Some("created_at"), Reason::ParseError, Origin::PushedRow),
        ]
    );
    assert_eq!(rejected[0].detail, "missing required value");
    assert!(
        rejected[1].to_string().starts_with("orders row 3"),
        "{}",
        rejected[1]
    );
    // The typed value that has no timestamp says so.
    assert!(
        rejected[2].detail.contains("range"),
        "{}",
        rejected[2].detail
    );
}

#[test]
fn a_float_money_column_is_an_error_naming_it() {
    let mut builder = DatasetBuilder::new();
    let orders = batch(vec![
        ("id", text(&[Some("DH1")])),
        ("customer_id", text(&[Some("KH1")])),
        ("created_at", text(&[Some("2026-11-02 10:00")])),
        ("status", text(&[Some("completed")])),
        ("total", Arc::new(Float64Array::from(vec![100.5]))),
    ]);
    let err = builder.push_batch(Table::Orders, &orders).unwrap_err();
    assert!(
        matches!(
            err,
            Error::ColumnType {
                column: "total",
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("money is never a float"), "{err}");
}

#[test]
fn a_missing_required_column_is_an_error() {
    let mut builder = DatasetBuilder::new();
    let customers = batch(vec![
        ("id", text(&[Some("KH1")])),
        ("source", text(&[Some("pos")])),
    ]);
    let err = builder
        .push_batch(Table::Customers, &customers)
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::MissingColumn {
                column: "created_at",
                input: InputKind::ArrowBatch,
                ..
            }
        ),
        "{err}"
    );
    assert_eq!(
        err.to_string(),
        "the customers batch: missing required column created_at"
    );
}

#[test]
fn a_parquet_folder_without_customers_is_a_missing_file() {
    let dir = temp_dir("missing");
    let mut builder = DatasetBuilder::new();
    let err = builder.read_parquet_dir(&dir).unwrap_err();
    assert!(
        matches!(
            err,
            Error::MissingFile {
                table: Table::Customers,
                input: InputKind::Parquet
            }
        ),
        "{err}"
    );
    assert_eq!(
        err.to_string(),
        "customers.parquet is missing: it is a required file"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// Wall-clock timestamps (no time zone) in a zone with DST read as the CSV grammar reads
/// local times: in the spring gap the offset before it applies, in the autumn overlap
/// the earlier instant wins; and each unit reads the same instant.
#[test]
fn wall_clock_timestamps_in_a_dst_gap_and_overlap_read_as_local_csv_times() {
    // As if UTC: 2026-03-29 02:30 (does not exist in Berlin), 2026-10-25 02:30 (twice),
    // 2026-07-15 10:00 (summer, +02:00).
    let wall = [1_774_751_400i64, 1_792_895_400, 1_784_109_600];
    let expected = [
        Utc.with_ymd_and_hms(2026, 3, 29, 1, 30, 0).unwrap(),
        Utc.with_ymd_and_hms(2026, 10, 25, 0, 30, 0).unwrap(),
        Utc.with_ymd_and_hms(2026, 7, 15, 8, 0, 0).unwrap(),
    ];
    let columns: [ArrayRef; 4] = [
        Arc::new(TimestampSecondArray::from(wall.to_vec())),
        Arc::new(TimestampMillisecondArray::from(
            wall.iter().map(|s| s * 1_000).collect::<Vec<_>>(),
        )),
        Arc::new(TimestampMicrosecondArray::from(
            wall.iter().map(|s| s * 1_000_000).collect::<Vec<_>>(),
        )),
        Arc::new(TimestampNanosecondArray::from(
            wall.iter().map(|s| s * 1_000_000_000).collect::<Vec<_>>(),
        )),
    ];
    let csv = "id,created_at,source\nKH1,2026-03-29 02:30,pos\nKH2,2026-10-25 02:30,pos\nKH3,2026-07-15 10:00,pos\n";
    let mut from_csv = DatasetBuilder::new().time_zone(zone("Europe/Berlin"));
    from_csv
        .read_csv(Table::Customers, csv.as_bytes(), "customers.csv")
        .unwrap();
    let from_csv = from_csv.build().unwrap();
    for at in columns {
        let customers = batch(vec![
            ("id", text(&[Some("KH1"), Some("KH2"), Some("KH3")])),
            ("created_at", at),
            ("source", text(&[Some("pos"), Some("pos"), Some("pos")])),
        ]);
        let mut builder = DatasetBuilder::new().time_zone(zone("Europe/Berlin"));
        builder.push_batch(Table::Customers, &customers).unwrap();
        let dataset = builder.build().unwrap();
        for (k, want) in expected.iter().enumerate() {
            let id = format!("KH{}", k + 1);
            let got = dataset
                .customer(dataset.customer_idx(&id).unwrap())
                .unwrap()
                .created_at;
            assert_eq!(got, *want, "{id}");
            let csv_at = from_csv
                .customer(from_csv.customer_idx(&id).unwrap())
                .unwrap()
                .created_at;
            assert_eq!(got, csv_at, "{id} as CSV");
        }
    }
}

/// A null in each typed column: a required one is a missing required value naming the
/// column, an optional one is absent (the row accepted).
#[test]
fn a_null_in_each_typed_column_is_an_empty_value() {
    let mut builder = DatasetBuilder::new();
    let customers = batch(vec![
        ("id", text(&[Some("KH1"), Some("KH2")])),
        (
            "created_at",
            Arc::new(
                TimestampMicrosecondArray::from(vec![Some(1_793_613_600_000_000), None])
                    .with_timezone("UTC"),
            ),
        ),
        ("source", text(&[Some("pos"), Some("pos")])),
        (
            "birth_date",
            Arc::new(Date32Array::from(vec![None, Some(0)])),
        ),
    ]);
    builder.push_batch(Table::Customers, &customers).unwrap();
    let decimal = |v: Vec<Option<i128>>| -> ArrayRef {
        Arc::new(
            Decimal128Array::from(v)
                .with_precision_and_scale(38, 2)
                .unwrap(),
        )
    };
    let orders = batch(vec![
        ("id", text(&[Some("DH1"), Some("DH2")])),
        ("customer_id", text(&[Some("KH1"), Some("KH1")])),
        (
            "created_at",
            Arc::new(
                TimestampMicrosecondArray::from(vec![1_793_613_600_000_000; 2])
                    .with_timezone("UTC"),
            ),
        ),
        ("status", text(&[Some("completed"), Some("completed")])),
        ("total", decimal(vec![Some(100), None])),
        ("cost_of_goods", decimal(vec![None, Some(5)])),
    ]);
    builder.push_batch(Table::Orders, &orders).unwrap();
    let lines = batch(vec![
        ("order_id", text(&[Some("DH1"), Some("DH1")])),
        ("product_id", text(&[Some("SP1"), Some("SP2")])),
        ("quantity", Arc::new(Int64Array::from(vec![None, Some(1)]))),
        ("unit_price", decimal(vec![Some(100), None])),
    ]);
    builder.push_batch(Table::OrderLines, &lines).unwrap();
    let costs = batch(vec![
        (
            "date",
            Arc::new(Date32Array::from(vec![None, Some(20_000)])),
        ),
        ("source", text(&[Some("ads"), Some("ads")])),
        ("amount", decimal(vec![Some(100), Some(100)])),
    ]);
    builder.push_batch(Table::Costs, &costs).unwrap();
    let interactions = batch(vec![
        ("id", text(&[Some("TT1")])),
        ("customer_id", text(&[Some("KH1")])),
        (
            "at",
            Arc::new(
                TimestampMicrosecondArray::from(vec![1_793_613_600_000_000]).with_timezone("UTC"),
            ),
        ),
        ("channel", text(&[Some("zalo")])),
        ("kind", text(&[Some("message")])),
        ("direction", text(&[Some("inbound")])),
        (
            "automated",
            Arc::new(BooleanArray::from(vec![None::<bool>])),
        ),
    ]);
    builder
        .push_batch(Table::Interactions, &interactions)
        .unwrap();
    let fanpages = batch(vec![
        ("id", text(&[Some("FP1"), Some("FP2")])),
        ("name", text(&[Some("A"), Some("B")])),
        (
            "activated",
            Arc::new(BooleanArray::from(vec![None, Some(true)])),
        ),
        (
            "linked_accounts",
            Arc::new(Int64Array::from(vec![Some(1), None])),
        ),
    ]);
    builder.push_batch(Table::Fanpages, &fanpages).unwrap();
    let dataset = builder.build().unwrap();
    let seen: Vec<(Table, u64, Option<&str>, &str)> = dataset
        .quality()
        .rejections()
        .iter()
        .map(|r| (r.table, r.line, r.column, r.detail.as_str()))
        .collect();
    let missing = "missing required value";
    assert_eq!(
        seen,
        [
            (Table::Customers, 2, Some("created_at"), missing),
            (Table::Orders, 2, Some("total"), missing),
            (Table::OrderLines, 1, Some("quantity"), missing),
            (Table::OrderLines, 2, Some("unit_price"), missing),
            (Table::Costs, 1, Some("date"), missing),
            (Table::Fanpages, 1, Some("activated"), missing),
            (Table::Fanpages, 2, Some("linked_accounts"), missing),
        ]
    );
    // The optional nulls are absent: the rows holding them are accepted.
    assert_eq!(dataset.customer_count(), 1);
    assert_eq!(dataset.order_count(), 1);
    assert_eq!(dataset.interaction_count(), 1);
    let kh1 = dataset
        .customer(dataset.customer_idx("KH1").unwrap())
        .unwrap();
    assert_eq!(kh1.birth_date, None);
}

/// Writes `batch` as `<dir>/<table>.parquet`.
fn write_table(dir: &Path, table: &str, batch: &RecordBatch) {
    let file = File::create(dir.join(format!("{table}.parquet"))).unwrap();
    let mut writer = parquet::arrow::ArrowWriter::try_new(file, batch.schema(), None).unwrap();
    writer.write(batch).unwrap();
    writer.close().unwrap();
}

/// An empty (0-byte) Parquet file is an empty table, as an empty CSV file is: nothing
/// for an optional table, a missing column for a required one.
#[test]
fn an_empty_parquet_file_is_an_empty_table() {
    let dir = temp_dir("empty");
    let write = |table: &str, batch: &RecordBatch| write_table(&dir, table, batch);
    write("customers", &customers());
    write(
        "orders",
        &batch(vec![
            ("id", text(&[Some("DH1")])),
            ("customer_id", text(&[Some("KH1")])),
            ("created_at", text(&[Some("2026-11-02T10:00:00+07:00")])),
            ("status", text(&[Some("completed")])),
            ("total", text(&[Some("100")])),
        ]),
    );
    File::create(dir.join("staff.parquet")).unwrap();
    let dataset = from_parquet(&dir, "+07:00");
    assert_eq!(dataset.order_count(), 1);
    let staff = dataset.quality().table(Table::Staff);
    assert_eq!((staff.read, staff.rejected), (0, 0));
    // A required table's empty file has no schema: a missing column, named as Parquet.
    File::create(dir.join("orders.parquet")).unwrap();
    let err = DatasetBuilder::new().read_parquet_dir(&dir).unwrap_err();
    assert_eq!(
        err.to_string(),
        "orders.parquet: missing required column id"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// With several files at fault, the error is the first in table order (the files are
/// read concurrently with the `parallel` feature).
#[test]
fn errors_in_a_parquet_folder_come_in_table_order() {
    let dir = temp_dir("order");
    let write = |table: &str, batch: &RecordBatch| write_table(&dir, table, batch);
    // customers lacks created_at; orders is missing; deals has a float revenue.
    write(
        "customers",
        &batch(vec![
            ("id", text(&[Some("KH1")])),
            ("source", text(&[Some("pos")])),
        ]),
    );
    write(
        "deals",
        &batch(vec![
            ("id", text(&[Some("D1")])),
            ("created_at", text(&[Some("2026-01-01 00:00")])),
            ("source", text(&[Some("ads")])),
            ("revenue", Arc::new(Float64Array::from(vec![1.5]))),
        ]),
    );
    let err = DatasetBuilder::new().read_parquet_dir(&dir).unwrap_err();
    assert!(
        matches!(
            err,
            Error::MissingColumn {
                table: Table::Customers,
                column: "created_at",
                input: InputKind::Parquet
            }
        ),
        "{err}"
    );
    assert_eq!(
        err.to_string(),
        "customers.parquet: missing required column created_at"
    );
    write("customers", &customers());
    let err = DatasetBuilder::new().read_parquet_dir(&dir).unwrap_err();
    assert!(
        matches!(
            err,
            Error::MissingFile {
                table: Table::Orders,
                input: InputKind::Parquet
            }
        ),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
