//! A deterministic, seeded sample-data generator with realistic shapes.
//!
//! The same [`SampleOptions`] always give the same rows, on every platform (the random
//! numbers come from a SplitMix64 generator in this module). Any size from 100 to
//! millions of customers; rows stream into a [`SampleSink`] customer by customer, so
//! generating 1M customers (about 3M orders, 6M order lines, 6M interactions, 0.5M deals)
//! holds only one customer's rows at a time.
//!
//! Shapes: every enum value appears; order statuses in shop-like proportions; one-time
//! and repeat buyers with a long tail (a few customers buy dozens of times), same-day
//! repeat purchases; synced customers with purchase history from before they were
//! created; inbound messages answered by staff or automation, campaign messages,
//! clicks, games, surveys, follows, forms, web-push; deals at every stage; daily costs
//! per marketing source and product type; a few rows after `as_of`.
//! With [`SampleOptions::bad_rate`] a share of rows is made invalid in every way validation
//! rejects (docs/input-format.md#rejections; the CSV writer also corrupts values into
//! parse errors), so validation can be exercised and measured.
//!
//! # Example
//! ```
//! use crm_metrics::sample::SampleOptions;
//!
//! let a = SampleOptions::new(300).seed(1).dataset()?;
//! let b = SampleOptions::new(300).seed(1).dataset()?;
//! assert_eq!(a.order_count(), b.order_count()); // deterministic
//! assert!(a.order_count() > 300);
//! # Ok::<(), crm_metrics::Error>(())
//! ```

use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::Path;

use chrono::{DateTime, Days, NaiveDate, TimeZone, Utc};
use rust_decimal::Decimal;

use crate::dataset::{Dataset, DatasetBuilder};
use crate::error::{Error, Result, Table};
use crate::model::{
    Campaign, Channel, Cost, Customer, Deal, Direction, Fanpage, Gender, Interaction,
    InteractionKind, Order, OrderLine, OrderStatus, Source, Staff,
};

/// What to generate.
#[derive(Clone, Debug, PartialEq)]
pub struct SampleOptions {
    customers: usize,
    seed: u64,
    as_of: DateTime<Utc>,
    history_days: u32,
    bad_rate: f64,
}

impl SampleOptions {
    /// `customers` customers, seed 0, `as_of` 2026-11-15T03:00:00Z, two years of
    /// history, no bad rows.
    pub fn new(customers: usize) -> SampleOptions {
        SampleOptions {
            customers,
            seed: 0,
            as_of: Utc
                .with_ymd_and_hms(2026, 11, 15, 3, 0, 0)
                .single()
                .unwrap_or_default(),
            history_days: 730,
            bad_rate: 0.0,
        }
    }

    /// The random seed.
    pub fn seed(mut self, seed: u64) -> SampleOptions {
        self.seed = seed;
        self
    }

    /// The instant the data leads up to; a few rows fall after it.
    pub fn as_of(mut self, as_of: DateTime<Utc>) -> SampleOptions {
        self.as_of = as_of;
        self
    }

    /// Days of history before `as_of` (default 730; at least 30).
    pub fn history_days(mut self, days: u32) -> SampleOptions {
        self.history_days = days.max(30);
        self
    }

    /// The share of rows made invalid (0 to 1; default 0).
    pub fn bad_rate(mut self, rate: f64) -> SampleOptions {
        self.bad_rate = if rate.is_finite() {
            rate.clamp(0.0, 1.0)
        } else {
            0.0
        };
        self
    }

    /// The number of customers.
    pub fn customers(&self) -> usize {
        self.customers
    }

    /// Streams every row into `sink`.
    pub fn generate(&self, sink: &mut impl SampleSink) {
        Generator::new(self).run(sink);
    }

    /// Every row, collected by table (for tests and benches that need the rows).
    pub fn rows(&self) -> SampleRows {
        let mut rows = SampleRows::default();
        self.generate(&mut rows);
        rows
    }

    /// Generates into a [`DatasetBuilder`] and builds it.
    ///
    /// # Errors
    /// None in practice: generated data builds; the `Result` is the builder's.
    pub fn dataset(&self) -> Result<Dataset> {
        let mut builder = DatasetBuilder::new();
        self.generate(&mut builder);
        builder.build()
    }

    /// Writes the nine CSV files of docs/input-format.md#files into `dir` (created if needed),
    /// returning the rows and bytes written. With a bad rate, some values are also corrupted into
    /// parse errors.
    ///
    /// # Errors
    /// [`Error::Write`] when a file cannot be written.
    pub fn write_csv(&self, dir: impl AsRef<Path>) -> Result<CsvSummary> {
        let dir = dir.as_ref();
        let io = |path: &Path| {
            let path = path.to_owned();
            move |source| Error::Write { path, source }
        };
        fs::create_dir_all(dir).map_err(io(dir))?;
        let mut sink = CsvSink::create(dir, self.bad_rate, self.seed ^ 0x5eed_c0de)?;
        self.generate(&mut sink);
        sink.finish()
    }
}

/// Rows and bytes written by [`SampleOptions::write_csv`], per table in the order of
/// docs/input-format.md#files.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CsvSummary {
    /// Data rows per table.
    pub rows: [u64; 9],
    /// File sizes in bytes per table.
    pub bytes: [u64; 9],
}

impl CsvSummary {
    /// Total bytes of the nine files.
    pub fn total_bytes(&self) -> u64 {
        self.bytes.iter().sum()
    }

    /// Total data rows.
    pub fn total_rows(&self) -> u64 {
        self.rows.iter().sum()
    }
}

