//! Bad input, end to end (issue #9): every rejection reason and warning of SPEC §2 at least
//! twice with the exact `data_quality` written out in full; malformed files (quotes, field
//! counts, encodings, sizes, headers, line ends); values at the edges of SPEC §9.9's
//! grammar; sums beyond `Decimal`; strict mode. Each case ends in a rejected row with its
//! reason and line, or an error naming the file and the line or column, never a panic.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use crm_metrics::calendar::{Period, Preset};
use crm_metrics::{
    Dataset, DatasetBuilder, Error, InputKind, Reason, ReportOptions, Table, Warning,
};
use serde_json::{Value, json};

/// Builds from CSV bytes given per table; customers and orders default to a header only.
pub fn load(tables: &[(Table, &[u8])], strict: bool) -> Result<Dataset, Error> {
    let mut builder = DatasetBuilder::new().strict(strict);
    read(&mut builder, tables)?;
    builder.build()
}

/// Reads CSV bytes per table into `builder` (customers and orders default to a header).
pub fn read(builder: &mut DatasetBuilder, tables: &[(Table, &[u8])]) -> Result<(), Error> {
    for table in [Table::Customers, Table::Orders] {
        if !tables.iter().any(|(t, _)| *t == table) {
            let header = table.header();
            builder.read_csv(table, header.as_bytes(), format!("{table}.csv"))?;
        }
    }
    for (table, bytes) in tables {
        builder.read_csv(*table, *bytes, format!("{table}.csv"))?;
    }
    Ok(())
}

fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

/// The report's `data_quality` as JSON.
fn quality(d: &Dataset) -> Value {
    serde_json::to_value(d.quality().section(100)).unwrap()
}

/// (line, reason, column) of every rejection of one table.
fn rejected_in(d: &Dataset, table: Table) -> Vec<(u64, Reason, Option<&'static str>)> {
    d.quality()
        .rejections()
        .iter()
        .filter(|r| r.table == table)
        .map(|r| (r.line, r.reason, r.column))
        .collect()
}

/// `{read, accepted, rejected}` of one table.
fn counts(d: &Dataset, table: Table) -> (u64, u64, u64) {
    let c = d.quality().table(table);
    (c.read, c.accepted, c.rejected)
}

/// Reports over `d` for every preset in three zones, with and without a profile of each
/// accepted customer: each computes or fails with an error, none panics.
fn every_report(d: &Dataset, as_of: &str) -> Vec<Result<Value, String>> {
    let mut out = Vec::new();
    let mut ids: Vec<Option<String>> = vec![None];
    ids.extend(
        d.customer_indices()
            .map(|i| Some(d.customer(i).unwrap().id)),
    );
    for tz in ["+07:00", "Europe/Berlin", "-12:00"] {
        for preset in Preset::ALL {
            for id in &ids {
                let mut options = ReportOptions::new(utc(as_of)).period(preset).time_zone(tz);
                if let Some(id) = id {
                    options = options.customer(id.clone());
                }
                out.push(
                    crm_metrics::report(d, &options)
                        .map(|r| serde_json::to_value(r).unwrap())
                        .map_err(|e| e.to_string()),
                );
            }
        }
    }
    out
}

// ---------------------------------------------------------------------------------------
// Every reason and every warning, at least twice, with the exact data_quality.

const STAFF: &[u8] = b"\
id,name
NV1,Lan
NV1,Lan again
NV2,
";

const FANPAGES: &[u8] = b"\
id,name,channel,activated,linked_accounts
FP1,Shop page,facebook,true,3
FP2,Old page,facebook,yes,1
";

const CAMPAIGNS: &[u8] = b"\
id,name,channel
CD1,Tet,zalo
CD1,Tet again,zalo
";

const CUSTOMERS: &[u8] = b"\
id,created_at,source,name,phone,email,gender,birth_date,zalo_id,facebook_id,notes
KH1,2026-01-01T10:00:00+07:00,pos,An,0901,,female,1990-02-28,,,
KH2,2026-01-02T10:00:00+07:00,shopee,,,,,,,,
KH3,2026-01-03T10:00:00+07:00,facebook,,,,,,,,
KH1,2026-01-04T10:00:00+07:00,pos,,,,,,,,
KH4,2026-01-05 10:00:00+07:00,pos,,,,,,,,
";

const ORDERS: &[u8] = b"\
id,customer_id,created_at,status,total,cost_of_goods,source,fanpage_id,staff_id,voucher_code
DH1,KH1,2026-02-01T10:00:00+07:00,completed,100,60,web,FP1,NV1,
DH2,KH1,2026-02-02T10:00:00+07:00,completed,200,,web,FP9,NV9,V1
DH3,KH2,2026-02-03T10:00:00+07:00,pending,50,,,,NV2,
DH4,KH3,2026-02-04T10:00:00+07:00,completed,10,,,,,
DH5,KH9,2026-02-05T10:00:00+07:00,completed,10,,,,,
DH1,KH1,2026-02-06T10:00:00+07:00,completed,10,,,,,
DH6,KH1,2026-02-07T10:00:00+07:00,completed,-10,,,,,
DH7,KH2,2026-02-08T10:00:00+07:00,completed,10,-1,,,,
DH8,KH2,2026-02-09T10:00:00+07:00,done,10,,,,,
";

const ORDER_LINES: &[u8] = b"\
order_id,product_id,product_name,product_type,quantity,unit_price
DH1,SP1,Tea,drink,2,50
DH2,SP2,,,1,200
DH4,SP1,,,1,10
DH99,SP1,,,1,10
DH1,SP3,,,0,5
DH2,SP3,,,-2,5
DH1,SP4,,,1,-5
DH1,SP4,,,1.5,5
";

const DEALS: &[u8] = b"\
id,customer_id,created_at,source,product_type,handed_over_at,opportunity_at,won_at,revenue
D1,KH1,2026-02-01T00:00:00Z,ads,shoes,2026-02-02T00:00:00Z,2026-02-03T00:00:00Z,2026-02-04T00:00:00Z,500
D2,,2026-02-01T00:00:00Z,ads,,,,,
D3,KH3,2026-02-01T00:00:00Z,ads,,,,,
D4,,2026-02-01T00:00:00Z,ads,,2026-01-31T00:00:00Z,,,
D5,,2026-02-01T00:00:00Z,ads,,2026-02-02T00:00:00Z,2026-02-03T00:00:00Z,2026-02-02T12:00:00Z,5
D6,,2026-02-01T00:00:00Z,ads,,,2026-02-03T00:00:00Z,,
D7,,2026-02-01T00:00:00Z,ads,,2026-02-02T00:00:00Z,,2026-02-04T00:00:00Z,5
D8,,2026-02-01T00:00:00Z,ads,,2026-02-02T00:00:00Z,2026-02-03T00:00:00Z,2026-02-04T00:00:00Z,
D9,,2026-02-01T00:00:00Z,ads,,,,,100
D10,,2026-02-01T00:00:00Z,ads,,,,,-1
D2,,2026-02-01T00:00:00Z,ads,,,,,
";

const COSTS: &[u8] = b"\
date,source,product_type,amount
2026-02-01,ads,shoes,100
2026-02-01,ads,,-1
2026-02-30,ads,,5
2026-02-02,,,5
2026-02-02,ads,,1e3
";

const INTERACTIONS: &[u8] = b"\
id,customer_id,at,channel,kind,direction,fanpage_id,staff_id,automated,campaign_id,ref_id
T1,KH1,2026-02-01T10:00:00+07:00,facebook,message,inbound,FP1,,,,
T2,KH1,2026-02-01T10:05:00+07:00,facebook,message,outbound,FP1,NV1,false,,
T3,KH1,2026-02-01T10:06:00+07:00,zalo,campaign_message,outbound,,,true,CD9,
T4,KH2,2026-02-01T10:07:00+07:00,zalo,campaign_message,outbound,FP7,NV7,false,CD8,
T5,KH3,2026-02-01T10:08:00+07:00,zalo,follow,inbound,,,,,
T6,KH1,2026-02-01T10:09:00+07:00,zalo,follow,sideways,,,,,
T1,KH2,2026-02-01T10:10:00+07:00,zalo,follow,inbound,,,,,
T7,KH9,2026-02-01T10:11:00+07:00,zalo,follow,inbound,FP9,NV9,,CD9,
";

