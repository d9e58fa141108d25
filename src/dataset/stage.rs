//! Staged rows: what the builder holds before validation.
//!
//! A staged row has parsed values and keeps its strings in its table's [`Arena`], so
//! staging a million rows allocates a handful of growing buffers, not a million strings.
//! Rows come from the public model structs ([`DatasetBuilder`](super::DatasetBuilder)'s
//! `push_*`) or from CSV records (`io::csv`); both paths produce the same staged rows,
//! and validation (`validate.rs`) never knows which.

use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::calendar::Ts;
use crate::error::{Reason, Rejection, Table};
use crate::model::{
    Campaign, Channel, Cost, Customer, Deal, Direction, Fanpage, Gender, Interaction,
    InteractionKind, Order, OrderLine, OrderStatus, Source, Staff,
};

/// A string in an [`Arena`]; an empty span is an absent value (SPEC §2: empty = absent).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Span {
    start: usize,
    end: usize,
}

impl Span {
    pub(crate) fn is_empty(self) -> bool {
        self.start == self.end
    }
}

/// The text of one table's staged rows, in one `String`.
#[derive(Clone, Debug, Default)]
pub(crate) struct Arena {
    text: String,
}

impl Arena {
    pub(crate) fn push(&mut self, s: &str) -> Span {
        let start = self.text.len();
        self.text.push_str(s);
        Span {
            start,
            end: self.text.len(),
        }
    }

    pub(crate) fn push_opt(&mut self, s: Option<&str>) -> Span {
        s.map_or(Span::default(), |s| self.push(s))
    }

    pub(crate) fn get(&self, span: Span) -> &str {
        self.text.get(span.start..span.end).unwrap_or("")
    }

    pub(crate) fn opt(&self, span: Span) -> Option<&str> {
        (!span.is_empty()).then(|| self.get(span))
    }

    pub(crate) fn heap_bytes(&self) -> usize {
        self.text.capacity()
    }
}

/// A value that failed SPEC §9.9's grammar, or a missing required value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct FieldError {
    pub(crate) column: &'static str,
    pub(crate) problem: &'static str,
    pub(crate) value: String,
}

impl FieldError {
    #[cold]
    #[inline(never)]
    pub(crate) fn new(column: &'static str, problem: &'static str, value: &[u8]) -> FieldError {
        // Show at most 60 characters of the offending value.
        let text = String::from_utf8_lossy(value);
        let mut value: String = text.chars().take(60).collect();
        if text.chars().nth(60).is_some() {
            value.push('…');
        }
        FieldError {
            column,
            problem,
            value,
        }
    }

    #[cold]
    pub(crate) fn missing(column: &'static str) -> FieldError {
        FieldError {
            column,
            problem: "missing required value",
            value: String::new(),
        }
    }

    #[cold]
    pub(crate) fn into_rejection(self, table: Table, line: u64, id: Option<String>) -> Rejection {
        let detail = if self.value.is_empty() {
            self.problem.to_owned()
        } else {
            format!("{}: {:?}", self.problem, self.value)
        };
        Rejection {
            table,
            line,
            id,
            column: Some(self.column),
            reason: Reason::ParseError,
            detail,
        }
    }
}

/// One table's staged rows, with the parse errors met while staging.
#[derive(Clone, Debug)]
pub(crate) struct TableStage<R> {
    pub(crate) rows: Vec<R>,
    pub(crate) arena: Arena,
    /// Rows read: staged rows plus parse errors (SPEC §2 `read`).
    pub(crate) read: u64,
    pub(crate) rejections: Vec<Rejection>,
}

impl<R> Default for TableStage<R> {
    fn default() -> TableStage<R> {
        TableStage {
            rows: Vec::new(),
            arena: Arena::default(),
            read: 0,
            rejections: Vec::new(),
        }
    }
}

impl<R> TableStage<R> {
    /// The line number of the next pushed struct row (1-based position in its table).
    pub(crate) fn next_line(&self) -> u64 {
        self.read + 1
    }
}

#[derive(Clone, Debug)]
pub(crate) struct StagedCustomer {
    pub(crate) line: u64,
    pub(crate) id: Span,
    pub(crate) created_at: Ts,
    pub(crate) source: Source,
    pub(crate) gender: Option<Gender>,
    pub(crate) birth_date: Option<NaiveDate>,
    /// name, phone, email, zalo_id, facebook_id, notes.
    pub(crate) text: [Span; 6],
}

#[derive(Clone, Debug)]
pub(crate) struct StagedOrder {
    pub(crate) line: u64,
    pub(crate) id: Span,
    pub(crate) customer_id: Span,
    pub(crate) created_at: Ts,
    pub(crate) status: OrderStatus,
    pub(crate) total: Decimal,
    pub(crate) cost_of_goods: Option<Decimal>,
    pub(crate) fanpage_id: Span,
    pub(crate) staff_id: Span,
    pub(crate) voucher_code: Span,
}