/// Receives generated rows.
pub trait SampleSink {
    /// A customer.
    fn customer(&mut self, row: &Customer);
    /// An order (before its lines).
    fn order(&mut self, row: &Order);
    /// An order line.
    fn order_line(&mut self, row: &OrderLine);
    /// A deal.
    fn deal(&mut self, row: &Deal);
    /// A cost.
    fn cost(&mut self, row: &Cost);
    /// An interaction.
    fn interaction(&mut self, row: &Interaction);
    /// A campaign.
    fn campaign(&mut self, row: &Campaign);
    /// A staff member.
    fn staff(&mut self, row: &Staff);
    /// A fanpage.
    fn fanpage(&mut self, row: &Fanpage);
}

impl SampleSink for DatasetBuilder {
    fn customer(&mut self, row: &Customer) {
        self.push_customer(row);
    }
    fn order(&mut self, row: &Order) {
        self.push_order(row);
    }
    fn order_line(&mut self, row: &OrderLine) {
        self.push_order_line(row);
    }
    fn deal(&mut self, row: &Deal) {
        self.push_deal(row);
    }
    fn cost(&mut self, row: &Cost) {
        self.push_cost(row);
    }
    fn interaction(&mut self, row: &Interaction) {
        self.push_interaction(row);
    }
    fn campaign(&mut self, row: &Campaign) {
        self.push_campaign(row);
    }
    fn staff(&mut self, row: &Staff) {
        self.push_staff(row);
    }
    fn fanpage(&mut self, row: &Fanpage) {
        self.push_fanpage(row);
    }
}

/// Every generated row, by table.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SampleRows {
    /// `customers.csv` rows.
    pub customers: Vec<Customer>,
    /// `orders.csv` rows.
    pub orders: Vec<Order>,
    /// `order_lines.csv` rows.
    pub order_lines: Vec<OrderLine>,
    /// `deals.csv` rows.
    pub deals: Vec<Deal>,
    /// `costs.csv` rows.
    pub costs: Vec<Cost>,
    /// `interactions.csv` rows.
    pub interactions: Vec<Interaction>,
    /// `campaigns.csv` rows.
    pub campaigns: Vec<Campaign>,
    /// `staff.csv` rows.
    pub staff: Vec<Staff>,
    /// `fanpages.csv` rows.
    pub fanpages: Vec<Fanpage>,
}

impl SampleRows {
    /// A builder holding every row, table by table in input order.
    pub fn builder(&self) -> DatasetBuilder {
        let mut b = DatasetBuilder::new();
        self.push_into(&mut b);
        b
    }

    /// Pushes every row into `builder`.
    pub fn push_into(&self, builder: &mut DatasetBuilder) {
        self.customers.iter().for_each(|r| builder.push_customer(r));
        self.orders.iter().for_each(|r| builder.push_order(r));
        self.order_lines
            .iter()
            .for_each(|r| builder.push_order_line(r));
        self.deals.iter().for_each(|r| builder.push_deal(r));
        self.costs.iter().for_each(|r| builder.push_cost(r));
        self.interactions
            .iter()
            .for_each(|r| builder.push_interaction(r));
        self.campaigns.iter().for_each(|r| builder.push_campaign(r));
        self.staff.iter().for_each(|r| builder.push_staff(r));
        self.fanpages.iter().for_each(|r| builder.push_fanpage(r));
    }

    /// Rows of all tables.
    pub fn len(&self) -> usize {
        self.customers.len()
            + self.orders.len()
            + self.order_lines.len()
            + self.deals.len()
            + self.costs.len()
            + self.interactions.len()
            + self.campaigns.len()
            + self.staff.len()
            + self.fanpages.len()
    }

    /// Whether there are no rows at all.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl SampleSink for SampleRows {
    fn customer(&mut self, row: &Customer) {
        self.customers.push(row.clone());
    }
    fn order(&mut self, row: &Order) {
        self.orders.push(row.clone());
    }
    fn order_line(&mut self, row: &OrderLine) {
        self.order_lines.push(row.clone());
    }
    fn deal(&mut self, row: &Deal) {
        self.deals.push(row.clone());
    }
    fn cost(&mut self, row: &Cost) {
        self.costs.push(row.clone());
    }
    fn interaction(&mut self, row: &Interaction) {
        self.interactions.push(row.clone());
    }
    fn campaign(&mut self, row: &Campaign) {
        self.campaigns.push(row.clone());
    }
    fn staff(&mut self, row: &Staff) {
        self.staff.push(row.clone());
    }
    fn fanpage(&mut self, row: &Fanpage) {
        self.fanpages.push(row.clone());
    }
}

/// SplitMix64: tiny, fast, and the same on every platform.
#[derive(Clone, Debug)]
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x9E37_79B9_7F4A_7C15)
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub(crate) fn f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in `0..n` (`n > 0`).
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n.max(1))) >> 64) as u64
    }

    pub(crate) fn chance(&mut self, p: f64) -> bool {
        self.f64() < p
    }

    pub(crate) fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    /// An index drawn with the given weights.
    pub(crate) fn weighted(&mut self, weights: &[u32]) -> usize {
        let total: u64 = weights.iter().map(|&w| u64::from(w)).sum();
        let mut x = self.below(total);
        for (i, &w) in weights.iter().enumerate() {
            if x < u64::from(w) {
                return i;
            }
            x -= u64::from(w);
        }
        weights.len() - 1
    }

    /// Geometric count with the given mean (>= 0).
    pub(crate) fn geometric(&mut self, mean: f64) -> u64 {
        let p = 1.0 / (1.0 + mean);
        let u = self.f64().max(1e-12);
        (u.ln() / (1.0 - p).ln()).floor() as u64
    }

    /// Exponential with the given mean.
    pub(crate) fn exponential(&mut self, mean: f64) -> f64 {
        -mean * (1.0 - self.f64()).ln()
    }
}

