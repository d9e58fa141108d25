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

impl Order {
    /// An order with its required fields; set the optional ones by name.
    ///
    /// # Example
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// use crm_metrics::model::{Order, OrderStatus};
    /// use rust_decimal::Decimal;
    ///
    /// let created_at = Utc.with_ymd_and_hms(2026, 11, 2, 3, 0, 0).unwrap();
    /// let order = Order::new("DH1", "KH1", created_at, OrderStatus::Completed, Decimal::from(250_000))
    ///     .cost_of_goods(Decimal::from(180_000))
    ///     .staff_id("NV1");
    /// assert_eq!(order.cost_of_goods, Some(Decimal::from(180_000)));
    /// assert_eq!(order.fanpage_id, None); // not a social order
    /// ```
    pub fn new(
        id: impl Into<String>,
        customer_id: impl Into<String>,
        created_at: DateTime<Utc>,
        status: OrderStatus,
        total: Decimal,
    ) -> Order {
        Order {
            id: id.into(),
            customer_id: customer_id.into(),
            created_at,
            status,
            total,
            cost_of_goods: None,
            source: None,
            fanpage_id: None,
            staff_id: None,
            voucher_code: None,
        }
    }

    /// Sets the cost of the goods sold.
    #[must_use]
    pub fn cost_of_goods(mut self, cost_of_goods: Decimal) -> Order {
        self.cost_of_goods = Some(cost_of_goods);
        self
    }

    /// Sets the sales channel (free text).
    #[must_use]
    pub fn source(mut self, source: impl Into<String>) -> Order {
        self.source = Some(source.into());
        self
    }

    /// Sets the fanpage the order came through, which makes it a social order.
    #[must_use]
    pub fn fanpage_id(mut self, fanpage_id: impl Into<String>) -> Order {
        self.fanpage_id = Some(fanpage_id.into());
        self
    }

    /// Sets the staff member credited with the order.
    #[must_use]
    pub fn staff_id(mut self, staff_id: impl Into<String>) -> Order {
        self.staff_id = Some(staff_id.into());
        self
    }

    /// Sets the voucher code used.
    #[must_use]
    pub fn voucher_code(mut self, voucher_code: impl Into<String>) -> Order {
        self.voucher_code = Some(voucher_code.into());
        self
    }
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

impl OrderLine {
    /// An order line with its required fields; set the optional ones by name.
    ///
    /// # Example
    /// ```
    /// use crm_metrics::model::OrderLine;
    /// use rust_decimal::Decimal;
    ///
    /// let line = OrderLine::new("DH1", "SP1", 2, Decimal::from(125_000))
    ///     .product_name("Green tea")
    ///     .product_type("drinks");
    /// assert_eq!(line.product_type.as_deref(), Some("drinks"));
    /// ```
    pub fn new(
        order_id: impl Into<String>,
        product_id: impl Into<String>,
        quantity: i64,
        unit_price: Decimal,
    ) -> OrderLine {
        OrderLine {
            order_id: order_id.into(),
            product_id: product_id.into(),
            product_name: None,
            product_type: None,
            quantity,
            unit_price,
        }
    }

    /// Sets the product name, for people.
    #[must_use]
    pub fn product_name(mut self, product_name: impl Into<String>) -> OrderLine {
        self.product_name = Some(product_name.into());
        self
    }

    /// Sets the product type (free text).
    #[must_use]
    pub fn product_type(mut self, product_type: impl Into<String>) -> OrderLine {
        self.product_type = Some(product_type.into());
        self
    }
}