#[derive(Clone, Debug)]
pub(crate) struct StagedLine {
    pub(crate) line: u64,
    pub(crate) order_id: Span,
    pub(crate) product_id: Span,
    pub(crate) quantity: i64,
    pub(crate) unit_price: Decimal,
}

#[derive(Clone, Debug)]
pub(crate) struct StagedDeal {
    pub(crate) line: u64,
    pub(crate) id: Span,
    pub(crate) customer_id: Span,
    pub(crate) created_at: Ts,
    pub(crate) source: Span,
    pub(crate) product_type: Span,
    pub(crate) handed_over_at: Option<Ts>,
    pub(crate) opportunity_at: Option<Ts>,
    pub(crate) won_at: Option<Ts>,
    pub(crate) revenue: Option<Decimal>,
}

#[derive(Clone, Debug)]
pub(crate) struct StagedCost {
    pub(crate) line: u64,
    pub(crate) date: NaiveDate,
    pub(crate) source: Span,
    pub(crate) product_type: Span,
    pub(crate) amount: Decimal,
}

#[derive(Clone, Debug)]
pub(crate) struct StagedInteraction {
    pub(crate) line: u64,
    pub(crate) id: Span,
    pub(crate) customer_id: Span,
    pub(crate) at: Ts,
    pub(crate) channel: Channel,
    pub(crate) kind: InteractionKind,
    pub(crate) direction: Direction,
    pub(crate) fanpage_id: Span,
    pub(crate) staff_id: Span,
    pub(crate) automated: bool,
    pub(crate) campaign_id: Span,
    pub(crate) ref_id: Span,
}

#[derive(Clone, Debug)]
pub(crate) struct StagedCampaign {
    pub(crate) line: u64,
    pub(crate) id: Span,
    pub(crate) name: Span,
    pub(crate) channel: Option<Channel>,
}

#[derive(Clone, Debug)]
pub(crate) struct StagedStaff {
    pub(crate) line: u64,
    pub(crate) id: Span,
    pub(crate) name: Span,
}

#[derive(Clone, Debug)]
pub(crate) struct StagedFanpage {
    pub(crate) line: u64,
    pub(crate) id: Span,
    pub(crate) name: Span,
    pub(crate) channel: Option<Channel>,
    pub(crate) activated: bool,
    pub(crate) linked_accounts: u64,
}

/// All nine tables' staged rows.
#[derive(Clone, Debug, Default)]
pub(crate) struct Stage {
    pub(crate) customers: TableStage<StagedCustomer>,
    pub(crate) orders: TableStage<StagedOrder>,
    pub(crate) order_lines: TableStage<StagedLine>,
    pub(crate) deals: TableStage<StagedDeal>,
    pub(crate) costs: TableStage<StagedCost>,
    pub(crate) interactions: TableStage<StagedInteraction>,
    pub(crate) campaigns: TableStage<StagedCampaign>,
    pub(crate) staff: TableStage<StagedStaff>,
    pub(crate) fanpages: TableStage<StagedFanpage>,
}

/// A required string: an empty one is missing (SPEC §2: empty = absent).
fn required<'a>(column: &'static str, s: &'a str) -> Result<&'a str, FieldError> {
    if s.is_empty() {
        Err(FieldError::missing(column))
    } else {
        Ok(s)
    }
}

/// Optional strings: `Some("")` is absent, as an empty CSV field is.
fn optional(s: &Option<String>) -> Option<&str> {
    s.as_deref().filter(|s| !s.is_empty())
}

/// Stages a row converted from a model struct, or records its parse error.
fn stage_struct<R>(
    stage: &mut TableStage<R>,
    table: Table,
    id: Option<&str>,
    make: impl FnOnce(u64, &mut Arena) -> Result<R, FieldError>,
) {
    let line = stage.next_line();
    stage.read += 1;
    match make(line, &mut stage.arena) {
        Ok(row) => stage.rows.push(row),
        Err(e) => {
            let id = id.filter(|s| !s.is_empty()).map(str::to_owned);
            stage.rejections.push(e.into_rejection(table, line, id));
        }
    }
}

impl Stage {
    pub(crate) fn push_customer(&mut self, c: &Customer) {
        stage_struct(
            &mut self.customers,
            Table::Customers,
            Some(&c.id),
            |line, arena| {
                let id = required("id", &c.id)?;
                Ok(StagedCustomer {
                    line,
                    id: arena.push(id),
                    created_at: Ts::from_datetime(c.created_at),
                    source: c.source,
                    gender: c.gender,
                    birth_date: c.birth_date,
                    text: [
                        &c.name,
                        &c.phone,
                        &c.email,
                        &c.zalo_id,
                        &c.facebook_id,
                        &c.notes,
                    ]
                    .map(|s| arena.push_opt(optional(s))),
                })
            },
        );
    }