const FAMILY: &[&str] = &[
    "Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ",
    "Hồ", "Ngô", "Dương", "Lý",
];
const MIDDLE: &[&str] = &[
    "Văn", "Thị", "Minh", "Thanh", "Ngọc", "Hữu", "Đức", "Thu", "Quốc", "Gia",
];
const GIVEN: &[&str] = &[
    "An", "Bình", "Châu", "Dũng", "Hà", "Hải", "Hương", "Khánh", "Lan", "Linh", "Long", "Mai",
    "Minh", "Nam", "Ngọc", "Phúc", "Quang", "Sơn", "Thảo", "Thu", "Trang", "Tuấn", "Vy", "Yến",
];
const PRODUCT_TYPES: &[&str] = &[
    "home",
    "apparel",
    "accessory",
    "food",
    "cosmetics",
    "electronics",
    "",
];
const PRODUCT_NAMES: &[&str] = &[
    "Nồi chiên không dầu",
    "Chuột không dây",
    "Quần jean",
    "Áo thun",
    "Túi xách",
    "Cà phê rang xay",
    "Son môi",
    "Tai nghe",
    "Bình giữ nhiệt",
    "Kem chống nắng",
    "Giày thể thao",
    "Trà ô long",
];
const ORDER_SOURCES: &[&str] = &[
    "pos", "website", "shopee", "lazada", "zalo", "facebook", "haravan", "",
];
const VOUCHERS: &[&str] = &["NEWMEMBER", "SALE10", "FREESHIP", "VIP20"];
const DEAL_SOURCES: &[&str] = &[
    "facebook_ads",
    "google_ads",
    "zalo_ads",
    "tiktok_ads",
    "referral",
    "event",
];
const DEAL_SOURCE_WEIGHTS: &[u32] = &[33, 24, 17, 11, 8, 7];
const COST_SOURCES: &[&str] = &[
    "facebook_ads",
    "google_ads",
    "zalo_ads",
    "tiktok_ads",
    "seo",
    "event",
];
const COST_SOURCE_SKIP: &[f64] = &[0.1, 0.15, 0.2, 0.25, 0.7, 0.92];
const DEAL_TYPES: &[&str] = &["course", "software", "consulting", "membership", ""];
const DEAL_TYPE_WEIGHTS: &[u32] = &[33, 24, 21, 14, 8];
const STAFF_NAMES: &[&str] = &[
    "Nguyễn Lan",
    "Trần Minh",
    "Lê Hùng",
    "Phạm Trang",
    "Hoàng Tuấn",
    "Huỳnh Hà",
    "Phan Long",
    "Vũ Vy",
    "Võ Nam",
    "Đặng Thảo",
    "Bùi Phúc",
    "Đỗ Ngọc",
    "Hồ Quang",
    "Ngô Mai",
    "Dương Sơn",
    "Lý Linh",
    "Nguyễn Đạt",
    "Trần Yến",
    "Lê Khoa",
    "Phạm Hương",
];
/// (id, name, channel, activated, linked accounts)
const FANPAGES: &[(&str, &str, Channel, bool, u64)] = &[
    ("FP1", "Shop Thời Trang Mai Anh", Channel::Facebook, true, 3),
    ("FP2", "Mai Anh Outlet", Channel::Facebook, true, 1),
    ("FP3", "Zalo OA Mai Anh", Channel::Zalo, true, 2),
    ("FP4", "maianh.store", Channel::Instagram, true, 1),
    ("FP5", "Mai Anh TikTok Shop", Channel::Tiktok, false, 0),
];
const CAMPAIGNS: &[(&str, Option<Channel>)] = &[
    ("Tết Nguyên Đán", Some(Channel::Zalo)),
    ("Valentine", Some(Channel::Sms)),
    ("Quốc tế Phụ nữ 8/3", Some(Channel::Email)),
    ("Sale 4/4", None),
    ("Lễ 30/4", Some(Channel::Facebook)),
    ("Quốc tế Thiếu nhi", Some(Channel::Zalo)),
    ("Sale giữa năm", Some(Channel::Sms)),
    ("Trung Thu", Some(Channel::Email)),
    ("Sale 9/9", None),
    ("Phụ nữ Việt Nam 20/10", Some(Channel::Facebook)),
    ("Sale 11/11", Some(Channel::Zalo)),
    ("Black Friday", Some(Channel::Sms)),
    ("Giáng sinh", Some(Channel::Email)),
    ("Sale 12/12", None),
];
/// Customer sources in `Source::ALL` order.
const SOURCE_WEIGHTS: &[u32] = &[12, 12, 6, 3, 7, 7, 10, 4, 7, 16, 12];
/// Relative activity per local hour (0..24), a shop's day.
const HOUR_WEIGHTS: &[u32] = &[
    2, 1, 1, 1, 1, 2, 3, 6, 9, 11, 11, 12, 12, 10, 10, 11, 11, 12, 14, 15, 14, 11, 8, 4,
];
const LOCAL_OFFSET: i64 = 7 * 3600;

struct Generator<'a> {
    options: &'a SampleOptions,
    rng: Rng,
    start: i64,
    as_of: i64,
    next_order: u64,
    next_interaction: u64,
    next_deal: u64,
}

