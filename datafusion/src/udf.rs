//! Scalar UDFs of the business calendar: the local date and the local hour of an
//! instant in the report's time zone, computed by the crate's
//! [`BusinessCalendar`] (fixed offsets and IANA
//! zones with their daylight-saving rules), so that SQL over the tables groups by the
//! same days and hours as the report.
//!
//! * `crm_local_date(ts)`: `Date32`, the local calendar date of the instant;
//! * `crm_local_hour(ts)`: `Int64`, the local hour `0..=23`.
//!
//! The argument is a timestamp of any unit with a time zone (the instant counts, not the
//! zone's name); a null gives a null.

use std::hash::{Hash, Hasher};
use std::sync::Arc;

use crm_metrics::ReportOptions;
use crm_metrics::calendar::BusinessCalendar;
use crm_metrics::chrono::{DateTime, Utc};
use datafusion::arrow::array::{Array, ArrayRef, AsArray, Date32Array, Int64Array};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Date32Type, TimeUnit, TimestampMicrosecondType};
use datafusion::common::{DataFusionError, Result};
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};

/// What a calendar UDF returns.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Part {
    /// The local date (`crm_local_date`).
    Date,
    /// The local hour (`crm_local_hour`).
    Hour,
}

/// A calendar scalar UDF for one time zone. Equality and hash are those of the zone's
/// name and the part.
#[derive(Debug)]
pub struct CalendarUdf {
    part: Part,
    zone: String,
    calendar: BusinessCalendar,
    signature: Signature,
}

impl PartialEq for CalendarUdf {
    fn eq(&self, other: &CalendarUdf) -> bool {
        self.part == other.part && self.zone == other.zone
    }
}

impl Eq for CalendarUdf {}

impl Hash for CalendarUdf {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.part.hash(state);
        self.zone.hash(state);
    }
}

impl CalendarUdf {
    /// The UDF for `part` in time zone `zone` (`+07:00`, `Asia/Ho_Chi_Minh`, as
    /// [`ReportOptions::try_time_zone`] reads it).
    ///
    /// # Errors
    /// When the zone is not one the crate reads.
    pub fn new(part: Part, zone: &str) -> Result<CalendarUdf> {
        let options = ReportOptions::new(DateTime::<Utc>::UNIX_EPOCH)
            .try_time_zone(zone)
            .map_err(crate::udaf::external)?;
        Ok(CalendarUdf {
            part,
            zone: zone.to_owned(),
            calendar: options.calendar,
            signature: Signature::any(1, Volatility::Immutable),
        })
    }

    /// The zone's name as given.
    pub fn zone(&self) -> &str {
        &self.zone
    }

    /// The part.
    pub fn part(&self) -> Part {
        self.part
    }

    /// As a DataFusion `ScalarUDF`.
    pub fn udf(self) -> ScalarUDF {
        ScalarUDF::new_from_impl(self)
    }

    fn compute(&self, input: &ArrayRef) -> Result<ArrayRef> {
        let micros = match input.data_type() {
            DataType::Timestamp(_, Some(_)) => cast(
                input,
                &DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
            )?,
            DataType::Null => {
                return Ok(match self.part {
                    Part::Date => Arc::new(Date32Array::new_null(input.len())),
                    Part::Hour => Arc::new(Int64Array::new_null(input.len())),
                });
            }
            other => {
                return Err(DataFusionError::Execution(format!(
                    "{}: a timestamp with a time zone is expected, not {other}",
                    self.name()
                )));
            }
        };
        let micros = micros.as_primitive::<TimestampMicrosecondType>();
        let instants = micros
            .iter()
            .map(|v| v.and_then(DateTime::<Utc>::from_timestamp_micros));
        Ok(match self.part {
            Part::Date => Arc::new(
                instants
                    .map(|at| {
                        at.map(|at| Date32Type::from_naive_date(self.calendar.local_date(at)))
                    })
                    .collect::<Date32Array>(),
            ),
            Part::Hour => Arc::new(
                instants
                    .map(|at| at.map(|at| i64::from(self.calendar.local_hour(at))))
                    .collect::<Int64Array>(),
            ),
        })
    }
}

impl ScalarUDFImpl for CalendarUdf {
    fn name(&self) -> &str {
        match self.part {
            Part::Date => "crm_local_date",
            Part::Hour => "crm_local_hour",
        }
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(match self.part {
            Part::Date => DataType::Date32,
            Part::Hour => DataType::Int64,
        })
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let [arg] = args.args.as_slice() else {
            return Err(DataFusionError::Execution(format!(
                "{} takes one argument",
                self.name()
            )));
        };
        let array = arg.to_array(args.number_rows)?;
        Ok(ColumnarValue::Array(self.compute(&array)?))
    }
}

/// `crm_bucket(key, n)`: the bucket `0..n` of a partition key (a customer id), by a
/// fixed hash (FNV-1a of the UTF-8 bytes), the same on every machine and run; `n` is
/// fixed when the UDF is made. A null key is bucket 0.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct BucketUdf {
    buckets: u32,
    signature: Signature,
}

impl BucketUdf {
    /// The UDF for `buckets` buckets (at least 1).
    pub fn new(buckets: u32) -> BucketUdf {
        BucketUdf {
            buckets: buckets.max(1),
            signature: Signature::any(1, Volatility::Immutable),
        }
    }

    /// The number of buckets.
    pub fn buckets(&self) -> u32 {
        self.buckets
    }

    /// The bucket of `key`.
    pub fn bucket(&self, key: &str) -> i64 {
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        for byte in key.bytes() {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
        i64::from((hash % u64::from(self.buckets)) as u32)
    }
}

impl ScalarUDFImpl for BucketUdf {
    fn name(&self) -> &str {
        "crm_bucket"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(DataType::Int64)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let [arg] = args.args.as_slice() else {
            return Err(DataFusionError::Execution(
                "crm_bucket takes one argument".into(),
            ));
        };
        let array = cast(&arg.to_array(args.number_rows)?, &DataType::Utf8)?;
        let keys = array.as_string::<i32>();
        Ok(ColumnarValue::Array(Arc::new(
            keys.iter()
                .map(|k| Some(k.map_or(0, |k| self.bucket(k))))
                .collect::<Int64Array>(),
        )))
    }
}
