//! Validation of SPEC §2 and §9.3-§9.11 on small hand-written CSV tables: reason
//! precedence, which row claims a duplicated id, cascades, warnings, strict mode, and the
//! value grammar. Every expected rejection is written out in full.

use crm_metrics::{Dataset, DatasetBuilder, Error, Reason, Table, Warning};

const CUSTOMERS: &str = "\
id,created_at,source,name,phone,email,gender,birth_date,zalo_id,facebook_id,notes
KH1,2026-01-01T10:00:00+07:00,pos,An,0901,,female,1990-02-28,,,
KH2,2026-01-02T10:00:00+07:00,shopee,,,,,,,,
";

/// Builds from CSV texts given per table (customers defaults to `CUSTOMERS`, orders to a
/// header only).
fn build(tables: &[(Table, &str)], strict: bool) -> Result<Dataset, Error> {
    let mut builder = DatasetBuilder::new().strict(strict);
    let has = |t: Table| tables.iter().any(|(x, _)| *x == t);
    if !has(Table::Customers) {
        builder.read_csv(Table::Customers, CUSTOMERS.as_bytes(), "customers.csv")?;
    }
    if !has(Table::Orders) {
        builder.read_csv(
            Table::Orders,
            "id,customer_id,created_at,status,total\n".as_bytes(),
            "orders.csv",
        )?;
    }
    for (table, text) in tables {
        builder.read_csv(*table, text.as_bytes(), format!("{table}.csv"))?;
    }
    builder.build()
}