impl<'a> Generator<'a> {
    fn new(options: &'a SampleOptions) -> Generator<'a> {
        let as_of = options.as_of.timestamp();
        Generator {
            options,
            rng: Rng::new(options.seed),
            start: as_of - i64::from(options.history_days) * 86_400,
            as_of,
            next_order: 0,
            next_interaction: 0,
            next_deal: 0,
        }
    }

    fn bad(&mut self) -> bool {
        self.options.bad_rate > 0.0 && self.rng.chance(self.options.bad_rate)
    }

    fn at(secs: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(secs, 0).unwrap_or_default()
    }

    /// A time on the local day of `secs`, at a shop-like hour.
    fn shop_hour(&mut self, secs: i64) -> i64 {
        let local_day = (secs + LOCAL_OFFSET).div_euclid(86_400);
        let hour = self.rng.weighted(HOUR_WEIGHTS) as i64;
        local_day * 86_400 - LOCAL_OFFSET + hour * 3600 + self.rng.below(3600) as i64
    }

    fn amount(&mut self, low: u64, high: u64, step: u64) -> Decimal {
        let steps = (high - low) / step;
        Decimal::from(low + self.rng.below(steps + 1) * step)
    }

    fn run(mut self, sink: &mut impl SampleSink) {
        for (i, name) in STAFF_NAMES.iter().enumerate() {
            sink.staff(&Staff {
                id: format!("NV{:02}", i + 1),
                name: (*name).to_owned(),
            });
        }
        for &(id, name, channel, activated, linked_accounts) in FANPAGES {
            sink.fanpage(&Fanpage {
                id: id.to_owned(),
                name: name.to_owned(),
                channel: Some(channel),
                activated,
                linked_accounts,
            });
        }
        for (i, &(name, channel)) in CAMPAIGNS.iter().enumerate() {
            sink.campaign(&Campaign {
                id: format!("CD{:02}", i + 1),
                name: format!("Chiến dịch {name}"),
                channel,
            });
        }
        for i in 0..self.options.customers {
            self.customer(i, sink);
        }
        for _ in 0..self.options.customers / 10 {
            self.deal(None, self.start, sink);
        }
        self.costs(sink);
    }

    fn customer(&mut self, i: usize, sink: &mut impl SampleSink) {
        let rng = &mut self.rng;
        // Growth: more customers recently (density rising toward as_of); 0.3 % after it.
        let span = (self.as_of - self.start) as f64;
        let created = if rng.chance(0.003) {
            self.as_of + rng.below(10 * 86_400) as i64
        } else {
            self.start + (span * rng.f64().powf(0.7)) as i64
        };
        let created = self.shop_hour(created).min(self.as_of.max(created));
        let rng = &mut self.rng;
        let source = Source::ALL[rng.weighted(SOURCE_WEIGHTS)];
        let gender = match rng.below(100) {
            0..50 => Some(Gender::Female),
            50..88 => Some(Gender::Male),
            88..90 => Some(Gender::Other),
            _ => None,
        };
        let today = Self::at(self.as_of).date_naive();
        let birth_date = rng.chance(0.75).then(|| {
            let age_days = 14 * 365 + rng.below(55 * 365);
            today.checked_sub_days(Days::new(age_days)).unwrap_or(today)
        });
        let phone = rng.chance(0.85).then(|| {
            format!(
                "0{}{:08}",
                rng.pick(&[3, 5, 7, 8, 9]),
                rng.below(100_000_000)
            )
        });
        let email = rng.chance(0.4).then(|| format!("kh{i}@example.vn"));
        let name = rng.chance(0.98).then(|| {
            format!(
                "{} {} {}",
                rng.pick(FAMILY),
                rng.pick(MIDDLE),
                rng.pick(GIVEN)
            )
        });
        let notes = rng.chance(0.05).then(|| match rng.below(3) {
            0 => "Khách quen, thích giao buổi sáng".to_owned(),
            1 => "Hỏi về \"combo\" quà tặng, gọi lại sau".to_owned(),
            _ => "Địa chỉ: 12 Lê Lợi, Quận 1\nGiao giờ hành chính".to_owned(),
        });
        let mut id = format!("KH{:07}", i + 1);
        if i > 0 && self.bad() {
            id = format!("KH{:07}", self.rng.below(i as u64) + 1); // duplicate id
        }
        let zalo_id = self
            .rng
            .chance(if source == Source::ZaloOa { 0.95 } else { 0.3 })
            .then(|| format!("zl{}", 10_000_000 + i));
        let facebook_id = self
            .rng
            .chance(if source == Source::SocialChat {
                0.9
            } else {
                0.33
            })
            .then(|| format!("fb{}", 20_000_000 + i));
        sink.customer(&Customer {
            id: id.clone(),
            created_at: Self::at(created),
            source,
            name,
            phone,
            email,
            gender,
            birth_date,
            zalo_id,
            facebook_id,
            notes,
        });
        self.orders(&id, created, source, sink);
        self.interactions(&id, created, sink);
        if self.rng.chance(0.4) {
            self.deal(Some(&id), created, sink);
        }
    }

    fn orders(&mut self, customer: &str, created: i64, source: Source, sink: &mut impl SampleSink) {
        let rng = &mut self.rng;
        let u = rng.f64();
        let count = if u < 0.22 {
            0
        } else if u < 0.48 {
            1
        } else if u < 0.60 {
            2
        } else if u < 0.997 {
            3 + rng.geometric(9.0).min(90)
        } else {
            30 + rng.below(120) // a few very loyal customers
        };
        // Synced or imported customers often bring purchase history from before they
        // were created (docs/metrics.md#which-rows-count).
        let mut t = if (source.is_synced() || source.is_imported()) && rng.chance(0.5) {
            created - rng.below(200 * 86_400) as i64
        } else {
            created + rng.exponential(5.0 * 86_400.0) as i64
        };
        for n in 0..count {
            if n > 0 {
                let rng = &mut self.rng;
                let gap_days = match rng.below(100) {
                    0..12 => 0.0,
                    12..24 => 1.0 + rng.below(2) as f64,
                    24..48 => 3.0 + rng.below(11) as f64,
                    48..80 => 14.0 + rng.below(46) as f64,
                    80..95 => 60.0 + rng.below(120) as f64,
                    _ => 180.0 + rng.below(320) as f64,
                };
                t += (gap_days * 86_400.0) as i64 + rng.below(6 * 3600) as i64;
            }
            if t > self.as_of + 5 * 86_400 {
                break;
            }
            let at = if n == 0 { t } else { t.max(self.shop_hour(t)) };
            self.order(customer, at, sink);
        }
    }

    fn order(&mut self, customer: &str, at: i64, sink: &mut impl SampleSink) {
        self.next_order += 1;
        let mut id = format!("DH{:08}", self.next_order);
        let mut customer_id = customer.to_owned();
        let mut negative = false;
        if self.bad() {
            match self.rng.below(3) {
                0 => id = format!("DH{:08}", self.rng.below(self.next_order) + 1),
                1 => customer_id = format!("KHX{}", self.rng.below(1000)),
                _ => negative = true,
            }
        }
        let rng = &mut self.rng;
        let recent = at > self.as_of - 3 * 86_400;
        let status = match rng.below(100) {
            0..78 if !recent => OrderStatus::Completed,
            0..60 => OrderStatus::Completed,
            60..78 => OrderStatus::Pending,
            78..86 => OrderStatus::Pending,
            86..90 => OrderStatus::Failed,
            _ => OrderStatus::Cancelled,
        };
        let n_lines = match rng.below(100) {
            0..45 => 1,
            45..73 => 2,
            73..88 => 3,
            88..96 => 4,
            _ => 5 + rng.below(4),
        };
        let mut lines = Vec::with_capacity(n_lines as usize);
        let mut sum = Decimal::ZERO;
        for _ in 0..n_lines {
            let product = (2000.0 * rng.f64().powf(2.5)) as u64;
            let quantity = match rng.below(100) {
                0..70 => 1,
                70..88 => 2,
                88..96 => 3,
                _ => 4 + rng.below(8) as i64,
            };
            // A product's price is a function of its id; 1 % of products cost x.5.
            let base = 20_000 + (product * 7_919 % 300) * 10_000;
            let unit_price = if product % 97 == 3 {
                Decimal::new(base as i64 * 10 + 5, 1)
            } else {
                Decimal::from(base)
            };
            sum += unit_price * Decimal::from(quantity);
            lines.push(OrderLine {
                order_id: id.clone(),
                product_id: format!("SP{:05}", product + 1),
                product_name: Some(format!(
                    "{} {}",
                    PRODUCT_NAMES[(product % 12) as usize],
                    product % 7 + 1
                )),
                product_type: Some(PRODUCT_TYPES[(product % 7) as usize].to_owned())
                    .filter(|s| !s.is_empty()),
                quantity,
                unit_price,
            });
        }
        let voucher_code = rng.chance(0.12).then(|| (*rng.pick(VOUCHERS)).to_owned());
        let total = if voucher_code.is_some() {
            (sum * Decimal::new(9, 1)).round()
        } else {
            sum
        };
        let total = if negative {
            -total - Decimal::ONE
        } else {
            total
        };
        let social = rng.chance(0.28);
        let fanpage_id = social.then(|| FANPAGES[rng.weighted(&[35, 15, 28, 14, 8])].0.to_owned());
        let staff_id = rng
            .chance(if social { 0.7 } else { 0.3 })
            .then(|| format!("NV{:02}", 1 + rng.below(20)));
        let cost_of_goods = rng
            .chance(0.85)
            .then(|| (total.abs() * Decimal::new(45 + rng.below(30) as i64, 2)).round());
        sink.order(&Order {
            id: id.clone(),
            customer_id,
            created_at: Self::at(at),
            status,
            total,
            cost_of_goods,
            source: Some((*rng.pick(ORDER_SOURCES)).to_owned()).filter(|s| !s.is_empty()),
            fanpage_id,
            staff_id,
            voucher_code,
        });
        for mut line in lines {
            if self.bad() {
                match self.rng.below(3) {
                    0 => line.order_id = format!("DHX{}", self.rng.below(1000)),
                    1 => line.quantity = -(self.rng.below(2) as i64),
                    _ => line.unit_price = -line.unit_price - Decimal::ONE,
                }
            }
            sink.order_line(&line);
        }
    }

    fn interaction_row(
        &mut self,
        customer: &str,
        at: i64,
        kind: InteractionKind,
        direction: Direction,
    ) -> Interaction {
        self.next_interaction += 1;
        let mut id = format!("TT{:09}", self.next_interaction);
        let mut customer_id = customer.to_owned();
        if self.bad() {
            match self.rng.below(2) {
                0 => id = format!("TT{:09}", self.rng.below(self.next_interaction) + 1),
                _ => customer_id = format!("KHX{}", self.rng.below(1000)),
            }
        }
        Interaction {
            id,
            customer_id,
            at: Self::at(at),
            channel: Channel::Other,
            kind,
            direction,
            fanpage_id: None,
            staff_id: None,
            automated: false,
            campaign_id: None,
            ref_id: None,
        }
    }

    fn interactions(&mut self, customer: &str, created: i64, sink: &mut impl SampleSink) {
        use InteractionKind as K;
        let count = if self.rng.chance(0.2) {
            0
        } else {
            1 + self.rng.geometric(6.5).min(80)
        };
        let mut t = created - self.rng.below(86_400) as i64;
        for _ in 0..count {
            t += self.rng.exponential(20.0 * 86_400.0) as i64;
            if t > self.as_of + 5 * 86_400 {
                break;
            }
            let at = self.shop_hour(t).max(created - 86_400);
            let kind = [
                K::Message,
                K::Comment,
                K::CampaignMessage,
                K::UrlClick,
                K::MinigamePlay,
                K::SurveyResponse,
                K::Follow,
                K::FormSubmit,
                K::WebpushSubscribe,
            ][self.rng.weighted(&[36, 13, 14, 8, 5, 5, 8, 6, 5])];
            match kind {
                K::Message | K::Comment => {
                    let mut row = self.interaction_row(customer, at, kind, Direction::Inbound);
                    let channel = [
                        Channel::Facebook,
                        Channel::Zalo,
                        Channel::Instagram,
                        Channel::Tiktok,
                        Channel::Other,
                    ][self.rng.weighted(&[45, 30, 12, 8, 5])];
                    row.channel = channel;
                    row.fanpage_id = self.rng.chance(0.88).then(|| self.page_for(channel));
                    let fanpage_id = row.fanpage_id.clone();
                    sink.interaction(&row);
                    // Most inbound messages get a reply, by a person or by automation.
                    if self.rng.chance(0.72) {
                        let reply_at = at + 60 + self.rng.below(4 * 3600) as i64;
                        let mut reply =
                            self.interaction_row(customer, reply_at, kind, Direction::Outbound);
                        reply.channel = channel;
                        reply.fanpage_id = fanpage_id;
                        if self.rng.chance(0.4) {
                            reply.automated = true;
                        } else {
                            reply.staff_id = Some(format!("NV{:02}", 1 + self.rng.below(20)));
                            if self.bad() {
                                reply.staff_id = Some("NV_GONE".to_owned());
                            }
                        }
                        sink.interaction(&reply);
                    }
                }
                K::CampaignMessage => {
                    let mut row = self.interaction_row(customer, at, kind, Direction::Outbound);
                    let campaign = self.rng.below(CAMPAIGNS.len() as u64) as usize;
                    row.channel = CAMPAIGNS[campaign].1.unwrap_or(Channel::Zalo);
                    row.automated = true;
                    row.campaign_id = Some(format!("CD{:02}", campaign + 1));
                    if self.bad() {
                        row.campaign_id = Some("CD99".to_owned());
                    }
                    sink.interaction(&row);
                    if self.rng.chance(0.3) {
                        let mut click = self.interaction_row(
                            customer,
                            at + 600,
                            K::UrlClick,
                            Direction::Inbound,
                        );
                        click.channel = row.channel;
                        click.campaign_id = row.campaign_id.clone();
                        sink.interaction(&click);
                    }
                }
                _ => {
                    let mut row = self.interaction_row(customer, at, kind, Direction::Inbound);
                    row.channel = match kind {
                        K::UrlClick => {
                            *self.rng.pick(&[Channel::Web, Channel::Email, Channel::Sms])
                        }
                        K::MinigamePlay => {
                            *self
                                .rng
                                .pick(&[Channel::Zalo, Channel::Web, Channel::Facebook])
                        }
                        K::SurveyResponse => *self.rng.pick(&[Channel::Zalo, Channel::Web]),
                        K::Follow => *self.rng.pick(&[Channel::Zalo, Channel::Facebook]),
                        _ => Channel::Web,
                    };
                    match kind {
                        K::MinigamePlay => {
                            row.ref_id = self
                                .rng
                                .chance(0.9)
                                .then(|| format!("GAME{}", 1 + self.rng.below(5)))
                        }
                        K::SurveyResponse => {
                            row.ref_id = Some(format!("SURVEY{}", 1 + self.rng.below(3)))
                        }
                        K::Follow => row.fanpage_id = Some(self.page_for(row.channel)),
                        _ => {}
                    }
                    if row.fanpage_id.is_some() && self.bad() {
                        row.fanpage_id = Some("FP_GONE".to_owned());
                    }
                    sink.interaction(&row);
                }
            }
        }
    }

    fn page_for(&mut self, channel: Channel) -> String {
        match channel {
            Channel::Facebook => {
                if self.rng.chance(0.6) {
                    "FP1"
                } else {
                    "FP2"
                }
            }
            Channel::Zalo => "FP3",
            Channel::Instagram => "FP4",
            Channel::Tiktok => "FP5",
            _ => FANPAGES[self.rng.below(5) as usize].0,
        }
        .to_owned()
    }

    fn deal(&mut self, customer: Option<&str>, after: i64, sink: &mut impl SampleSink) {
        self.next_deal += 1;
        let rng = &mut self.rng;
        let span = (self.as_of + 3 * 86_400 - after.max(self.start)).max(86_400);
        let created = after.max(self.start) + rng.below(span as u64) as i64;
        let handed = rng
            .chance(0.7)
            .then(|| created + rng.below(5 * 86_400) as i64);
        let opportunity = handed
            .filter(|_| rng.chance(0.6))
            .map(|h| h + 86_400 + rng.below(9 * 86_400) as i64);
        let won = opportunity
            .filter(|_| rng.chance(0.4))
            .map(|o| o + 2 * 86_400 + rng.below(28 * 86_400) as i64);
        let revenue = won.map(|_| {
            if rng.chance(0.01) {
                Decimal::ZERO
            } else {
                Decimal::from(1_000_000 + rng.below(1_900) * 10_000)
            }
        });
        let mut deal = Deal {
            id: format!("DL{:08}", self.next_deal),
            customer_id: customer.map(str::to_owned),
            created_at: Self::at(created),
            source: DEAL_SOURCES[rng.weighted(DEAL_SOURCE_WEIGHTS)].to_owned(),
            product_type: Some(DEAL_TYPES[rng.weighted(DEAL_TYPE_WEIGHTS)].to_owned())
                .filter(|s| !s.is_empty()),
            handed_over_at: handed.map(Self::at),
            opportunity_at: opportunity.map(Self::at),
            won_at: won.map(Self::at),
            revenue,
        };
        if self.bad() {
            match self.rng.below(6) {
                0 => deal.id = format!("DL{:08}", self.rng.below(self.next_deal) + 1),
                1 => deal.customer_id = Some(format!("KHX{}", self.rng.below(1000))),
                2 => deal.revenue = Some(Decimal::from(-5)),
                3 => deal.handed_over_at = Some(Self::at(created - 86_400)),
                4 => {
                    deal.handed_over_at = None;
                    deal.opportunity_at = Some(Self::at(created + 86_400));
                }
                _ => deal.won_at = None,
            }
        }
        sink.deal(&deal);
    }

    fn costs(&mut self, sink: &mut impl SampleSink) {
        let first = Self::at(self.start + LOCAL_OFFSET).date_naive();
        let last = Self::at(self.as_of + LOCAL_OFFSET + 3 * 86_400).date_naive();
        let mut day: NaiveDate = first;
        while day <= last {
            for (s, source) in COST_SOURCES.iter().enumerate() {
                if self.rng.chance(COST_SOURCE_SKIP[s]) {
                    continue;
                }
                for product_type in DEAL_TYPES {
                    if self.rng.chance(0.4) {
                        continue;
                    }
                    let mut amount = self.amount(30_000, 600_000, 1_000);
                    if self.bad() {
                        amount = -amount;
                    }
                    sink.cost(&Cost {
                        date: day,
                        source: (*source).to_owned(),
                        product_type: Some((*product_type).to_owned()).filter(|s| !s.is_empty()),
                        amount,
                    });
                }
            }
            let Some(next) = day.succ_opt() else { break };
            day = next;
        }
    }
}

/// Writes generated rows as the nine CSV files of docs/input-format.md#files.
struct CsvSink {
    writers: Vec<(BufWriter<File>, std::path::PathBuf)>,
    rows: [u64; 9],
    error: Option<Error>,
    corrupt: f64,
    rng: Rng,
    buf: Vec<u8>,
}

/// Values that break the value grammar of docs/input-format.md#values, one per kind of column.
const CORRUPT_TIME: &[&str] = &[
    "2026-13-45T10:00:00+07:00",
    "2026-11-15 10:00",
    "yesterday",
    "2026-11-15T24:00:00Z",
];
const CORRUPT_NUMBER: &[&str] = &["1e5", "12,000", "NaN", "+5", ".5", "1_000"];

impl CsvSink {
    fn create(dir: &Path, corrupt: f64, seed: u64) -> Result<CsvSink> {
        let mut writers = Vec::with_capacity(9);
        for table in Table::ALL {
            let header = table.header();
            let path = dir.join(format!("{}.csv", table.name()));
            let file = File::create(&path).map_err(|source| Error::Write {
                path: path.clone(),
                source,
            })?;
            let mut w = BufWriter::with_capacity(1 << 20, file);
            if let Err(source) = writeln!(w, "{header}") {
                return Err(Error::Write { path, source });
            }
            writers.push((w, path));
        }
        Ok(CsvSink {
            writers,
            rows: [0; 9],
            error: None,
            corrupt,
            rng: Rng::new(seed),
            buf: Vec::with_capacity(1024),
        })
    }

