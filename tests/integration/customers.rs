//! Tests of the `customers` section (SPEC §3): the fixture, properties on generated
//! datasets, a naive reference implementation, and shard merging.
//!
//! The support code at the top (collecting generated rows, building variants of them,
//! random report options, a naive per-customer purchase list) is shared with
//! `customer_picture.rs`.

use std::collections::HashMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use crm_metrics::calendar::{Preset, sub_months};
use crm_metrics::customers::{self, DORMANT_MONTHS, Partial};
use crm_metrics::fold::{Fold, fold_shard};
use crm_metrics::model::{
    Campaign, Channel, Cost, Customer, Deal, Direction, Fanpage, Interaction, InteractionKind,
    Order, OrderLine, OrderStatus, Source, Staff,
};
use crm_metrics::sample::{SampleOptions, SampleSink};
use crm_metrics::{Context, CustomerIdx, Dataset, DatasetBuilder, ReportOptions};
use proptest::prelude::*;
use rust_decimal::Decimal;

use crate::fixtures::assert_sections;

// ---------------------------------------------------------------------------------------
// Shared support
// ---------------------------------------------------------------------------------------

/// Every generated row, as model structs.
#[derive(Clone, Default)]
pub struct Rows {
    pub customers: Vec<Customer>,
    pub orders: Vec<Order>,
    pub lines: Vec<OrderLine>,
    pub deals: Vec<Deal>,
    pub costs: Vec<Cost>,
    pub interactions: Vec<Interaction>,
    pub campaigns: Vec<Campaign>,
    pub staff: Vec<Staff>,
    pub fanpages: Vec<Fanpage>,
}

