use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::OrderStatus;

/// An order (`orders.csv`, docs/input-format.md). A *purchase* is a `completed` order with
/// `created_at <= as_of`; a *placed* order is one that is not `cancelled` (docs/metrics.md#conventions).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Order {
    /// Unique id. Required.
    pub id: String,
    /// The customer who placed it; must name an accepted customer. Required.
    pub customer_id: String,
    /// When the order was created (UTC); a purchase's time. Required.
    pub created_at: DateTime<Utc>,
    /// Status. Required.
    pub status: OrderStatus,
    /// Order value, `>= 0`. Required.
    pub total: Decimal,
    /// Cost of the goods sold, `>= 0`; gross profit is `total - cost_of_goods` (docs/metrics.md#social).
    pub cost_of_goods: Option<Decimal>,
    /// Sales channel, free text (docs/input-format.md#enumerations).
    pub source: Option<String>,
    /// The fanpage the order came through: any value makes it a *social* order (docs/metrics.md#social).
    pub fanpage_id: Option<String>,
    /// The staff member credited with it.
    pub staff_id: Option<String>,
    /// Voucher code used, if any.
    pub voucher_code: Option<String>,
}

/// One line of an order (`order_lines.csv`, docs/input-format.md). Line order within an order is
/// input order (docs/metrics.md#profile `first_product`, `last_product`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderLine {
    /// The order; must name an accepted order. Required.
    pub order_id: String,
    /// Product id; products are named by id in reports (docs/metrics.md#the-json-report). Required.
    pub product_id: String,
    /// Product name, for people.
    pub product_name: Option<String>,
    /// Product type, free text.
    pub product_type: Option<String>,
    /// Units bought; must be `> 0`, else the row is rejected `invalid_quantity`.
    /// Signed so that such input can be represented and rejected.
    pub quantity: i64,
    /// Price per unit, `>= 0`.
    pub unit_price: Decimal,
}