    /// Writes one record; with the corrupt rate, replaces field `target` with `bad`.
    fn record(&mut self, table: Table, fields: &[&str], corruptible: &[(usize, &[&str])]) {
        self.buf.clear();
        let replace =
            if self.corrupt > 0.0 && !corruptible.is_empty() && self.rng.chance(self.corrupt / 2.0)
            {
                let (i, bad) = corruptible[self.rng.below(corruptible.len() as u64) as usize];
                Some((i, *self.rng.pick(bad)))
            } else {
                None
            };
        for (i, field) in fields.iter().enumerate() {
            if i > 0 {
                self.buf.push(b',');
            }
            let field = match replace {
                Some((j, bad)) if j == i => bad,
                _ => field,
            };
            if field
                .bytes()
                .any(|b| matches!(b, b',' | b'"' | b'\n' | b'\r'))
            {
                self.buf.push(b'"');
                for b in field.bytes() {
                    if b == b'"' {
                        self.buf.push(b'"');
                    }
                    self.buf.push(b);
                }
                self.buf.push(b'"');
            } else {
                self.buf.extend_from_slice(field.as_bytes());
            }
        }
        self.buf.push(b'\n');
        let t = table.index();
        self.rows[t] += 1;
        if self.error.is_none() {
            let (w, path) = &mut self.writers[t];
            if let Err(source) = w.write_all(&self.buf) {
                self.error = Some(Error::Write {
                    path: path.clone(),
                    source,
                });
            }
        }
    }