impl SampleSink for Rows {
    fn customer(&mut self, row: &Customer) {
        self.customers.push(row.clone());
    }
    fn order(&mut self, row: &Order) {
        self.orders.push(row.clone());
    }
    fn order_line(&mut self, row: &OrderLine) {
        self.lines.push(row.clone());
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

impl Rows {
    /// The rows of a generated sample (as_of 2026-11-15T03:00Z, two years of history).
    pub fn sample(customers: usize, seed: u64) -> Rows {
        let mut rows = Rows::default();
        SampleOptions::new(customers).seed(seed).generate(&mut rows);
        rows
    }

    pub fn build(&self) -> Dataset {
        let mut b = DatasetBuilder::new();
        self.customers.iter().for_each(|r| b.push_customer(r));
        self.orders.iter().for_each(|r| b.push_order(r));
        self.lines.iter().for_each(|r| b.push_order_line(r));
        self.deals.iter().for_each(|r| b.push_deal(r));
        self.costs.iter().for_each(|r| b.push_cost(r));
        self.interactions.iter().for_each(|r| b.push_interaction(r));
        self.campaigns.iter().for_each(|r| b.push_campaign(r));
        self.staff.iter().for_each(|r| b.push_staff(r));
        self.fanpages.iter().for_each(|r| b.push_fanpage(r));
        b.build().unwrap()
    }

    /// Without anything that happens after `as_of`: customers created later (and all
    /// their rows), orders (and their lines) and interactions dated later.
    pub fn without_future(&self, as_of: DateTime<Utc>) -> Rows {
        let mut rows = self.clone();
        rows.customers.retain(|c| c.created_at <= as_of);
        let existing: std::collections::HashSet<String> =
            rows.customers.iter().map(|c| c.id.clone()).collect();
        rows.orders
            .retain(|o| o.created_at <= as_of && existing.contains(&o.customer_id));
        let orders: std::collections::HashSet<String> =
            rows.orders.iter().map(|o| o.id.clone()).collect();
        rows.lines.retain(|l| orders.contains(&l.order_id));
        rows.interactions
            .retain(|i| i.at <= as_of && existing.contains(&i.customer_id));
        rows
    }

    /// With more events after `as_of`: for every customer a completed voucher purchase
    /// and an inbound Zalo message a nanosecond and more after `as_of`; and customers
    /// created after `as_of` with purchases and messages dated before it.
    pub fn with_more_future(&self, as_of: DateTime<Utc>) -> Rows {
        let mut rows = self.clone();
        let after = |k: usize| as_of + Duration::nanoseconds(1) + Duration::minutes(k as i64);
        for (k, customer) in self.customers.iter().enumerate() {
            rows.orders.push(order(
                &format!("FUT-O{k}"),
                &customer.id,
                after(k),
                "1234.5",
            ));
            rows.interactions
                .push(zalo(&format!("FUT-I{k}"), &customer.id, after(k)));
        }
        for k in 0..5 {
            let id = format!("FUT-C{k}");
            rows.customers.push(Customer {
                id: id.clone(),
                created_at: after(k),
                source: Source::ALL[k % Source::ALL.len()],
                name: None,
                phone: Some("0900".into()),
                email: Some("x@y".into()),
                gender: None,
                birth_date: None,
                zalo_id: Some("z".into()),
                facebook_id: None,
                notes: None,
            });
            let before = as_of - Duration::days(3 + k as i64);
            rows.orders
                .push(order(&format!("FUT-P{k}"), &id, before, "99"));
            rows.interactions
                .push(zalo(&format!("FUT-Z{k}"), &id, before));
        }
        rows
    }
}

fn order(id: &str, customer: &str, at: DateTime<Utc>, total: &str) -> Order {
    Order {
        id: id.into(),
        customer_id: customer.into(),
        created_at: at,
        status: OrderStatus::Completed,
        total: total.parse().unwrap(),
        cost_of_goods: None,
        source: None,
        fanpage_id: None,
        staff_id: None,
        voucher_code: Some("V".into()),
    }
}

fn zalo(id: &str, customer: &str, at: DateTime<Utc>) -> Interaction {
    Interaction {
        id: id.into(),
        customer_id: customer.into(),
        at,
        channel: Channel::Zalo,
        kind: InteractionKind::Message,
        direction: Direction::Inbound,
        fanpage_id: None,
        staff_id: None,
        automated: false,
        campaign_id: None,
        ref_id: None,
    }
}

/// The generator's as_of.
pub fn sample_as_of() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-15T03:00:00Z")
        .unwrap()
        .to_utc()
}

/// Report options: `back` seconds before the sample's as_of, in one of three zones,
/// with one of the presets.
pub fn options(back: i64, zone: usize, preset: usize) -> ReportOptions {
    let zones = ["+07:00", "Europe/Berlin", "-03:30"];
    let presets = [
        Preset::ThisMonth,
        Preset::LastMonth,
        Preset::Last7Days,
        Preset::Last90Days,
        Preset::ThisYear,
        Preset::Today,
    ];
    ReportOptions::new(sample_as_of() - Duration::seconds(back))
        .time_zone(zones[zone % zones.len()])
        .period(presets[preset % presets.len()])
}

/// The customers that exist at the report's as_of.
pub fn existing(dataset: &Dataset, context: &Context) -> Vec<CustomerIdx> {
    let n = dataset.customers_at(context.as_of).len();
    dataset.customer_indices().take(n).collect()
}

/// Splits `customers` into `k` shards by `choices` (one number per customer).
pub fn shards(customers: &[CustomerIdx], k: usize, choices: &[usize]) -> Vec<Vec<CustomerIdx>> {
    let mut shards = vec![Vec::new(); k];
    for (i, customer) in customers.iter().enumerate() {
        let shard = choices.get(i).copied().unwrap_or(i) % k;
        shards[shard].push(*customer);
    }
    shards
}

/// One existing customer as a naive implementation sees it.
pub struct NaiveCustomer {
    pub customer: Customer,
    /// Purchases (completed, `created_at <= as_of`), sorted by (created_at, id).
    pub purchases: Vec<Order>,
}

impl NaiveCustomer {
    pub fn days(&self, context: &Context) -> Vec<NaiveDate> {
        self.purchases
            .iter()
            .map(|o| context.calendar.local_date(o.created_at))
            .collect()
    }

    pub fn spend(&self) -> Decimal {
        self.purchases.iter().map(|o| o.total).sum()
    }