fn all_tables() -> Vec<(Table, &'static [u8])> {
    vec![
        (Table::Customers, CUSTOMERS),
        (Table::Orders, ORDERS),
        (Table::OrderLines, ORDER_LINES),
        (Table::Deals, DEALS),
        (Table::Costs, COSTS),
        (Table::Interactions, INTERACTIONS),
        (Table::Campaigns, CAMPAIGNS),
        (Table::Staff, STAFF),
        (Table::Fanpages, FANPAGES),
    ]
}

/// Each reason of SPEC §2 at least twice and each warning at least twice, in every
/// table, with cascades (SPEC §9.5: KH3 and NV2 are rejected, so DH4, D3, T5 are
/// `unknown_customer` and DH3's NV2 warns) and precedence (SPEC §9.3: DH4 is
/// `unknown_customer` though its total is fine, D10's negative revenue outranks its missing
/// `won_at`). The whole `data_quality` section is written out.
#[test]
fn every_reason_and_warning_with_the_exact_data_quality() {
    let d = load(&all_tables(), false).unwrap();
    let expected = json!({
        "tables": {
            "customers": {"read": 5, "accepted": 2, "rejected": 3},
            "orders": {"read": 9, "accepted": 3, "rejected": 6},
            "order_lines": {"read": 8, "accepted": 2, "rejected": 6},
            "deals": {"read": 11, "accepted": 2, "rejected": 9},
            "costs": {"read": 5, "accepted": 1, "rejected": 4},
            "interactions": {"read": 8, "accepted": 4, "rejected": 4},
            "campaigns": {"read": 2, "accepted": 1, "rejected": 1},
            "staff": {"read": 3, "accepted": 1, "rejected": 2},
            "fanpages": {"read": 2, "accepted": 1, "rejected": 1},
        },
        "rejected_by_reason": {
            "parse_error": 10,
            "duplicate_id": 6,
            "unknown_customer": 5,
            "unknown_order": 2,
            "negative_amount": 5,
            "invalid_quantity": 2,
            "stage_out_of_order": 2,
            "stage_skipped": 2,
            "missing_revenue": 2,
        },
        "rejected": [
            {"table": "customers", "line": 4, "id": "KH3", "reason": "parse_error",
             "detail": "column source: not a customer source (allowed: haravan, shopee, lazada, other_oms, excel_import, manual, zalo_oa, webpush, form, social_chat, pos; any case): \"facebook\""},
            {"table": "customers", "line": 5, "id": "KH1", "reason": "duplicate_id",
             "detail": "column id: KH1 is already claimed by an earlier row"},
            {"table": "customers", "line": 6, "id": "KH4", "reason": "parse_error",
             "detail": "column created_at: a timestamp with an offset needs the RFC 3339 form YYYY-MM-DDTHH:MM:SS+hh:mm ('T' and seconds; leave the offset out for a local time like 2026-05-01 10:00): \"2026-01-05 10:00:00+07:00\""},
            {"table": "orders", "line": 5, "id": "DH4", "reason": "unknown_customer",
             "detail": "column customer_id: no accepted customer KH3"},
            {"table": "orders", "line": 6, "id": "DH5", "reason": "unknown_customer",
             "detail": "column customer_id: no accepted customer KH9"},
            {"table": "orders", "line": 7, "id": "DH1", "reason": "duplicate_id",
             "detail": "column id: DH1 is already claimed by an earlier row"},
            {"table": "orders", "line": 8, "id": "DH6", "reason": "negative_amount",
             "detail": "column total: -10"},
            {"table": "orders", "line": 9, "id": "DH7", "reason": "negative_amount",
             "detail": "column cost_of_goods: -1"},
            {"table": "orders", "line": 10, "id": "DH8", "reason": "parse_error",
             "detail": "column status: not an order status (allowed: pending, completed, failed, cancelled; any case): \"done\""},
            {"table": "order_lines", "line": 4, "id": null, "reason": "unknown_order",
             "detail": "column order_id: no accepted order DH4"},
            {"table": "order_lines", "line": 5, "id": null, "reason": "unknown_order",
             "detail": "column order_id: no accepted order DH99"},
            {"table": "order_lines", "line": 6, "id": null, "reason": "invalid_quantity",
             "detail": "column quantity: 0"},
            {"table": "order_lines", "line": 7, "id": null, "reason": "invalid_quantity",
             "detail": "column quantity: -2"},
            {"table": "order_lines", "line": 8, "id": null, "reason": "negative_amount",
             "detail": "column unit_price: -5"},
            {"table": "order_lines", "line": 9, "id": null, "reason": "parse_error",
             "detail": "column quantity: not a whole number: only digits with an optional '-' are read (no fraction or thousands separators): \"1.5\""},
            {"table": "deals", "line": 4, "id": "D3", "reason": "unknown_customer",
             "detail": "column customer_id: no accepted customer KH3"},
            {"table": "deals", "line": 5, "id": "D4", "reason": "stage_out_of_order",
             "detail": "column handed_over_at: handed_over_at is before created_at"},
            {"table": "deals", "line": 6, "id": "D5", "reason": "stage_out_of_order",
             "detail": "column won_at: won_at is before opportunity_at"},
            {"table": "deals", "line": 7, "id": "D6", "reason": "stage_skipped",
             "detail": "column opportunity_at: opportunity_at is set but handed_over_at is empty"},
            {"table": "deals", "line": 8, "id": "D7", "reason": "stage_skipped",
             "detail": "column won_at: won_at is set but opportunity_at is empty"},
            {"table": "deals", "line": 9, "id": "D8", "reason": "missing_revenue",
             "detail": "column revenue: won deal without revenue"},
            {"table": "deals", "line": 10, "id": "D9", "reason": "missing_revenue",
             "detail": "column revenue: revenue without won_at"},
            {"table": "deals", "line": 11, "id": "D10", "reason": "negative_amount",
             "detail": "column revenue: -1"},
            {"table": "deals", "line": 12, "id": "D2", "reason": "duplicate_id",
             "detail": "column id: D2 is already claimed by an earlier row"},
            {"table": "costs", "line": 3, "id": null, "reason": "negative_amount",
             "detail": "column amount: -1"},
            {"table": "costs", "line": 4, "id": null, "reason": "parse_error",
             "detail": "column date: not a real calendar date: \"2026-02-30\""},
            {"table": "costs", "line": 5, "id": null, "reason": "parse_error",
             "detail": "column source: missing required value"},
            {"table": "costs", "line": 6, "id": null, "reason": "parse_error",
             "detail": "column amount: not a plain number: only digits with an optional '-' and an optional '.' fraction are read (no thousands separators or currency signs: write 1250000, not 1,250,000 or 1250000₫): \"1e3\""},
            {"table": "interactions", "line": 6, "id": "T5", "reason": "unknown_customer",
             "detail": "column customer_id: no accepted customer KH3"},
            {"table": "interactions", "line": 7, "id": "T6", "reason": "parse_error",
             "detail": "column direction: not a direction (allowed: inbound, outbound; any case): \"sideways\""},
            {"table": "interactions", "line": 8, "id": "T1", "reason": "duplicate_id",
             "detail": "column id: T1 is already claimed by an earlier row"},
            {"table": "interactions", "line": 9, "id": "T7", "reason": "unknown_customer",
             "detail": "column customer_id: no accepted customer KH9"},
            {"table": "campaigns", "line": 3, "id": "CD1", "reason": "duplicate_id",
             "detail": "column id: CD1 is already claimed by an earlier row"},
            {"table": "staff", "line": 3, "id": "NV1", "reason": "duplicate_id",
             "detail": "column id: NV1 is already claimed by an earlier row"},
            {"table": "staff", "line": 4, "id": "NV2", "reason": "parse_error",
             "detail": "column name: missing required value"},
            {"table": "fanpages", "line": 3, "id": "FP2", "reason": "parse_error",
             "detail": "column activated: not a boolean (allowed: true, false, 1, 0; any case): \"yes\""},
        ],
        "warnings_by_reason": {"unknown_staff": 3, "unknown_fanpage": 2, "unknown_campaign": 2},
    });
    assert_eq!(quality(&d), expected);
    // Warnings (SPEC §9.5, on accepted rows, once per row and column):
    // unknown_staff: DH2 (NV9), DH3 (NV2, whose row is rejected), T4 (NV7); T7 is rejected.
    // unknown_fanpage: DH2 (FP9), T4 (FP7). unknown_campaign: T3 (CD9), T4 (CD8).
    assert_eq!(d.quality().warnings(Warning::UnknownStaff), 3);
    assert_eq!(d.quality().warnings(Warning::UnknownFanpage), 2);
    assert_eq!(d.quality().warnings(Warning::UnknownCampaign), 2);
    for reason in Reason::ALL {
        assert!(d.quality().rejected_by_reason(reason) >= 2, "{reason}");
    }
    // The accepted rows are the ones indexed.
    assert_eq!(
        (d.customer_count(), d.order_count(), d.order_line_count()),
        (2, 3, 2)
    );
    assert_eq!(
        (d.deal_count(), d.cost_count(), d.interaction_count()),
        (2, 1, 4)
    );
    // The report carries the same section, and computes.
    let report = crm_metrics::report(&d, &ReportOptions::new(utc("2026-02-15T03:00:00Z"))).unwrap();
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["data_quality"], expected);
    // Only the first `limit` rows are listed; the counts stay whole.
    let short = serde_json::to_value(d.quality().section(3)).unwrap();
    assert_eq!(short["rejected"].as_array().unwrap().len(), 3);
    assert_eq!(short["rejected_by_reason"], expected["rejected_by_reason"]);
}

