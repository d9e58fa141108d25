//! Arbitrary model structs pushed into a `DatasetBuilder`, then a report with arbitrary
//! options. Ids come from a small pool so that rows refer to each other (and collide);
//! instants and amounts are mostly near the report's `as_of` and ordinary, sometimes at
//! the ends of chrono's and `Decimal`'s ranges. Building never panics, keeps
//! `read = accepted + rejected`, and the report either computes or returns an error a
//! caller can act on (`Overflow`, `UnknownCustomer`, `DateOutOfRange`, `InvalidSpendLevels`).
#![no_main]

use arbitrary::Arbitrary;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use crm_metrics::calendar::{Period, Preset};
use crm_metrics::model::{
    Campaign, Channel, Cost, Customer, Deal, Direction, Fanpage, Gender, Interaction,
    InteractionKind, Order, OrderLine, OrderStatus, Source, Staff,
};
use crm_metrics::{DatasetBuilder, Error, ReportOptions};
use libfuzzer_sys::fuzz_target;
use rust_decimal::Decimal;

#[path = "common.rs"]
mod common;

/// An id from a pool of eight, or the empty string (a missing required id).
#[derive(Arbitrary, Debug, Clone, Copy)]
struct Id(u8);

impl Id {
    fn text(self, prefix: &str) -> String {
        if self.0 == 255 {
            String::new()
        } else {
            format!("{prefix}{}", self.0 % 8)
        }
    }
    fn opt(self, prefix: &str) -> Option<String> {
        (self.0 % 3 != 0).then(|| self.text(prefix))
    }
}

const AS_OF: i64 = 1_794_711_600; // 2026-11-15T03:00:00Z

/// An instant: mostly within a year and a half of `AS_OF`, sometimes anywhere chrono allows.
#[derive(Arbitrary, Debug, Clone, Copy)]
struct When {
    kind: u8,
    secs: i64,
    nanos: u32,
}

impl When {
    fn at(self) -> DateTime<Utc> {
        let nanos = self.nanos % 1_000_000_000;
        match self.kind % 8 {
            0 => DateTime::from_timestamp(self.secs, nanos).unwrap_or(if self.secs < 0 {
                DateTime::<Utc>::MIN_UTC
            } else {
                DateTime::<Utc>::MAX_UTC
            }),
            1 => DateTime::<Utc>::MIN_UTC,
            2 => DateTime::<Utc>::MAX_UTC,
            _ => {
                let span = 550 * 86_400;
                DateTime::from_timestamp(AS_OF + self.secs.rem_euclid(2 * span) - span, nanos)
                    .unwrap()
            }
        }
    }
    fn date(self) -> NaiveDate {
        self.at().date_naive()
    }
}

/// An amount: mostly small, sometimes huge or with 28 decimals, sometimes negative.
#[derive(Arbitrary, Debug, Clone, Copy)]
struct Money {
    kind: u8,
    mantissa: i128,
    scale: u8,
}

impl Money {
    fn value(self) -> Decimal {
        match self.kind % 8 {
            0 => Decimal::try_from_i128_with_scale(
                self.mantissa % (1i128 << 96),
                u32::from(self.scale % 29),
            )
            .unwrap_or(Decimal::MAX),
            1 => Decimal::MAX,
            2 => Decimal::MIN,
            _ => Decimal::new(
                (self.mantissa % 10_000_000) as i64,
                u32::from(self.scale % 3),
            ),
        }
    }
}

fn pick<T: Copy>(all: &[T], n: u8) -> T {
    all[usize::from(n) % all.len()]
}

#[derive(Arbitrary, Debug)]
struct C {
    id: Id,
    created: When,
    source: u8,
    gender: Option<u8>,
    birth: Option<When>,
    contacts: u8,
}

#[derive(Arbitrary, Debug)]
struct O {
    id: Id,
    customer: Id,
    created: When,
    status: u8,
    total: Money,
    cost: Option<Money>,
    fanpage: Id,
    staff: Id,
    voucher: bool,
}

#[derive(Arbitrary, Debug)]
struct L {
    order: Id,
    product: Id,
    quantity: i64,
    small_quantity: bool,
    price: Money,
}

#[derive(Arbitrary, Debug)]
struct D {
    id: Id,
    customer: Id,
    created: When,
    source: Id,
    product_type: Id,
    stages: [Option<When>; 3],
    revenue: Option<Money>,
}

#[derive(Arbitrary, Debug)]
struct K {
    date: When,
    source: Id,
    product_type: Id,
    amount: Money,
}

#[derive(Arbitrary, Debug)]
struct I {
    id: Id,
    customer: Id,
    at: When,
    channel: u8,
    kind: u8,
    outbound: bool,
    fanpage: Id,
    staff: Id,
    automated: bool,
    campaign: Id,
    reference: Id,
}

#[derive(Arbitrary, Debug)]
struct Input {
    customers: Vec<C>,
    orders: Vec<O>,
    lines: Vec<L>,
    deals: Vec<D>,
    costs: Vec<K>,
    interactions: Vec<I>,
    campaigns: Vec<(Id, Option<u8>)>,
    staff: Vec<Id>,
    fanpages: Vec<(Id, Option<u8>, bool, u64)>,
    as_of: When,
    zone: u8,
    preset: u8,
    custom: Option<(When, u16)>,
    sources: Vec<Id>,
    product_types: Vec<Id>,
    fanpage_filter: Vec<Id>,
    customer: Option<Id>,
}