/// (table, line, id, reason, column) of a rejection.
type Seen = (Table, u64, Option<String>, Reason, Option<&'static str>);

/// (table, line, id, reason, column) of every rejection.
fn rejections(d: &Dataset) -> Vec<Seen> {
    d.quality()
        .rejections()
        .iter()
        .map(|r| (r.table, r.line, r.id.clone(), r.reason, r.column))
        .collect()
}

fn id(s: &str) -> Option<String> {
    Some(s.to_owned())
}

#[test]
fn order_reasons_and_precedence() {
    let orders = "\
id,customer_id,created_at,status,total,cost_of_goods
DH1,KH1,2026-02-01T10:00:00+07:00,completed,100,60
DH2,KH9,2026-02-01T10:00:00+07:00,completed,100,
DH3,KH1,2026-02-01T10:00:00+07:00,shipped,-5,
DH1,KH1,2026-02-01T10:00:00+07:00,completed,100,
DH4,KH9,2026-02-01T10:00:00+07:00,completed,-1,
DH5,KH1,2026-02-01T10:00:00+07:00,completed,10,-1
DH2,KH1,2026-02-01T10:00:00+07:00,completed,1,
,KH1,2026-02-01T10:00:00+07:00,completed,1,
DH6,KH1,2026-02-01T24:00:00,completed,1,
";
    let d = build(&[(Table::Orders, orders)], false).unwrap();
    assert_eq!(
        rejections(&d),
        vec![
            // unknown customer
            (
                Table::Orders,
                3,
                id("DH2"),
                Reason::UnknownCustomer,
                Some("customer_id")
            ),
            // status and total both bad: the first bad column in SPEC order wins
            (
                Table::Orders,
                4,
                id("DH3"),
                Reason::ParseError,
                Some("status")
            ),
            // DH1 was claimed by line 2
            (Table::Orders, 5, id("DH1"), Reason::DuplicateId, Some("id")),
            // unknown customer outranks negative amount
            (
                Table::Orders,
                6,
                id("DH4"),
                Reason::UnknownCustomer,
                Some("customer_id")
            ),
            (
                Table::Orders,
                7,
                id("DH5"),
                Reason::NegativeAmount,
                Some("cost_of_goods")
            ),
            // DH2's first row was rejected, but it parsed, so it claimed the id (SPEC §9.4)
            (Table::Orders, 8, id("DH2"), Reason::DuplicateId, Some("id")),
            // an empty id is missing; the JSON id is null
            (Table::Orders, 9, None, Reason::ParseError, Some("id")),
            // a timestamp without offset
            (
                Table::Orders,
                10,
                id("DH6"),
                Reason::ParseError,
                Some("created_at")
            ),
        ]
    );
    let counts = d.quality().table(Table::Orders);
    assert_eq!((counts.read, counts.accepted, counts.rejected), (9, 1, 8));
    assert_eq!(d.order_count(), 1);
}

#[test]
fn a_row_with_a_parse_error_does_not_claim_its_id() {
    let orders = "\
id,customer_id,created_at,status,total
DH1,KH1,not-a-time,completed,100
DH1,KH1,2026-02-01T10:00:00+07:00,completed,100
";
    let d = build(&[(Table::Orders, orders)], false).unwrap();
    assert_eq!(
        rejections(&d),
        vec![(
            Table::Orders,
            2,
            id("DH1"),
            Reason::ParseError,
            Some("created_at")
        )]
    );
    assert_eq!(d.order_count(), 1);
}

#[test]
fn cascades_from_rejected_customers_and_orders() {
    let customers = "\
id,created_at,source
KH1,2026-01-01T10:00:00+07:00,pos
KH2,2026-01-01T10:00:00+07:00,facebook
";
    let orders = "\
id,customer_id,created_at,status,total
DH1,KH1,2026-02-01T10:00:00+07:00,completed,100
DH2,KH2,2026-02-01T10:00:00+07:00,completed,100
DH3,KH1,2026-02-01T10:00:00+07:00,completed,-100
";
    let lines = "\
order_id,product_id,quantity,unit_price
DH1,SP1,1,100
DH2,SP1,1,100
DH3,SP1,1,100
DH9,SP1,1,100
DH1,SP2,0,-1
DH1,SP2,-2,5
DH1,,1,5
DH1,SP3,1.5,5
";
    let interactions = "\
id,customer_id,at,channel,kind,direction
T1,KH2,2026-02-01T10:00:00+07:00,zalo,follow,inbound
T2,KH1,2026-02-01T10:00:00+07:00,zalo,follow,inbound
";
    let d = build(
        &[
            (Table::Customers, customers),
            (Table::Orders, orders),
            (Table::OrderLines, lines),
            (Table::Interactions, interactions),
        ],
        false,
    )
    .unwrap();
    assert_eq!(
        rejections(&d),
        vec![
            (
                Table::Customers,
                3,
                id("KH2"),
                Reason::ParseError,
                Some("source")
            ),
            // the orders of a rejected customer are unknown_customer (SPEC §9.5)
            (
                Table::Orders,
                3,
                id("DH2"),
                Reason::UnknownCustomer,
                Some("customer_id")
            ),
            (
                Table::Orders,
                4,
                id("DH3"),
                Reason::NegativeAmount,
                Some("total")
            ),
            // the lines of rejected orders are unknown_order
            (
                Table::OrderLines,
                3,
                None,
                Reason::UnknownOrder,
                Some("order_id")
            ),
            (
                Table::OrderLines,
                4,
                None,
                Reason::UnknownOrder,
                Some("order_id")
            ),
            (
                Table::OrderLines,
                5,
                None,
                Reason::UnknownOrder,
                Some("order_id")
            ),
            // negative price outranks a zero quantity
            (
                Table::OrderLines,
                6,
                None,
                Reason::NegativeAmount,
                Some("unit_price")
            ),
            (
                Table::OrderLines,
                7,
                None,
                Reason::InvalidQuantity,
                Some("quantity")
            ),
            (
                Table::OrderLines,
                8,
                None,
                Reason::ParseError,
                Some("product_id")
            ),
            (
                Table::OrderLines,
                9,
                None,
                Reason::ParseError,
                Some("quantity")
            ),
            (
                Table::Interactions,
                2,
                id("T1"),
                Reason::UnknownCustomer,
                Some("customer_id")
            ),
        ]
    );
    assert_eq!(d.order_line_count(), 1);
    assert_eq!(d.interaction_count(), 1);
}

#[test]
fn deal_rules_in_order() {
    let deals = "\
id,customer_id,created_at,source,product_type,handed_over_at,opportunity_at,won_at,revenue
D1,,2026-02-01T10:00:00Z,ads,,2026-02-02T10:00:00Z,2026-02-03T10:00:00Z,2026-02-04T10:00:00Z,100
D2,KH9,2026-02-01T10:00:00Z,ads,,,,,
D3,KH1,2026-02-01T10:00:00Z,ads,,,,,-1
D4,,2026-02-01T10:00:00Z,ads,,2026-01-31T10:00:00Z,,,
D5,,2026-02-01T10:00:00Z,ads,,,2026-02-03T10:00:00Z,2026-02-02T10:00:00Z,5
D6,,2026-02-01T10:00:00Z,ads,,,2026-02-03T10:00:00Z,,
D7,,2026-02-01T10:00:00Z,ads,,2026-02-02T10:00:00Z,2026-02-03T10:00:00Z,2026-02-04T10:00:00Z,
D8,,2026-02-01T10:00:00Z,ads,,,,,5
D9,,2026-02-01T10:00:00Z,,,,,,
D10,,2026-02-01T10:00:00Z,ads,,2026-02-01T10:00:00Z,2026-02-01T10:00:00Z,2026-02-01T10:00:00Z,0
D1,,2026-02-01T10:00:00Z,ads,,,,,
";
    let d = build(&[(Table::Deals, deals)], false).unwrap();
    assert_eq!(
        rejections(&d),
        vec![
            (
                Table::Deals,
                3,
                id("D2"),
                Reason::UnknownCustomer,
                Some("customer_id")
            ),
            (
                Table::Deals,
                4,
                id("D3"),
                Reason::NegativeAmount,
                Some("revenue")
            ),
            (
                Table::Deals,
                5,
                id("D4"),
                Reason::StageOutOfOrder,
                Some("handed_over_at")
            ),
            // out of order is checked before skipped (SPEC §9.11)
            (
                Table::Deals,
                6,
                id("D5"),
                Reason::StageOutOfOrder,
                Some("won_at")
            ),
            (
                Table::Deals,
                7,
                id("D6"),
                Reason::StageSkipped,
                Some("opportunity_at")
            ),
            (
                Table::Deals,
                8,
                id("D7"),
                Reason::MissingRevenue,
                Some("revenue")
            ),
            (
                Table::Deals,
                9,
                id("D8"),
                Reason::MissingRevenue,
                Some("revenue")
            ),
            (
                Table::Deals,
                10,
                id("D9"),
                Reason::ParseError,
                Some("source")
            ),
            (Table::Deals, 12, id("D1"), Reason::DuplicateId, Some("id")),
        ]
    );
    // D1 and D10 (equal stage times, revenue 0) are fine.
    assert_eq!(d.deal_count(), 2);
}

#[test]
fn warnings_count_per_row_and_column_on_accepted_rows() {
    let staff = "id,name\nNV1,Lan\nNV2,\n";
    let fanpages = "id,name,channel,activated,linked_accounts\nFP1,Page,facebook,true,2\n";
    let campaigns = "id,name,channel\nCD1,Tet,zalo\n";
    let orders = "\
id,customer_id,created_at,status,total,fanpage_id,staff_id
DH1,KH1,2026-02-01T10:00:00+07:00,completed,100,FP1,NV1
DH2,KH1,2026-02-01T10:00:00+07:00,completed,100,FP9,NV2
DH3,KH9,2026-02-01T10:00:00+07:00,completed,100,FP9,NV9
";
    let interactions = "\
id,customer_id,at,channel,kind,direction,fanpage_id,staff_id,automated,campaign_id
T1,KH1,2026-02-01T10:00:00+07:00,zalo,campaign_message,outbound,FP9,NV9,1,CD9
T2,KH1,2026-02-01T10:00:00+07:00,zalo,campaign_message,outbound,FP1,NV1,0,CD1
";
    let d = build(
        &[
            (Table::Staff, staff),
            (Table::Fanpages, fanpages),
            (Table::Campaigns, campaigns),
            (Table::Orders, orders),
            (Table::Interactions, interactions),
        ],
        false,
    )
    .unwrap();
    let q = d.quality();
    // NV2's row was rejected (empty name), so DH2's NV2 is unknown too (SPEC §9.5);
    // DH3 is rejected, so its references do not warn.
    assert_eq!(q.warnings(Warning::UnknownStaff), 2); // DH2, T1
    assert_eq!(q.warnings(Warning::UnknownFanpage), 2); // DH2, T1
    assert_eq!(q.warnings(Warning::UnknownCampaign), 1); // T1
    let section = serde_json::to_value(q.section(100)).unwrap();
    assert_eq!(
        section["warnings_by_reason"],
        serde_json::json!({"unknown_staff": 2, "unknown_fanpage": 2, "unknown_campaign": 1})
    );
}

#[test]
fn strict_mode_names_the_first_bad_row() {
    let orders = "\
id,customer_id,created_at,status,total
DH1,KH1,2026-02-01T10:00:00+07:00,completed,100
DH2,KH1,2026-02-01T10:00:00+07:00,completed,1e5
DH3,KH9,2026-02-01T10:00:00+07:00,completed,100
";
    let lines = "order_id,product_id,quantity,unit_price\nDH9,SP1,1,1\n";
    let err = build(&[(Table::OrderLines, lines), (Table::Orders, orders)], true).unwrap_err();
    // Orders come before order lines (SPEC §9.7), then file order.
    assert_eq!(
        err.to_string(),
        "orders.csv line 3, column total: parse_error: not a plain number: only digits with an optional '-' and an optional '.' fraction are read (no thousands separators or currency signs: write 1250000, not 1,250,000 or 1250000₫): \"1e5\""
    );
    let Error::Rejected(r) = err else {
        panic!("not a rejection")
    };
    assert_eq!(
        (r.table, r.line, r.column, r.reason),
        (Table::Orders, 3, Some("total"), Reason::ParseError)
    );
    // Without strict mode the same input builds.
    assert!(
        build(
            &[(Table::OrderLines, lines), (Table::Orders, orders)],
            false
        )
        .is_ok()
    );
}

#[test]
fn value_grammar_in_files() {
    // Each row has exactly one value outside SPEC §9.9's grammar.
    let lines = "\
order_id,product_id,quantity,unit_price
DH1,SP1,1,100
DH1,SP1,+2,100
DH1,SP1,2.0,100
DH1,SP1,1,1_000
DH1,SP1,1,.5
DH1,SP1,1,+5
DH1,SP1,1,1e5
DH1,SP1,1,\"12,000\"
DH1,SP1,1,NaN
DH1,SP1,1,1234567890123456789012345678901234567890
DH1,SP1,1,0.00000000000000000000000000001
DH1,SP1,1,-0
DH1,SP1,99999999999,1.50000000000000000000000000000000
DH1,SP1,1, 5
";
    let orders =
        "id,customer_id,created_at,status,total\nDH1,KH1,2026-02-01T10:00:00+07:00,completed,100\n";
    let d = build(
        &[(Table::Orders, orders), (Table::OrderLines, lines)],
        false,
    )
    .unwrap();
    let bad: Vec<(u64, Option<&str>)> = d
        .quality()
        .rejections()
        .iter()
        .map(|r| (r.line, r.column))
        .collect();
    assert_eq!(
        bad,
        vec![
            (3, Some("quantity")),
            (4, Some("quantity")),
            (5, Some("unit_price")),
            (6, Some("unit_price")),
            (7, Some("unit_price")),
            (8, Some("unit_price")),
            (9, Some("unit_price")),
            (10, Some("unit_price")),
            (11, Some("unit_price")),
            (12, Some("unit_price")),
            (15, Some("unit_price")), // " 5": a space is a value, and not a decimal
        ]
    );
    // -0 is zero (not negative); a quantity beyond u32 and trailing zeros are fine.
    assert_eq!(d.order_line_count(), 3);
}

#[test]
fn timestamps_booleans_and_enums_in_files() {
    let interactions = "\
id,customer_id,at,channel,kind,direction,automated
T1,KH1,2026-02-01T10:00:00+07:00,zalo,follow,inbound,
T2,KH1,2026-02-01T24:00:00+07:00,zalo,follow,inbound,
T3,KH1,2026-02-01T23:59:60+07:00,zalo,follow,inbound,
T4,KH1,2026-02-30T10:00:00+07:00,zalo,follow,inbound,
T5,KH1,2026-02-01T10:00:00+07:00,myspace,follow,inbound,
T6,KH1,2026-02-01T10:00:00+07:00,zalo,like,inbound,
T7,KH1,2026-02-01T10:00:00+07:00,zalo,follow,in,
T8,KH1,2026-02-01T10:00:00+07:00,zalo,follow,inbound,yes
T9,KH1,2026-02-01T10:00:00.123456Z,zalo,follow,inbound,1
T10,KH1,0000-01-01T00:00:00Z,zalo,follow,inbound,0
T11,KH1,9999-12-31T23:59:59Z,zalo,follow,inbound,false
";
    let d = build(&[(Table::Interactions, interactions)], false).unwrap();
    let bad: Vec<(u64, Option<&str>)> = d
        .quality()
        .rejections()
        .iter()
        .map(|r| (r.line, r.column))
        .collect();
    assert_eq!(
        bad,
        vec![
            (3, Some("at")),
            (4, Some("at")),
            (5, Some("at")),
            (6, Some("channel")),
            (7, Some("kind")),
            (8, Some("direction")),
            (9, Some("automated")),
        ]
    );
    assert_eq!(d.interaction_count(), 4);
}

#[test]
fn customers_optional_values_present_but_invalid() {
    let customers = "\
id,created_at,source,gender,birth_date
KH1,2026-01-01T10:00:00+07:00,pos,M,
KH2,2026-01-01T10:00:00+07:00,pos,,2026-02-29
KH3,2026-01-01T10:00:00+07:00,pos,,2024-02-29
KH4,2026-01-01T10:00:00+07:00,pos, ,
";
    let d = build(&[(Table::Customers, customers)], false).unwrap();
    let bad: Vec<(u64, Option<&str>)> = d
        .quality()
        .rejections()
        .iter()
        .map(|r| (r.line, r.column))
        .collect();
    assert_eq!(
        bad,
        vec![
            (2, Some("gender")),
            (3, Some("birth_date")),
            (5, Some("gender"))
        ]
    );
    assert_eq!(d.customer_count(), 1);
}

#[test]
fn missing_files_and_columns_are_errors_naming_them() {
    let dir = std::env::temp_dir().join(format!("crm-metrics-validation-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("customers.csv"), CUSTOMERS).unwrap();
    let mut b = DatasetBuilder::new();
    let err = b.read_csv_dir(&dir).unwrap_err();
    assert_eq!(
        err.to_string(),
        "orders.csv is missing: it is a required file"
    );
    std::fs::write(dir.join("orders.csv"), "id,customer_id,created_at,status\n").unwrap();
    let err = DatasetBuilder::new().read_csv_dir(&dir).unwrap_err();
    assert_eq!(err.to_string(), "orders.csv: missing required column total");
    std::fs::write(
        dir.join("orders.csv"),
        "status,total,id,created_at,customer_id,extra\n",
    )
    .unwrap();
    std::fs::write(dir.join("deals.csv"), "").unwrap(); // an empty optional file
    let mut b = DatasetBuilder::new();
    b.read_csv_dir(&dir).unwrap();
    let d = b.build().unwrap();
    assert_eq!(d.customer_count(), 2);
    assert_eq!(d.quality().table(Table::Deals).read, 0);
    std::fs::remove_dir_all(&dir).unwrap();
}