    fn finish(self) -> Result<CsvSummary> {
        if let Some(e) = self.error {
            return Err(e);
        }
        let mut summary = CsvSummary {
            rows: self.rows,
            bytes: [0; 9],
        };
        for (t, (w, path)) in self.writers.into_iter().enumerate() {
            let file = w.into_inner().map_err(|e| Error::Write {
                path: path.clone(),
                source: e.into_error(),
            })?;
            let meta = file.metadata().map_err(|source| Error::Io {
                path: path.clone(),
                source,
            })?;
            summary.bytes[t] = meta.len();
        }
        Ok(summary)
    }
}

fn rfc3339(at: &DateTime<Utc>) -> String {
    // Shops export local times with their offset.
    at.with_timezone(
        &chrono::FixedOffset::east_opt(LOCAL_OFFSET as i32).unwrap_or_else(|| Utc.fix()),
    )
    .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
}

use chrono::Offset;

fn opt(s: &Option<String>) -> &str {
    s.as_deref().unwrap_or("")
}

impl SampleSink for CsvSink {
    fn customer(&mut self, c: &Customer) {
        let created = rfc3339(&c.created_at);
        let birth = c.birth_date.map(|d| d.to_string()).unwrap_or_default();
        let fields = [
            c.id.as_str(),
            &created,
            c.source.name(),
            opt(&c.name),
            opt(&c.phone),
            opt(&c.email),
            c.gender.map_or("", |g| g.name()),
            &birth,
            opt(&c.zalo_id),
            opt(&c.facebook_id),
            opt(&c.notes),
        ];
        self.record(
            Table::Customers,
            &fields,
            &[
                (1, CORRUPT_TIME),
                (2, &["facebook", "Shopee"]),
                (6, &["M", "nam"]),
            ],
        );
    }