/// The same rows pushed as files of a folder give the same `data_quality`.
#[test]
fn a_folder_gives_the_same_data_quality() {
    let dir = temp_dir("folder");
    for (table, bytes) in all_tables() {
        std::fs::write(dir.join(format!("{table}.csv")), bytes).unwrap();
    }
    let mut builder = DatasetBuilder::new();
    builder.read_csv_dir(&dir).unwrap();
    let from_folder = builder.build().unwrap();
    let from_readers = load(&all_tables(), false).unwrap();
    assert_eq!(quality(&from_folder), quality(&from_readers));
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A fresh folder under the system's temporary directory.
fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("crm-bad-input-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Writes `tables` (customers and orders default to a header only) into a fresh folder.
fn write_folder(name: &str, tables: &[(Table, &[u8])]) -> PathBuf {
    let dir = temp_dir(name);
    for table in [Table::Customers, Table::Orders] {
        std::fs::write(dir.join(format!("{table}.csv")), table.header() + "\n").unwrap();
    }
    for (table, bytes) in tables {
        std::fs::write(dir.join(format!("{table}.csv")), bytes).unwrap();
    }
    dir
}

// ---------------------------------------------------------------------------------------
// Malformed files.

#[test]
fn unclosed_quote_at_end_of_file_is_one_rejected_row() {
    // The quote opened in NV2's name runs to the end: NV3 is inside it, not a row.
    for text in [
        &b"id,name\nNV1,Lan\nNV2,\"Mai\nNV3,Hoa\n"[..],
        &b"id,name\r\nNV1,Lan\r\nNV2,\"Mai\r\nNV3,Hoa"[..],
    ] {
        let d = load(&[(Table::Staff, text)], false).unwrap();
        assert_eq!(counts(&d, Table::Staff), (2, 1, 1));
        let r = &d.quality().rejections()[0];
        assert_eq!(
            (r.table, r.line, r.id.as_deref(), r.reason, r.column),
            (
                Table::Staff,
                3,
                Some("NV2"),
                Reason::ParseError,
                Some("name")
            )
        );
        assert_eq!(
            r.detail,
            "a quoted field is never closed before the end of the file"
        );
    }
    // A quote opened in the id: the id is the raw text up to the end.
    let d = load(&[(Table::Staff, b"id,name\nNV1,Lan\n\"NV2,Mai\n")], false).unwrap();
    let r = &d.quality().rejections()[0];
    assert_eq!(
        (r.line, r.id.as_deref(), r.column),
        (3, Some("NV2,Mai\n"), Some("id"))
    );
    // A quote opened in an extra column names no SPEC column.
    let d = load(&[(Table::Staff, b"id,name,note\nNV1,Lan,\"x")], false).unwrap();
    assert_eq!(
        rejected_in(&d, Table::Staff),
        [(2, Reason::ParseError, None)]
    );
    // An unclosed quote in the header hides the required column after it.
    let err = load(&[(Table::Staff, b"\"id,name\nNV1,Lan\n")], false).unwrap_err();
    assert_eq!(err.to_string(), "staff.csv: missing required column id");
}

#[test]
fn records_with_fewer_or_more_fields_than_the_header() {
    let orders = b"\
id,customer_id,created_at,status,total,note
DH1,KH1,2026-02-01T10:00:00+07:00,completed,100,x
DH2,KH1,2026-02-01T10:00:00+07:00,completed
DH3,KH1,2026-02-01T10:00:00+07:00,completed,100
DH4,KH1,2026-02-01T10:00:00+07:00,completed,100,x,y
,,,,,

DH5
DH1,KH1,2026-02-01T10:00:00+07:00,completed,100,x
";
    let customers = b"id,created_at,source\nKH1,2026-01-01T00:00:00Z,pos\n";
    let d = load(
        &[(Table::Customers, customers), (Table::Orders, orders)],
        false,
    )
    .unwrap();
    assert_eq!(
        rejected_in(&d, Table::Orders),
        [
            // total is the first SPEC column the record lacks
            (3, Reason::ParseError, Some("total")),
            // only the extra column is missing: no SPEC column to name
            (4, Reason::ParseError, None),
            // one field too many
            (5, Reason::ParseError, None),
            // lines 6 and 7 are not records (SPEC §9.8) but count for the line numbers
            (8, Reason::ParseError, Some("customer_id")),
            // DH1 of line 2 claimed the id; a shape error claims nothing
            (9, Reason::DuplicateId, Some("id")),
        ]
    );
    assert_eq!(counts(&d, Table::Orders), (6, 1, 5));
    let details: Vec<&str> = d
        .quality()
        .rejections()
        .iter()
        .map(|r| r.detail.as_str())
        .collect();
    assert_eq!(details[0], "the record has 4 fields, the header has 6");
    assert_eq!(
        details[2],
        "the record has 7 fields, the header has 6: field 7 has no column (an unquoted comma inside a value splits it: write numbers in plain digits, 1250000 not 1,250,000, and quote a text that holds a comma)"
    );
    assert_eq!(d.quality().rejections()[3].id.as_deref(), Some("DH5"));
    // Two fields too many: both positions are named.
    let orders = b"id,customer_id,created_at,status,total\n\
        DH1,KH1,2026-02-01T10:00:00+07:00,completed,1,250,000\n";
    let d = load(
        &[(Table::Customers, customers), (Table::Orders, orders)],
        false,
    )
    .unwrap();
    assert!(
        d.quality().rejections()[0]
            .detail
            .starts_with("the record has 7 fields, the header has 5: fields 6 to 7 have no column"),
        "{:?}",
        d.quality().rejections()[0].detail
    );
}

#[test]
fn a_character_split_by_a_comma_is_invalid_utf8_in_both_columns() {
    // "é" is 0xc3 0xa9: a comma between its bytes leaves neither field valid UTF-8. The
    // row is rejected naming the first column read, never accepted with the text lost.
    let customers = b"\
id,created_at,source,name,phone
KH1,2026-01-01T00:00:00Z,pos,An\xc3,\xa9x
KH2,2026-01-01T00:00:00Z,pos,B\xc3\xa9,0901
";
    let d = load(&[(Table::Customers, customers)], false).unwrap();
    assert_eq!(
        rejected_in(&d, Table::Customers),
        [(2, Reason::ParseError, Some("name"))]
    );
    assert_eq!(counts(&d, Table::Customers), (2, 1, 1));
}

#[test]
fn invalid_utf8_is_a_parse_error_of_the_column_that_holds_it() {
    let customers = b"\
id,created_at,source,name,extra
KH1,2026-01-01T00:00:00Z,pos,An,ok
KH2,2026-01-01T00:00:00Z,pos,B\xffnh,ok
KH3,2026-01-01T00:00:00Z,pos,Chi,\xc3\x28
KH\xe2\x82,2026-01-01T00:00:00Z,pos,Dung,ok
KH5,2026-01-01T00:00:00Z,p\xf0s,Em,ok
";
    let d = load(&[(Table::Customers, customers)], false).unwrap();
    assert_eq!(
        rejected_in(&d, Table::Customers),
        [
            (3, Reason::ParseError, Some("name")),
            // line 4: invalid UTF-8 in a column the crate does not read is not a problem
            (5, Reason::ParseError, Some("id")),
            (6, Reason::ParseError, Some("source")),
        ]
    );
    let rejections = d.quality().rejections();
    assert_eq!(rejections[0].detail, "invalid UTF-8: \"B\u{fffd}nh\"");
    // The id of a rejected row is shown with the bad bytes replaced.
    assert_eq!(rejections[1].id.as_deref(), Some("KH\u{fffd}"));
    assert_eq!(counts(&d, Table::Customers), (5, 2, 3));
    // Free-text columns that no metric reads are still checked (orders.source).
    let orders = b"id,customer_id,created_at,status,total,source\nDH1,KH1,2026-02-01T00:00:00Z,completed,1,w\xfeb\n";
    let d = load(
        &[(Table::Customers, customers), (Table::Orders, orders)],
        false,
    )
    .unwrap();
    assert_eq!(
        rejected_in(&d, Table::Orders),
        [(2, Reason::ParseError, Some("source"))]
    );
    // A header name with bad bytes matches no column.
    let err = load(&[(Table::Staff, b"id,n\xffame\nNV1,Lan\n")], false).unwrap_err();
    assert_eq!(err.to_string(), "staff.csv: missing required column name");
}

#[test]
fn nul_bytes_are_text_in_ids_and_bad_in_values() {
    let staff = b"id,name\nNV\x001,Lan\nNV2,\x00\n";
    let d = load(&[(Table::Staff, staff)], false).unwrap();
    // A NUL is a character: the id "NV\01" and the name "\0" are values.
    assert_eq!(counts(&d, Table::Staff), (2, 2, 0));
    let ids: Vec<String> = d.staff().map(|s| s.id).collect();
    assert_eq!(ids, ["NV\u{0}1", "NV2"]);
    let orders = b"\
id,customer_id,created_at,status,total
DH1,KH1,2026-02-01T00:00:00Z,completed,1\x000
DH2,KH1,2026-02-01T00:00:00Z\x00,completed,1
DH3,KH1,2026-02-01T00:00:00Z,complete\x00d,1
";
    let d = load(&[(Table::Orders, orders)], false).unwrap();
    assert_eq!(
        rejected_in(&d, Table::Orders),
        [
            (2, Reason::ParseError, Some("total")),
            (3, Reason::ParseError, Some("created_at")),
            (4, Reason::ParseError, Some("status")),
        ]
    );
    // A file of NUL bytes has no header.
    let err = load(&[(Table::Orders, &[0u8; 64][..])], false).unwrap_err();
    assert_eq!(err.to_string(), "orders.csv: missing required column id");
}

#[test]
fn a_ten_megabyte_field() {
    let big = "x".repeat(10 << 20);
    // In a free-text column it is a value like any other.
    let customers = format!(
        "id,created_at,source,notes\nKH1,2026-01-01T00:00:00Z,pos,{big}\nKH2,2026-01-01T00:00:00Z,pos,\n"
    );
    let d = load(&[(Table::Customers, customers.as_bytes())], false).unwrap();
    assert_eq!(counts(&d, Table::Customers), (2, 2, 0));
    let idx = d.customer_idx("KH1").unwrap();
    assert_eq!(d.customer(idx).unwrap().notes.unwrap().len(), 10 << 20);
    // In a number it is a parse error whose detail shows only the start of the value.
    let digits = "9".repeat(10 << 20);
    let orders = format!(
        "id,customer_id,created_at,status,total\nDH1,KH1,2026-02-01T00:00:00Z,completed,{digits}\n"
    );
    let d = load(
        &[
            (Table::Customers, customers.as_bytes()),
            (Table::Orders, orders.as_bytes()),
        ],
        false,
    )
    .unwrap();
    let r = &d.quality().rejections()[0];
    assert_eq!(
        (r.line, r.reason, r.column),
        (2, Reason::ParseError, Some("total"))
    );
    assert!(
        r.detail
            .starts_with("too many digits: beyond the range of a decimal: \"999")
    );
    assert!(r.detail.chars().count() < 150, "{}", r.detail.len());
    // A quoted 10 MB field spanning 1000 lines moves the next record's line by as many.
    let lines = vec!["y".repeat(10 << 10); 1000].join("\n");
    let staff = format!("id,name\nNV1,\"{lines}\"\nNV1,again\n");
    let d = load(&[(Table::Staff, staff.as_bytes())], false).unwrap();
    assert_eq!(
        rejected_in(&d, Table::Staff),
        [(1002, Reason::DuplicateId, Some("id"))]
    );
}

#[test]
fn header_only_and_empty_files() {
    // Every file is a header only: nothing read, and every report computes.
    let headers: Vec<(Table, String)> =
        Table::ALL.iter().map(|&t| (t, t.header() + "\n")).collect();
    let tables: Vec<(Table, &[u8])> = headers.iter().map(|(t, h)| (*t, h.as_bytes())).collect();
    let d = load(&tables, false).unwrap();
    for table in Table::ALL {
        assert_eq!(counts(&d, table), (0, 0, 0), "{table}");
    }
    assert!(
        every_report(&d, "2026-11-15T03:00:00Z")
            .iter()
            .all(Result::is_ok)
    );
    // An empty required file has no header: an error naming the file and the column.
    let err = load(&[(Table::Customers, b"")], false).unwrap_err();
    assert_eq!(err.to_string(), "customers.csv: missing required column id");
    let err = load(&[(Table::Orders, b"\n\r\n\n")], false).unwrap_err();
    assert_eq!(err.to_string(), "orders.csv: missing required column id");
    // An empty optional file, or one of blank lines or a lone BOM, is an empty table.
    for text in [&b""[..], b"\n\n", b"\xEF\xBB\xBF", b",,,\n"] {
        let d = load(&[(Table::Deals, text)], false).unwrap();
        assert_eq!(counts(&d, Table::Deals), (0, 0, 0));
    }
    // In a folder: a missing required file is an error naming it; a missing optional
    // file is an empty table.
    let dir = temp_dir("empty");
    std::fs::write(dir.join("customers.csv"), "").unwrap();
    std::fs::write(dir.join("orders.csv"), Table::Orders.header()).unwrap();
    let err = DatasetBuilder::new().read_csv_dir(&dir).unwrap_err();
    assert_eq!(err.to_string(), "customers.csv: missing required column id");
    std::fs::remove_file(dir.join("customers.csv")).unwrap();
    let err = DatasetBuilder::new().read_csv_dir(&dir).unwrap_err();
    assert_eq!(
        err.to_string(),
        "customers.csv is missing: it is a required file"
    );
    std::fs::write(dir.join("customers.csv"), Table::Customers.header()).unwrap();
    let mut builder = DatasetBuilder::new();
    builder.read_csv_dir(&dir).unwrap();
    assert!(builder.build().unwrap().quality().is_clean());
    // A folder that does not exist is an error naming it.
    let err = DatasetBuilder::new()
        .read_csv_dir(dir.join("nope"))
        .unwrap_err();
    assert!(matches!(err, Error::Io { .. }), "{err}");
    assert!(err.to_string().contains("nope"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn duplicate_header_names() {
    let orders = b"id,customer_id,created_at,status,total,total\n";
    let err = load(&[(Table::Orders, orders)], false).unwrap_err();
    assert_eq!(
        err.to_string(),
        "orders.csv: column total appears more than once in the header (names are matched ignoring case, spaces and hyphens)"
    );
    assert!(matches!(
        err,
        Error::DuplicateColumn {
            table: Table::Orders,
            column: "total",
            input: InputKind::Csv
        }
    ));
    // Names are compared after trimming spaces.
    let err = load(&[(Table::Staff, b"id,name, id \n")], false).unwrap_err();
    assert_eq!(
        err.to_string(),
        "staff.csv: column id appears more than once in the header (names are matched ignoring case, spaces and hyphens)"
    );
    // Repeated unknown columns are ignored, as unknown columns are.
    let d = load(&[(Table::Staff, b"id,x,name,x\nNV1,1,Lan,2\n")], false).unwrap();
    assert_eq!(counts(&d, Table::Staff), (1, 1, 0));
}

#[test]
fn bom_crlf_and_mixed_line_ends_keep_physical_lines() {
    // BOM, then CRLF, LF, a lone CR, a blank line, and a quoted field across two lines.
    let staff =
        b"\xEF\xBB\xBFid,name\r\nNV1,Lan\nNV1,dup\rNV2,\"two\r\nlines\"\r\n\r\nNV2,dup\n\nNV1,dup";
    let d = load(&[(Table::Staff, staff)], false).unwrap();
    assert_eq!(
        rejected_in(&d, Table::Staff),
        [
            (3, Reason::DuplicateId, Some("id")),
            // NV2's name spans lines 4-5; line 6 is blank
            (7, Reason::DuplicateId, Some("id")),
            // line 8 is blank
            (9, Reason::DuplicateId, Some("id")),
        ]
    );
    let names: Vec<String> = d.staff().map(|s| s.name).collect();
    assert_eq!(names, ["Lan", "two\r\nlines"]);
    // The BOM is not part of the first column's name.
    let d = load(
        &[(
            Table::Customers,
            b"\xEF\xBB\xBFid,created_at,source\r\nKH1,2026-01-01T00:00:00Z,pos\r\n",
        )],
        false,
    )
    .unwrap();
    assert_eq!(counts(&d, Table::Customers), (1, 1, 0));
}

#[test]
fn timestamps_without_offset_at_24_00_or_with_a_leap_second() {
    // A timestamp without an offset is a local time (here +07:00); with an offset it
    // keeps the strict form, so a space before a time with an offset is bad.
    let customers = b"\
id,created_at,source
KH1,2026-01-01T00:00:00Z,pos
KH2,2026-01-01 10:00:00Z,pos
KH3,2026-01-01T24:00:00+07:00,pos
KH4,2026-06-30T23:59:60Z,pos
KH5,2026-01-01,pos
KH6,2026-01-01T00:00:00.999999999+07:00,pos
";
    let deals = b"\
id,created_at,source,handed_over_at,opportunity_at,won_at,revenue
D1,2026-02-01T00:00:00Z,ads,2026-02-01T24:00:00Z,,,
D2,2026-02-01T00:00:00Z,ads,2026-02-02T00:00:00Z,2026-02-02T00:00+07:00,,
D3,2026-02-01T00:00:00Z,ads,2026-02-02T00:00:00Z,2026-02-03T00:00:00Z,2016-12-31T23:59:60Z,5
D4,2026-02-01T00:00:00Z,ads,2026-02-02T00:00:00Z,2026-02-03T00:00:00Z,2026-02-04T00:00:00Z,5
";
    let d = load(
        &[(Table::Customers, customers), (Table::Deals, deals)],
        false,
    )
    .unwrap();
    assert_eq!(
        rejected_in(&d, Table::Customers),
        [
            (3, Reason::ParseError, Some("created_at")),
            (4, Reason::ParseError, Some("created_at")),
            (5, Reason::ParseError, Some("created_at")),
            (6, Reason::ParseError, Some("created_at")),
        ]
    );
    // A bad optional timestamp is a parse error, not "absent" (SPEC §9.9).
    assert_eq!(
        rejected_in(&d, Table::Deals),
        [
            (2, Reason::ParseError, Some("handed_over_at")),
            (3, Reason::ParseError, Some("opportunity_at")),
            (4, Reason::ParseError, Some("won_at")),
        ]
    );
    let details: Vec<&str> = d
        .quality()
        .rejections()
        .iter()
        .map(|r| r.detail.as_str())
        .collect();
    assert_eq!(
        details[0],
        "a timestamp with an offset needs the RFC 3339 form YYYY-MM-DDTHH:MM:SS+hh:mm ('T' and seconds; leave the offset out for a local time like 2026-05-01 10:00): \"2026-01-01 10:00:00Z\""
    );
    assert_eq!(
        details[1],
        "time of day out of range (hours 00-23, minutes 00-59; 24:00 is not allowed): \"2026-01-01T24:00:00+07:00\""
    );
    assert_eq!(
        details[2],
        "second out of range (a leap second is not allowed): \"2026-06-30T23:59:60Z\""
    );
    assert_eq!(counts(&d, Table::Customers), (6, 2, 4));
    assert_eq!(counts(&d, Table::Deals), (4, 1, 3));
}

/// Year 0000 and 9999 instants and dates in every table (also with offsets that move
/// them into year -1 or 10000 in UTC) are real calendar dates (SPEC §9.9): accepted, and
/// every report over them computes.
#[test]
fn dates_0000_01_01_and_9999_12_31_are_accepted_and_reported() {
    let customers = b"\
id,created_at,source,birth_date
KH1,0000-01-01T00:00:00Z,pos,0000-01-01
KH2,9999-12-31T23:59:59Z,pos,9999-12-31
KH3,0000-01-01T00:00:00+23:59,zalo_oa,
KH4,9999-12-31T23:59:59-23:59,pos,
KH5,2026-11-01T00:00:00Z,webpush,0000-02-29
";
    let orders = b"\
id,customer_id,created_at,status,total,fanpage_id,staff_id,voucher_code
DH1,KH1,0000-01-01T00:00:00Z,completed,10,FP1,NV1,V
DH2,KH1,9999-12-31T23:59:59Z,completed,10,FP1,NV1,V
DH3,KH5,0000-01-01T00:00:00+23:59,completed,10,FP1,NV1,V
DH4,KH5,9999-12-31T23:59:59-23:59,cancelled,10,FP1,NV1,V
DH5,KH5,2026-11-02T00:00:00Z,completed,10,FP1,NV1,V
DH6,KH2,2026-11-02T00:00:00Z,completed,10,FP1,NV1,V
DH7,KH3,2026-11-03T00:00:00Z,completed,10,,,
";
    let lines = b"order_id,product_id,quantity,unit_price\nDH1,SP1,1,1\nDH3,SP2,2,1\nDH5,SP1,1,1\n";
    let deals = b"\
id,created_at,source,product_type,handed_over_at,opportunity_at,won_at,revenue
D1,0000-01-01T00:00:00+23:59,ads,t,0000-01-01T00:00:00Z,9999-12-31T23:59:59Z,9999-12-31T23:59:59-23:59,5
D2,0000-01-01T00:00:00Z,ads,t,,,,
D3,2026-11-01T00:00:00Z,ads,t,2026-11-01T00:00:00Z,2026-11-01T00:00:00Z,9999-12-31T23:59:59-23:59,5
";
    let costs = b"date,source,product_type,amount\n0000-01-01,ads,t,5\n9999-12-31,ads,t,5\n2026-11-01,ads,t,1\n";
    let interactions = b"\
id,customer_id,at,channel,kind,direction,fanpage_id,staff_id,automated,campaign_id,ref_id
T1,KH1,0000-01-01T00:00:00+23:59,zalo,message,inbound,FP1,,,C1,
T2,KH1,0000-01-01T00:00:00Z,zalo,message,outbound,FP1,NV1,0,C1,
T3,KH1,9999-12-31T23:59:59-23:59,zalo,minigame_play,inbound,FP1,,,,G
T4,KH5,0000-01-01T00:00:00+23:59,facebook,message,inbound,FP1,,,C1,
T5,KH5,9999-12-31T23:59:59-23:59,facebook,message,outbound,FP1,NV1,0,,
T6,KH5,2026-11-03T00:00:00Z,facebook,message,outbound,FP1,NV1,0,,
";
    let d = load(
        &[
            (Table::Customers, customers),
            (Table::Orders, orders),
            (Table::OrderLines, lines),
            (Table::Deals, deals),
            (Table::Costs, costs),
            (Table::Interactions, interactions),
        ],
        false,
    )
    .unwrap();
    assert!(d.quality().is_clean(), "{:?}", d.quality().rejections());
    for table in [
        Table::Customers,
        Table::Orders,
        Table::Deals,
        Table::Interactions,
    ] {
        let (read, accepted, _) = counts(&d, table);
        assert_eq!(read, accepted, "{table}");
    }
    // as_of in 2026 and near both ends of the years 0001 to 9999 (UTC): the rows of
    // years 0000 and 9999 are data; a report's instants must be RFC 3339, so a period
    // reaching outside those years is refused with a message saying so.
    for as_of in [
        "2026-11-15T03:00:00Z",
        "9999-12-31T11:59:59Z",
        "0001-04-01T12:00:00Z",
    ] {
        for result in every_report(&d, as_of) {
            if let Err(e) = result {
                // Only a profile of a customer created after as_of is refused (SPEC §9.20),
                // and near year 1 a previous period that would start in year 0.
                assert!(
                    e.starts_with("unknown customer")
                        || e.contains("outside the years 0001 to 9999"),
                    "{as_of}: {e}"
                );
            }
        }
        let period =
            Period::new("9999-10-01".parse().unwrap(), "9999-12-31".parse().unwrap()).unwrap();
        let options = ReportOptions::new(utc(as_of)).period(period);
        crm_metrics::report(&d, &options).unwrap();
        let period =
            Period::new("0000-01-01".parse().unwrap(), "0000-03-31".parse().unwrap()).unwrap();
        let options = ReportOptions::new(utc(as_of)).period(period);
        let e = crm_metrics::report(&d, &options).unwrap_err().to_string();
        assert!(e.contains("outside the years 0001 to 9999"), "{e}");
    }
    // An as_of outside the years 0001 to 9999 in UTC is refused: 9999-12-31T23:59:59-23:59
    // is in year 10000 in UTC, and would print as `+10000-...`, not RFC 3339.
    for as_of in ["9999-12-31T23:59:59-23:59", "0000-01-01T00:00:00+23:59"] {
        for result in every_report(&d, as_of) {
            let e = result.unwrap_err();
            assert!(
                e.starts_with("as_of ") && e.contains("outside the years"),
                "{e}"
            );
        }
    }
    // The year-0000 purchase counts in KH1's profile; the one in 9999 does not yet.
    let options = ReportOptions::new(utc("2026-11-15T03:00:00Z")).customer("KH1");
    let report = serde_json::to_value(crm_metrics::report(&d, &options).unwrap()).unwrap();
    assert_eq!(report["profile"]["successful_orders"], 1);
    assert_eq!(
        report["profile"]["first_purchase_at"],
        "0000-01-01T00:00:00Z"
    );
}

#[test]
fn decimals_with_exponents_commas_40_digits_nan_and_negative_zero() {
    let orders = b"\
id,customer_id,created_at,status,total,cost_of_goods
DH1,KH1,2026-02-01T00:00:00Z,completed,1e5,
DH2,KH1,2026-02-01T00:00:00Z,completed,1E5,
DH3,KH1,2026-02-01T00:00:00Z,completed,\"1,000\",
DH4,KH1,2026-02-01T00:00:00Z,completed,1000,\"1.000,50\"
DH5,KH1,2026-02-01T00:00:00Z,completed,1234567890123456789012345678901234567890,
DH6,KH1,2026-02-01T00:00:00Z,completed,NaN,
DH7,KH1,2026-02-01T00:00:00Z,completed,inf,
DH8,KH1,2026-02-01T00:00:00Z,completed,-0,-0.00
DH9,KH1,2026-02-01T00:00:00Z,completed,0.0000000000000000000000000001,
DH10,KH1,2026-02-01T00:00:00Z,completed,0.00000000000000000000000000001,
DH11,KH1,2026-02-01T00:00:00Z,completed,79228162514264337593543950335,
DH12,KH1,2026-02-01T00:00:00Z,completed,79228162514264337593543950336,
DH13,KH1,2026-02-01T00:00:00Z,completed,-0.0000000000000000000000000001,
DH14,KH1,2026-02-01T00:00:00Z,completed,\xe2\x82\xab5,
";
    let customers = b"id,created_at,source\nKH1,2026-01-01T00:00:00Z,pos\n";
    let d = load(
        &[(Table::Customers, customers), (Table::Orders, orders)],
        false,
    )
    .unwrap();
    assert_eq!(
        rejected_in(&d, Table::Orders),
        [
            (2, Reason::ParseError, Some("total")),
            (3, Reason::ParseError, Some("total")),
            (4, Reason::ParseError, Some("total")),
            (5, Reason::ParseError, Some("cost_of_goods")),
            (6, Reason::ParseError, Some("total")),
            (7, Reason::ParseError, Some("total")),
            (8, Reason::ParseError, Some("total")),
            // line 9: negative zero is zero, not a negative amount
            // line 10: 28 fractional digits fit
            (11, Reason::ParseError, Some("total")),
            // line 12: Decimal::MAX fits; 2^96 does not
            (13, Reason::ParseError, Some("total")),
            // the smallest negative decimal is below zero
            (14, Reason::NegativeAmount, Some("total")),
            (15, Reason::ParseError, Some("total")),
        ]
    );
    assert_eq!(counts(&d, Table::Orders), (14, 3, 11));
    // The accepted rows: 0, 1e-28 and Decimal::MAX. Their exact sum needs 29 digits, so
    // the spend sums are an overflow, never a rounded value.
    let options = ReportOptions::new(utc("2026-02-15T00:00:00Z")).customer("KH1");
    let err = crm_metrics::report(&d, &options).unwrap_err();
    assert!(matches!(err, Error::Overflow { .. }), "{err}");
    // Negative zero alone is an exact zero.
    let orders =
        b"id,customer_id,created_at,status,total\nDH8,KH1,2026-02-01T00:00:00Z,completed,-0\n";
    let d = load(
        &[(Table::Customers, customers), (Table::Orders, orders)],
        false,
    )
    .unwrap();
    let report = crm_metrics::report(&d, &options).unwrap();
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["profile"]["total_spend"], "0");
    assert_eq!(json["profile"]["successful_orders"], 1);
}

#[test]
fn quantities_beyond_u32_and_i64() {
    let customers = b"id,created_at,source\nKH1,2026-01-01T00:00:00Z,pos\n";
    let orders =
        b"id,customer_id,created_at,status,total\nDH1,KH1,2026-02-01T00:00:00Z,completed,1\n";
    let lines = b"\
order_id,product_id,quantity,unit_price
DH1,SP1,4294967296,1
DH1,SP2,9223372036854775807,0
DH1,SP3,9223372036854775808,1
DH1,SP4,-9223372036854775808,1
DH1,SP5,+3,1
DH1,SP6,3.0,1
";
    let d = load(
        &[
            (Table::Customers, customers),
            (Table::Orders, orders),
            (Table::OrderLines, lines),
        ],
        false,
    )
    .unwrap();
    assert_eq!(
        rejected_in(&d, Table::OrderLines),
        [
            (4, Reason::ParseError, Some("quantity")), // beyond i64
            (5, Reason::InvalidQuantity, Some("quantity")), // i64::MIN is an integer, <= 0
            (6, Reason::ParseError, Some("quantity")),
            (7, Reason::ParseError, Some("quantity")),
        ]
    );
    // 2^32 + (2^63 - 1) items, counted exactly.
    let options = ReportOptions::new(utc("2026-02-15T00:00:00Z")).customer("KH1");
    let json = serde_json::to_value(crm_metrics::report(&d, &options).unwrap()).unwrap();
    assert_eq!(
        json["profile"]["items_purchased"],
        4_294_967_296u64 + 9_223_372_036_854_775_807
    );
    assert_eq!(json["profile"]["most_purchased_product"], "SP2");
    // Three lines of 2^63 - 1 pass u64: an overflow error naming the metric.
    let lines = b"\
order_id,product_id,quantity,unit_price
DH1,SP1,9223372036854775807,0
DH1,SP1,9223372036854775807,0
DH1,SP1,9223372036854775807,0
";
    let d = load(
        &[
            (Table::Customers, customers),
            (Table::Orders, orders),
            (Table::OrderLines, lines),
        ],
        false,
    )
    .unwrap();
    let err = crm_metrics::report(&d, &options).unwrap_err();
    assert!(
        matches!(err, Error::CountOverflow { what } if what.starts_with("profile.items")),
        "{err}"
    );
    // A count, not a decimal: the message names the type that overflowed.
    assert!(err.to_string().contains("64-bit"), "{err}");
    assert!(!err.to_string().contains("decimal"), "{err}");
}

// ---------------------------------------------------------------------------------------
// Sums beyond Decimal's range.

const MAX: &str = "79228162514264337593543950335";

/// Two completed orders of `Decimal::MAX`: every spend sum overflows.
fn huge_orders() -> Vec<(Table, Vec<u8>)> {
    let customers = b"id,created_at,source\nKH1,2026-01-01T00:00:00Z,pos\n".to_vec();
    let orders = format!(
        "id,customer_id,created_at,status,total\n\
         DH1,KH1,2026-11-02T00:00:00Z,completed,{MAX}\n\
         DH2,KH1,2026-11-03T00:00:00Z,completed,{MAX}\n"
    );
    vec![
        (Table::Customers, customers),
        (Table::Orders, orders.into_bytes()),
    ]
}

fn borrowed(tables: &[(Table, Vec<u8>)]) -> Vec<(Table, &[u8])> {
    tables.iter().map(|(t, b)| (*t, b.as_slice())).collect()
}

#[test]
fn totals_whose_sum_exceeds_decimal_are_an_overflow_naming_the_metric() {
    let tables = huge_orders();
    let d = load(&borrowed(&tables), false).unwrap();
    assert!(d.quality().is_clean()); // each row is fine; only their sum is not
    let options = ReportOptions::new(utc("2026-11-15T03:00:00Z"));
    let err = crm_metrics::report(&d, &options).unwrap_err();
    let Error::Overflow { what } = err else {
        panic!("{err}")
    };
    assert_eq!(what, OVERFLOW_METRIC);
    assert_eq!(
        Error::Overflow { what }.to_string(),
        format!("overflow computing {OVERFLOW_METRIC}: the exact result does not fit in a decimal")
    );
    // Costs and revenues beyond the range: the marketing sums.
    let costs = format!("date,source,amount\n2026-11-01,ads,{MAX}\n2026-11-02,ads,{MAX}\n");
    let d = load(&[(Table::Costs, costs.as_bytes())], false).unwrap();
    let err = crm_metrics::report(&d, &options).unwrap_err();
    assert!(
        matches!(err, Error::Overflow { what } if what.starts_with("marketing.")),
        "{err}"
    );
    let deals = format!(
        "id,created_at,source,handed_over_at,opportunity_at,won_at,revenue\n\
         D1,2026-11-01T00:00:00Z,ads,2026-11-01T00:00:00Z,2026-11-01T00:00:00Z,2026-11-01T00:00:00Z,{MAX}\n\
         D2,2026-11-01T00:00:00Z,ads,2026-11-01T00:00:00Z,2026-11-01T00:00:00Z,2026-11-01T00:00:00Z,{MAX}\n"
    );
    let d = load(&[(Table::Deals, deals.as_bytes())], false).unwrap();
    let err = crm_metrics::report(&d, &options).unwrap_err();
    assert!(
        matches!(err, Error::Overflow { what } if what.starts_with("marketing.")),
        "{err}"
    );
}

/// The metric the report names when the spend of [`huge_orders`] overflows (the first
/// section that sums spend).
const OVERFLOW_METRIC: &str = "customers.avg_spend_per_customer";

// ---------------------------------------------------------------------------------------
// Strict mode.

const STRICT_ORDERS: &[u8] = b"\
id,customer_id,created_at,status,total
DH1,KH1,2026-02-01T10:00:00+07:00,completed,100
DH2,KH1,2026-02-01T10:00:00+07:00,completed,1.000,5
DH3,KH1,2026-02-01T10:00:00+07:00,completed,\"1,000\"
";

#[test]
fn strict_mode_stops_at_the_first_bad_row_naming_table_line_and_column() {
    let customers = b"id,created_at,source\nKH1,2026-01-01T00:00:00Z,pos\n";
    // A value outside the grammar.
    let err = load(
        &[
            (Table::Customers, customers),
            (Table::Orders, STRICT_ORDERS),
        ],
        true,
    )
    .unwrap_err();
    let Error::Rejected(r) = &err else {
        panic!("{err}")
    };
    assert_eq!(
        (r.table, r.line, r.column, r.reason),
        (Table::Orders, 3, None, Reason::ParseError)
    );
    assert_eq!(
        err.to_string(),
        "orders.csv line 3: parse_error: the record has 6 fields, the header has 5: field 6 has no column (an unquoted comma inside a value splits it: write numbers in plain digits, 1250000 not 1,250,000, and quote a text that holds a comma)"
    );
    // A record with too few fields names the first missing column.
    let orders = b"id,customer_id,created_at,status,total\nDH1,KH1,2026-02-01T10:00:00+07:00\n";
    let err = load(
        &[(Table::Customers, customers), (Table::Orders, orders)],
        true,
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "orders.csv line 2, column status: parse_error: the record has 3 fields, the header has 5"
    );
    // A bad value names its column; the earlier table comes first (SPEC §9.7).
    let lines = b"order_id,product_id,quantity,unit_price\nDH1,SP1,2,1e3\n";
    let orders = b"id,customer_id,created_at,status,total\nDH1,KH1,2026-02-01T10:00:00+07:00,completed,100\nDH2,KH1,2026-02-01T10:00:00+07:00,completed,-1\n";
    let err = load(
        &[
            (Table::Customers, customers),
            (Table::OrderLines, lines),
            (Table::Orders, orders),
        ],
        true,
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "orders.csv line 3, column total: negative_amount: -1"
    );
    let orders = b"id,customer_id,created_at,status,total\nDH1,KH1,2026-02-01T10:00:00+07:00,completed,100\n";
    let err = load(
        &[
            (Table::Customers, customers),
            (Table::OrderLines, lines),
            (Table::Orders, orders),
        ],
        true,
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "order_lines.csv line 2, column unit_price: parse_error: not a plain number: only digits with an optional '-' and an optional '.' fraction are read (no thousands separators or currency signs: write 1250000, not 1,250,000 or 1250000₫): \"1e3\""
    );
    // Every rejection of the reason matrix: strict mode fails on the first of them.
    let err = load(&all_tables(), true).unwrap_err();
    assert_eq!(
        err.to_string(),
        "customers.csv line 4, column source: parse_error: not a customer source (allowed: haravan, shopee, lazada, other_oms, excel_import, manual, zalo_oa, webpush, form, social_chat, pos; any case): \"facebook\""
    );
    // Warnings are not errors in strict mode.
    let orders = b"id,customer_id,created_at,status,total,staff_id\nDH1,KH1,2026-02-01T10:00:00+07:00,completed,100,NV9\n";
    let d = load(
        &[(Table::Customers, customers), (Table::Orders, orders)],
        true,
    )
    .unwrap();
    assert_eq!(d.quality().warnings(Warning::UnknownStaff), 1);
}

// ---------------------------------------------------------------------------------------
// The dashboard example: exit status 2 and a one-line message (SPEC §8). These run the
// real example binary with `cargo run --example dashboard`.

/// Runs the dashboard on `dir` with `args`; (exit code, stdout, stderr).
fn dashboard(dir: &Path, args: &[&str]) -> (Option<i32>, String, String) {
    let fixed = ["--as-of", "2026-11-15T03:00:00Z", "--format", "json"];
    crate::run_dashboard(
        [dir.as_os_str()]
            .into_iter()
            .chain(fixed.iter().chain(args).map(std::ffi::OsStr::new)),
    )
}

/// `stderr` is one line holding `message` (the library error's text; the dashboard may
/// put its name in front).
fn assert_one_line(stderr: &str, message: impl AsRef<str>) {
    let message = message.as_ref().trim_end();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.trim_end().ends_with(message),
        "{stderr:?} does not end with {message:?}"
    );
}

#[test]
fn dashboard_exits_2_with_one_line_on_strict_bad_rows_and_on_overflow() {
    let customers = b"id,created_at,source\nKH1,2026-01-01T00:00:00Z,pos\n";
    let strict = write_folder(
        "strict",
        &[
            (Table::Customers, customers),
            (Table::Orders, STRICT_ORDERS),
        ],
    );
    // Without --strict the bad rows are rejected and reported.
    let (code, stdout, _) = dashboard(&strict, &[]);
    assert_eq!(code, Some(0));
    let json: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(
        json["data_quality"]["tables"]["orders"],
        json!({"read": 3, "accepted": 1, "rejected": 2})
    );
    // With --strict: exit 2, one line naming file and line.
    let (code, stdout, stderr) = dashboard(&strict, &["--strict"]);
    assert_eq!(code, Some(2));
    assert!(stdout.is_empty());
    assert_one_line(
        &stderr,
        "orders.csv line 3: parse_error: the record has 6 fields, the header has 5: field 6 has no column (an unquoted comma inside a value splits it: write numbers in plain digits, 1250000 not 1,250,000, and quote a text that holds a comma)",
    );
    // A bad value: the message also names the column.
    let orders = b"id,customer_id,created_at,status,total\nDH1,KH1,2026-02-01T10:00:00+07:00,completed,1e3\n";
    let dir = write_folder(
        "strict-column",
        &[(Table::Customers, customers), (Table::Orders, orders)],
    );
    let (code, _, stderr) = dashboard(&dir, &["--strict"]);
    assert_eq!(code, Some(2));
    assert_one_line(
        &stderr,
        "orders.csv line 2, column total: parse_error: not a plain number: only digits with an optional '-' and an optional '.' fraction are read (no thousands separators or currency signs: write 1250000, not 1,250,000 or 1250000₫): \"1e3\"",
    );
    // A sum beyond Decimal's range: exit 2 naming the metric.
    let huge = huge_orders();
    let overflow = write_folder("overflow", &borrowed(&huge));
    let (code, stdout, stderr) = dashboard(&overflow, &[]);
    assert_eq!(code, Some(2));
    assert!(stdout.is_empty());
    assert_one_line(
        &stderr,
        format!("overflow computing {OVERFLOW_METRIC}: the exact result does not fit in a decimal"),
    );
    for dir in [strict, dir, overflow] {
        std::fs::remove_dir_all(dir).unwrap();
    }
}

// ---------------------------------------------------------------------------------------
// The struct API: instants and dates at the ends of chrono's range.

/// Rows pushed as structs may carry any `DateTime<Utc>` and `NaiveDate`, far beyond RFC
/// 3339's four-digit years: they are accepted, and reports over them compute.
#[test]
fn chrono_extremes_through_the_struct_api() {
    use chrono::NaiveDate;
    use crm_metrics::model::{
        Channel, Cost, Customer, Deal, Direction, Gender, Interaction, InteractionKind, Order,
        OrderLine, OrderStatus, Source,
    };
    use rust_decimal::Decimal;

    let (min, max) = (DateTime::<Utc>::MIN_UTC, DateTime::<Utc>::MAX_UTC);
    let normal = utc("2026-11-10T03:00:00Z");
    let mut b = DatasetBuilder::new();
    for (k, (created, birth)) in [
        (min, Some(NaiveDate::MIN)),
        (normal, Some(NaiveDate::MAX)),
        (normal, Some(NaiveDate::MIN)),
        (max, None),
    ]
    .into_iter()
    .enumerate()
    {
        b.push_customer(&Customer {
            id: format!("KH{k}"),
            created_at: created,
            source: Source::ALL[k],
            name: None,
            phone: Some("1".into()),
            email: None,
            gender: Some(Gender::Female),
            birth_date: birth,
            zalo_id: Some("z".into()),
            facebook_id: None,
            notes: None,
        });
        for (j, at) in [min, normal, max].into_iter().enumerate() {
            let id = format!("DH{k}_{j}");
            b.push_order(&Order {
                id: id.clone(),
                customer_id: format!("KH{k}"),
                created_at: at,
                status: OrderStatus::Completed,
                total: Decimal::from(10),
                cost_of_goods: None,
                source: None,
                fanpage_id: Some("FP".into()),
                staff_id: Some("NV".into()),
                voucher_code: Some("V".into()),
            });
            b.push_order_line(&OrderLine {
                order_id: id,
                product_id: "SP".into(),
                product_name: None,
                product_type: None,
                quantity: 1,
                unit_price: Decimal::ONE,
            });
            for (i, direction) in [Direction::Inbound, Direction::Outbound]
                .into_iter()
                .enumerate()
            {
                b.push_interaction(&Interaction {
                    id: format!("T{k}_{j}_{i}"),
                    customer_id: format!("KH{k}"),
                    at,
                    channel: Channel::Facebook,
                    kind: InteractionKind::Message,
                    direction,
                    fanpage_id: Some("FP".into()),
                    staff_id: Some("NV".into()),
                    automated: false,
                    campaign_id: Some("CD".into()),
                    ref_id: None,
                });
            }
        }
    }
    for (k, (created, won)) in [(min, max), (min, normal), (normal, max), (min, min)]
        .into_iter()
        .enumerate()
    {
        b.push_deal(&Deal {
            id: format!("D{k}"),
            customer_id: None,
            created_at: created,
            source: "ads".into(),
            product_type: None,
            handed_over_at: Some(created),
            opportunity_at: Some(won),
            won_at: Some(won),
            revenue: Some(Decimal::from(5)),
        });
    }
    for date in [NaiveDate::MIN, NaiveDate::MAX, normal.date_naive()] {
        b.push_cost(&Cost {
            date,
            source: "ads".into(),
            product_type: None,
            amount: Decimal::from(3),
        });
    }
    let d = b.build().unwrap();
    assert!(d.quality().is_clean(), "{:?}", d.quality().rejections());
    for as_of in [
        "2026-11-15T03:00:00Z",
        "0000-01-01T00:00:00Z",
        "9999-12-31T23:59:59Z",
    ] {
        for result in every_report(&d, as_of) {
            if let Err(e) = result {
                // At the ends, a period outside the years 0001 to 9999 in UTC is refused.
                assert!(
                    e.starts_with("unknown customer") || e.contains("outside the years"),
                    "{as_of}: {e}"
                );
            }
        }
    }
    // Custom periods at the ends of chrono's range (the fuzz target `report_structs` first
    // crashed in its own harness computing such an end date; the library handles them).
    let days = chrono::Duration::days(10);
    for (from, to) in [
        (NaiveDate::MAX - days, NaiveDate::MAX),
        (NaiveDate::MIN, NaiveDate::MIN + days),
    ] {
        for as_of in [min, normal, max] {
            let options = ReportOptions::new(as_of).period(Period::new(from, to).unwrap());
            if let Err(e) = crm_metrics::report(&d, &options) {
                // Refused: outside chrono's range, or outside the years 0001 to 9999.
                assert!(
                    matches!(e, Error::DateOutOfRange { .. })
                        || e.to_string().contains("outside the years"),
                    "{from}..{to} at {as_of}: {e}"
                );
            }
        }
    }
    // A report at the very ends of chrono's range computes or is refused with an error.
    for as_of in [min, max] {
        for tz in ["+07:00", "-12:00", "Europe/Berlin"] {
            for preset in Preset::ALL {
                let options = ReportOptions::new(as_of)
                    .period(preset)
                    .time_zone(tz)
                    .customer("KH1");
                if let Err(e) = crm_metrics::report(&d, &options) {
                    assert!(
                        matches!(
                            e,
                            Error::DateOutOfRange { .. } | Error::UnknownCustomer { .. }
                        ) || e.to_string().contains("outside the years"),
                        "{as_of} {tz} {preset:?}: {e}"
                    );
                }
            }
        }
    }
}