    pub(crate) fn push_order(&mut self, o: &Order) {
        stage_struct(
            &mut self.orders,
            Table::Orders,
            Some(&o.id),
            |line, arena| {
                let (id, customer_id) = (
                    required("id", &o.id)?,
                    required("customer_id", &o.customer_id)?,
                );
                Ok(StagedOrder {
                    line,
                    id: arena.push(id),
                    customer_id: arena.push(customer_id),
                    created_at: Ts::from_datetime(o.created_at),
                    status: o.status,
                    total: o.total,
                    cost_of_goods: o.cost_of_goods,
                    fanpage_id: arena.push_opt(optional(&o.fanpage_id)),
                    staff_id: arena.push_opt(optional(&o.staff_id)),
                    voucher_code: arena.push_opt(optional(&o.voucher_code)),
                })
            },
        );
    }

    pub(crate) fn push_order_line(&mut self, l: &OrderLine) {
        stage_struct(
            &mut self.order_lines,
            Table::OrderLines,
            None,
            |line, arena| {
                let order_id = required("order_id", &l.order_id)?;
                let product_id = required("product_id", &l.product_id)?;
                Ok(StagedLine {
                    line,
                    order_id: arena.push(order_id),
                    product_id: arena.push(product_id),
                    quantity: l.quantity,
                    unit_price: l.unit_price,
                })
            },
        );
    }

    pub(crate) fn push_deal(&mut self, d: &Deal) {
        stage_struct(&mut self.deals, Table::Deals, Some(&d.id), |line, arena| {
            let id = required("id", &d.id)?;
            let source = required("source", &d.source)?;
            Ok(StagedDeal {
                line,
                id: arena.push(id),
                customer_id: arena.push_opt(optional(&d.customer_id)),
                created_at: Ts::from_datetime(d.created_at),
                source: arena.push(source),
                product_type: arena.push_opt(optional(&d.product_type)),
                handed_over_at: d.handed_over_at.map(Ts::from_datetime),
                opportunity_at: d.opportunity_at.map(Ts::from_datetime),
                won_at: d.won_at.map(Ts::from_datetime),
                revenue: d.revenue,
            })
        });
    }

    pub(crate) fn push_cost(&mut self, c: &Cost) {
        stage_struct(&mut self.costs, Table::Costs, None, |line, arena| {
            let source = required("source", &c.source)?;
            Ok(StagedCost {
                line,
                date: c.date,
                source: arena.push(source),
                product_type: arena.push_opt(optional(&c.product_type)),
                amount: c.amount,
            })
        });
    }

    pub(crate) fn push_interaction(&mut self, i: &Interaction) {
        stage_struct(
            &mut self.interactions,
            Table::Interactions,
            Some(&i.id),
            |line, arena| {
                let (id, customer_id) = (
                    required("id", &i.id)?,
                    required("customer_id", &i.customer_id)?,
                );
                Ok(StagedInteraction {
                    line,
                    id: arena.push(id),
                    customer_id: arena.push(customer_id),
                    at: Ts::from_datetime(i.at),
                    channel: i.channel,
                    kind: i.kind,
                    direction: i.direction,
                    fanpage_id: arena.push_opt(optional(&i.fanpage_id)),
                    staff_id: arena.push_opt(optional(&i.staff_id)),
                    automated: i.automated,
                    campaign_id: arena.push_opt(optional(&i.campaign_id)),
                    ref_id: arena.push_opt(optional(&i.ref_id)),
                })
            },
        );
    }

    pub(crate) fn push_campaign(&mut self, c: &Campaign) {
        stage_struct(
            &mut self.campaigns,
            Table::Campaigns,
            Some(&c.id),
            |line, arena| {
                let (id, name) = (required("id", &c.id)?, required("name", &c.name)?);
                Ok(StagedCampaign {
                    line,
                    id: arena.push(id),
                    name: arena.push(name),
                    channel: c.channel,
                })
            },
        );
    }

    pub(crate) fn push_staff(&mut self, s: &Staff) {
        stage_struct(&mut self.staff, Table::Staff, Some(&s.id), |line, arena| {
            let (id, name) = (required("id", &s.id)?, required("name", &s.name)?);
            Ok(StagedStaff {
                line,
                id: arena.push(id),
                name: arena.push(name),
            })
        });
    }

    pub(crate) fn push_fanpage(&mut self, f: &Fanpage) {
        stage_struct(
            &mut self.fanpages,
            Table::Fanpages,
            Some(&f.id),
            |line, arena| {
                let (id, name) = (required("id", &f.id)?, required("name", &f.name)?);
                Ok(StagedFanpage {
                    line,
                    id: arena.push(id),
                    name: arena.push(name),
                    channel: f.channel,
                    activated: f.activated,
                    linked_accounts: f.linked_accounts,
                })
            },
        );
    }
}