    fn order(&mut self, o: &Order) {
        let (created, total) = (rfc3339(&o.created_at), o.total.to_string());
        let cost = o.cost_of_goods.map(|c| c.to_string()).unwrap_or_default();
        let fields = [
            o.id.as_str(),
            &o.customer_id,
            &created,
            o.status.name(),
            &total,
            &cost,
            opt(&o.source),
            opt(&o.fanpage_id),
            opt(&o.staff_id),
            opt(&o.voucher_code),
        ];
        self.record(
            Table::Orders,
            &fields,
            &[
                (2, CORRUPT_TIME),
                (3, &["shipped", "Completed"]),
                (4, CORRUPT_NUMBER),
            ],
        );
    }

    fn order_line(&mut self, l: &OrderLine) {
        let (quantity, price) = (l.quantity.to_string(), l.unit_price.to_string());
        let fields = [
            l.order_id.as_str(),
            &l.product_id,
            opt(&l.product_name),
            opt(&l.product_type),
            &quantity,
            &price,
        ];
        self.record(
            Table::OrderLines,
            &fields,
            &[(4, &["1.5", "2.0", "+2", "x"]), (5, CORRUPT_NUMBER)],
        );
    }

    fn deal(&mut self, d: &Deal) {
        let time = |t: &Option<DateTime<Utc>>| t.as_ref().map(rfc3339).unwrap_or_default();
        let (created, handed, opportunity, won) = (
            rfc3339(&d.created_at),
            time(&d.handed_over_at),
            time(&d.opportunity_at),
            time(&d.won_at),
        );
        let revenue = d.revenue.map(|r| r.to_string()).unwrap_or_default();
        let fields = [
            d.id.as_str(),
            opt(&d.customer_id),
            &created,
            &d.source,
            opt(&d.product_type),
            &handed,
            &opportunity,
            &won,
            &revenue,
        ];
        self.record(Table::Deals, &fields, &[(2, CORRUPT_TIME)]);
    }