const ZONES: [&str; 8] = [
    "+07:00",
    "Europe/Berlin",
    "-03:00",
    "America/New_York",
    "+14:00",
    "-12:00",
    "Australia/Lord_Howe",
    "+00:00",
];

fuzz_target!(|input: Input| {
    let mut builder = DatasetBuilder::new();
    for c in &input.customers {
        let contact = |bit: u8| (c.contacts & bit != 0).then(|| format!("c{bit}"));
        builder.push_customer(&Customer {
            id: c.id.text("KH"),
            created_at: c.created.at(),
            source: pick(Source::ALL, c.source),
            name: contact(1),
            phone: contact(2),
            email: contact(4),
            gender: c.gender.map(|g| pick(Gender::ALL, g)),
            birth_date: c.birth.map(When::date),
            zalo_id: contact(8),
            facebook_id: contact(16),
            notes: (c.contacts & 32 != 0).then(String::new),
        });
    }
    for o in &input.orders {
        builder.push_order(&Order {
            id: o.id.text("DH"),
            customer_id: o.customer.text("KH"),
            created_at: o.created.at(),
            status: pick(OrderStatus::ALL, o.status),
            total: o.total.value(),
            cost_of_goods: o.cost.map(Money::value),
            source: None,
            fanpage_id: o.fanpage.opt("FP"),
            staff_id: o.staff.opt("NV"),
            voucher_code: o.voucher.then(|| "V".to_owned()),
        });
    }
    for l in &input.lines {
        builder.push_order_line(&OrderLine {
            order_id: l.order.text("DH"),
            product_id: l.product.text("SP"),
            product_name: None,
            product_type: None,
            quantity: if l.small_quantity {
                l.quantity % 5
            } else {
                l.quantity
            },
            unit_price: l.price.value(),
        });
    }
    for d in &input.deals {
        let [handed_over, opportunity, won] = d.stages.map(|s| s.map(When::at));
        builder.push_deal(&Deal {
            id: d.id.text("D"),
            customer_id: d.customer.opt("KH"),
            created_at: d.created.at(),
            source: d.source.text("src"),
            product_type: d.product_type.opt("type"),
            handed_over_at: handed_over,
            opportunity_at: opportunity,
            won_at: won,
            revenue: d.revenue.map(Money::value),
        });
    }
    for k in &input.costs {
        builder.push_cost(&Cost {
            date: k.date.date(),
            source: k.source.text("src"),
            product_type: k.product_type.opt("type"),
            amount: k.amount.value(),
        });
    }
    for i in &input.interactions {
        builder.push_interaction(&Interaction {
            id: i.id.text("T"),
            customer_id: i.customer.text("KH"),
            at: i.at.at(),
            channel: pick(Channel::ALL, i.channel),
            kind: pick(InteractionKind::ALL, i.kind),
            direction: if i.outbound {
                Direction::Outbound
            } else {
                Direction::Inbound
            },
            fanpage_id: i.fanpage.opt("FP"),
            staff_id: i.staff.opt("NV"),
            automated: i.automated,
            campaign_id: i.campaign.opt("CD"),
            ref_id: i.reference.opt("G"),
        });
    }
    for (id, channel) in &input.campaigns {
        builder.push_campaign(&Campaign {
            id: id.text("CD"),
            name: "campaign".into(),
            channel: channel.map(|c| pick(Channel::ALL, c)),
        });
    }
    for id in &input.staff {
        builder.push_staff(&Staff {
            id: id.text("NV"),
            name: "staff".into(),
        });
    }
    for (id, channel, activated, linked) in &input.fanpages {
        builder.push_fanpage(&Fanpage {
            id: id.text("FP"),
            name: "page".into(),
            channel: channel.map(|c| pick(Channel::ALL, c)),
            activated: *activated,
            linked_accounts: *linked,
        });
    }

    let strict = builder.clone().strict(true).build();
    let dataset = builder
        .build()
        .expect("a lenient build never fails on rows");
    common::check_quality(&dataset);
    match (strict, dataset.quality().rejections().first()) {
        (Ok(_), None) => {}
        (Err(Error::Rejected(r)), Some(first)) => assert_eq!(&*r, first),
        (other, first) => panic!("strict {other:?} but first rejection {first:?}"),
    }

    let as_of = match input.as_of.kind % 4 {
        0 => input.as_of.at(),
        _ => {
            DateTime::from_timestamp(AS_OF, 0).unwrap()
                + Duration::seconds(input.as_of.secs % 86_400)
        }
    };
    let mut options = ReportOptions::new(as_of)
        .time_zone(common::calendar(pick(&ZONES, input.zone)))
        .sources(input.sources.iter().map(|s| s.text("src")))
        .product_types(input.product_types.iter().map(|s| s.text("type")))
        .fanpages(input.fanpage_filter.iter().map(|s| s.text("FP")));
    options = match input.custom {
        // Custom periods up to about two years (a daily list has a row per day).
        Some((start, days)) => {
            let from = start.date();
            let Some(to) = from.checked_add_signed(Duration::days(i64::from(days % 800))) else {
                return;
            };
            match Period::new(from, to) {
                Ok(period) => options.period(period),
                Err(_) => return,
            }
        }
        None => options.period(pick(&Preset::ALL, input.preset)),
    };
    if let Some(id) = input.customer {
        options = options.customer(id.text("KH"));
    }
    common::check_report(&dataset, &options);
});