    /// Gaps in days between consecutive purchases.
    pub fn gaps(&self, context: &Context) -> Vec<i64> {
        self.days(context)
            .windows(2)
            .map(|pair| (pair[1] - pair[0]).num_days())
            .collect()
    }
}

/// The existing customers of `rows` with their purchases, straight from the rows (which
/// must all be valid).
pub fn naive(rows: &Rows, context: &Context) -> Vec<NaiveCustomer> {
    let mut by_id: HashMap<&str, Vec<Order>> = HashMap::new();
    for o in &rows.orders {
        if o.status == OrderStatus::Completed && o.created_at <= context.as_of {
            by_id.entry(&o.customer_id).or_default().push(o.clone());
        }
    }
    rows.customers
        .iter()
        .filter(|c| c.created_at <= context.as_of)
        .map(|c| {
            let mut purchases = by_id.remove(c.id.as_str()).unwrap_or_default();
            purchases.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
            NaiveCustomer {
                customer: c.clone(),
                purchases,
            }
        })
        .collect()
}

/// Whether an instant is in the period (local date in it) and not after as_of.
pub fn in_period(context: &Context, at: DateTime<Utc>) -> bool {
    at <= context.as_of && context.period.contains(context.calendar.local_date(at))
}

fn in_previous(context: &Context, at: DateTime<Utc>) -> bool {
    at <= context.as_of && context.previous.contains(context.calendar.local_date(at))
}

// ---------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------

#[test]
fn customers_match_every_fixture_case() {
    assert_sections(&["customers"]);
}

/// Fold with random shards, merged in reverse order.
fn merged(
    dataset: &Dataset,
    context: &Context,
    k: usize,
    choices: &[usize],
) -> customers::CustomersSection {
    let mut partials: Vec<Partial> = shards(&existing(dataset, context), k, choices)
        .into_iter()
        .map(|shard| {
            let mut partial = Partial::with_context(context);
            fold_shard(&mut partial, dataset, shard);
            partial
        })
        .collect();
    let mut whole = partials.pop().unwrap();
    while let Some(partial) = partials.pop() {
        whole.merge(partial).unwrap();
    }
    whole.finish().unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(40))]

    #[test]
    fn sums_of_parts_equal_totals(
        customers in 50usize..300, seed in any::<u64>(),
        back in 0i64..90 * 86_400, zone in 0usize..3, preset in 0usize..6,
    ) {
        let dataset = SampleOptions::new(customers).seed(seed).dataset().unwrap();
        let context = options(back, zone, preset).resolve().unwrap();
        let s = customers::section(&dataset, &context).unwrap();
        let by_source = |f: fn(&crm_metrics::money::Comparison<u64>) -> u64| -> u64 {
            s.new_customers_by_source.iter().map(|(_, c)| f(c)).sum()
        };
        prop_assert_eq!(by_source(|c| c.current), s.new_customers.current);
        prop_assert_eq!(by_source(|c| c.previous), s.new_customers.previous);
        let daily: u64 = s.new_customers_daily.iter().map(|d| d.total).sum();
        prop_assert_eq!(daily, s.new_customers.current);
        for day in &s.new_customers_daily {
            prop_assert_eq!(day.by_source.non_zero().map(|(_, n)| n).sum::<u64>(), day.total);
        }
        prop_assert_eq!(s.new_customers_daily.len() as u32, context.period.days());
        let groups = s.new_customers_by_group;
        prop_assert!(groups.synced.current + groups.imported.current <= s.new_customers.current);
        prop_assert!(s.webpush_form_customers.current <= s.new_customers.current);
        let contacts = s.webpush_form_contacts;
        prop_assert!(contacts.with_both <= contacts.with_phone.min(contacts.with_email));
        prop_assert!(contacts.with_phone <= s.webpush_form_customers.current);
        prop_assert!(s.zalo_oa_customers.current <= s.total_customers);
        let d = s.dormant_customers;
        prop_assert!(d.months_1 + d.never_ordered <= s.total_customers);
        prop_assert_eq!(s.total_customers, customers::total_customers(&dataset, &context));
    }

    #[test]
    fn dormant_counts_never_increase_with_months(
        customers in 50usize..300, seed in any::<u64>(),
        back in 0i64..400 * 86_400, zone in 0usize..3,
    ) {
        let dataset = SampleOptions::new(customers).seed(seed).dataset().unwrap();
        let context = options(back, zone, 0).resolve().unwrap();
        let months: Vec<u32> = (0..=12).collect();
        let counts = customers::dormant_customers(&dataset, &context, &months);
        prop_assert!(counts.windows(2).all(|pair| pair[0] >= pair[1]), "{:?}", counts);
        let s = customers::section(&dataset, &context).unwrap();
        let d = s.dormant_customers;
        prop_assert_eq!(vec![d.months_1, d.months_3, d.months_6, d.months_12],
            vec![counts[1], counts[3], counts[6], counts[12]]);
    }

    #[test]
    fn events_after_as_of_change_nothing(
        customers in 50usize..200, seed in any::<u64>(),
        back in 0i64..60 * 86_400, zone in 0usize..3, preset in 0usize..6,
    ) {
        let rows = Rows::sample(customers, seed);
        let options = options(back, zone, preset);
        let context = options.resolve().unwrap();
        let past = rows.without_future(options.as_of).build();
        let future = rows.with_more_future(options.as_of).build();
        prop_assert_eq!(
            customers::section(&past, &context).unwrap(),
            customers::section(&future, &context).unwrap()
        );
    }

    #[test]
    fn any_shards_merge_into_the_whole(
        customers in 50usize..300, seed in any::<u64>(),
        back in 0i64..60 * 86_400, zone in 0usize..3, preset in 0usize..6,
        k in 1usize..8, choices in proptest::collection::vec(any::<usize>(), 300),
    ) {
        let dataset = SampleOptions::new(customers).seed(seed).dataset().unwrap();
        let context = options(back, zone, preset).resolve().unwrap();
        prop_assert_eq!(
            merged(&dataset, &context, k, &choices),
            customers::section(&dataset, &context).unwrap()
        );
    }

    #[test]
    fn equals_a_naive_implementation(
        customers in 50usize..250, seed in any::<u64>(),
        back in 0i64..60 * 86_400, zone in 0usize..3, preset in 0usize..6,
    ) {
        let rows = Rows::sample(customers, seed);
        let dataset = rows.build();
        prop_assert!(dataset.quality().rejections().is_empty());
        let context = options(back, zone, preset).resolve().unwrap();
        let s = customers::section(&dataset, &context).unwrap();
        let all = naive(&rows, &context);

        let buyers: Vec<&NaiveCustomer> = all.iter().filter(|c| !c.purchases.is_empty()).collect();
        let spend: Decimal = buyers.iter().map(|c| c.spend()).sum();
        let average = (!buyers.is_empty()).then(|| spend / Decimal::from(buyers.len() as u64));
        prop_assert_eq!(s.total_customers, all.len() as u64);
        prop_assert_eq!(s.avg_spend_per_customer, average);

        for (i, months) in DORMANT_MONTHS.iter().enumerate() {
            let cutoff = sub_months(context.today, *months).unwrap();
            let dormant = buyers
                .iter()
                .filter(|c| *c.days(&context).last().unwrap() < cutoff)
                .count() as u64;
            let counts = customers::dormant_customers(&dataset, &context, &DORMANT_MONTHS);
            prop_assert_eq!(counts[i], dormant, "{} months", months);
        }
        prop_assert_eq!(s.dormant_customers.never_ordered, (all.len() - buyers.len()) as u64);

        for source in Source::ALL {
            let current = all.iter().filter(|c| c.customer.source == *source
                && in_period(&context, c.customer.created_at)).count() as u64;
            let previous = all.iter().filter(|c| c.customer.source == *source
                && in_previous(&context, c.customer.created_at)).count() as u64;
            let got = s.new_customers_by_source.get(*source);
            prop_assert_eq!((got.current, got.previous), (current, previous), "{}", source);
        }

        let existing: std::collections::HashSet<&str> =
            all.iter().map(|c| c.customer.id.as_str()).collect();
        let zalo = |pick: &dyn Fn(DateTime<Utc>) -> bool| -> u64 {
            let ids: std::collections::HashSet<&str> = rows
                .interactions
                .iter()
                .filter(|i| i.channel == Channel::Zalo && i.direction == Direction::Inbound)
                .filter(|i| existing.contains(i.customer_id.as_str()) && pick(i.at))
                .map(|i| i.customer_id.as_str())
                .collect();
            ids.len() as u64
        };
        prop_assert_eq!(s.zalo_oa_customers.current, zalo(&|at| in_period(&context, at)));
        prop_assert_eq!(s.zalo_oa_customers.previous, zalo(&|at| in_previous(&context, at)));

        for (day, date) in s.new_customers_daily.iter().zip(context.period.dates()) {
            prop_assert_eq!(day.date, date);
            let created = all.iter().filter(|c| c.customer.created_at <= context.as_of
                && context.calendar.local_date(c.customer.created_at) == date).count() as u64;
            prop_assert_eq!(day.total, created, "{}", date);
        }
    }
}

#[test]
fn bad_rows_do_not_break_the_section() {
    // With invalid rows mixed in, the section still adds up.
    let dataset = SampleOptions::new(400)
        .seed(11)
        .bad_rate(0.05)
        .dataset()
        .unwrap();
    assert!(!dataset.quality().rejections().is_empty());
    let context = options(0, 0, 0).resolve().unwrap();
    let s = customers::section(&dataset, &context).unwrap();
    assert_eq!(s.total_customers, existing(&dataset, &context).len() as u64);
    assert_eq!(merged(&dataset, &context, 3, &[0, 2, 1, 1, 2]), s);
}