    fn cost(&mut self, c: &Cost) {
        let (date, amount) = (c.date.to_string(), c.amount.to_string());
        let fields = [date.as_str(), &c.source, opt(&c.product_type), &amount];
        self.record(
            Table::Costs,
            &fields,
            &[(0, &["2026-02-30", "15/11/2026"]), (3, CORRUPT_NUMBER)],
        );
    }

    fn interaction(&mut self, i: &Interaction) {
        let at = rfc3339(&i.at);
        let automated = if i.automated { "true" } else { "" };
        let fields = [
            i.id.as_str(),
            &i.customer_id,
            &at,
            i.channel.name(),
            i.kind.name(),
            i.direction.name(),
            opt(&i.fanpage_id),
            opt(&i.staff_id),
            automated,
            opt(&i.campaign_id),
            opt(&i.ref_id),
        ];
        self.record(
            Table::Interactions,
            &fields,
            &[
                (2, CORRUPT_TIME),
                (3, &["myspace"]),
                (4, &["like"]),
                (5, &["in"]),
                (8, &["yes"]),
            ],
        );
    }

    fn campaign(&mut self, c: &Campaign) {
        let fields = [c.id.as_str(), &c.name, c.channel.map_or("", |ch| ch.name())];
        self.record(Table::Campaigns, &fields, &[]);
    }

    fn staff(&mut self, s: &Staff) {
        self.record(Table::Staff, &[s.id.as_str(), &s.name], &[]);
    }

    fn fanpage(&mut self, f: &Fanpage) {
        let linked = f.linked_accounts.to_string();
        let fields = [
            f.id.as_str(),
            &f.name,
            f.channel.map_or("", |c| c.name()),
            if f.activated { "true" } else { "false" },
            &linked,
        ];
        self.record(Table::Fanpages, &fields, &[]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rng_is_deterministic_and_in_range() {
        let mut a = Rng::new(42);
        let mut b = Rng::new(42);
        for _ in 0..1000 {
            assert_eq!(a.next_u64(), b.next_u64());
            let x = a.below(7);
            assert!(x < 7);
            b.below(7);
            let f = a.f64();
            assert!((0.0..1.0).contains(&f));
            b.f64();
        }
        assert_eq!(Rng::new(1).weighted(&[0, 5, 0]), 1);
    }
}
