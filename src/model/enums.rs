//! The enumerations of the input files, lower-case (snake_case) in files and JSON
//! (docs/input-format.md lists every allowed value).
//!
//! Every enum implements `Display` with its lower-case name and `FromStr`, which matches
//! the name ignoring ASCII case and the ASCII spaces or tabs around it (`Shopee`,
//! ` Completed `), as spreadsheet exports write them; anything else is a `parse_error`
//! in a file. Only ASCII letters fold and only spaces and tabs are trimmed.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// `text` without the ASCII spaces and tabs around it (the only blanks an enumerated
/// value or a boolean may carry).
#[inline]
pub(crate) fn trim_blanks(text: &[u8]) -> &[u8] {
    let blank = |b: &u8| *b == b' ' || *b == b'\t';
    let start = text.iter().position(|b| !blank(b)).unwrap_or(text.len());
    let end = text
        .iter()
        .rposition(|b| !blank(b))
        .map_or(start, |i| i + 1);
    &text[start..end]
}

/// The error of parsing one of this module's enums from text that is not one of its
/// names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseEnumError {
    /// The enum, e.g. `order status`.
    pub expected: &'static str,
}

impl fmt::Display for ParseEnumError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "not a valid {}", self.expected)
    }
}

impl std::error::Error for ParseEnumError {}

macro_rules! spec_enum {
    (
        $(#[$meta:meta])*
        $name:ident, $what:literal {
            $( $(#[$vmeta:meta])* $variant:ident = $text:literal, )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )+
        }

        impl $name {
            /// Every value, in the order of docs/input-format.md.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The lower-case name, as written in files and JSON.
            pub const fn name(self) -> &'static str {
                match self { $($name::$variant => $text,)+ }
            }

            /// Parses a name from bytes, ignoring ASCII case and the ASCII spaces or
            /// tabs around it (no allocation).
            pub(crate) fn from_bytes(text: &[u8]) -> Option<$name> {
                // The exact lower-case name first: what most files hold.
                match text {
                    $(t if t == $text.as_bytes() => return Some($name::$variant),)+
                    _ => {}
                }
                let text = trim_blanks(text);
                $name::ALL
                    .iter()
                    .copied()
                    .find(|v| v.name().as_bytes().eq_ignore_ascii_case(text))
            }

            /// The rejection detail of a value that is none of the names: what was
            /// expected and every allowed value. Built once, on the first bad value.
            #[cold]
            pub(crate) fn expected() -> &'static str {
                static TEXT: std::sync::OnceLock<String> = std::sync::OnceLock::new();
                TEXT.get_or_init(|| {
                    let names: Vec<&str> = $name::ALL.iter().map(|v| v.name()).collect();
                    let article = if $what.starts_with(['a', 'e', 'i', 'o', 'u']) {
                        "an"
                    } else {
                        "a"
                    };
                    format!(
                        "not {article} {} (allowed: {}; any case)",
                        $what,
                        names.join(", ")
                    )
                })
            }

            /// The position in [`Self::ALL`], for dense per-value arrays.
            pub const fn index(self) -> usize {
                self as usize
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.name())
            }
        }

        /// Deserializes from the name, with the rule of `FromStr` (ASCII case and the
        /// spaces or tabs around it ignored), so that rows from JSON or a database read
        /// like rows from a CSV file.
        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<$name, D::Error> {
                let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
                $name::from_bytes(text.as_bytes())
                    .ok_or_else(|| serde::de::Error::custom($name::expected()))
            }
        }

        impl FromStr for $name {
            type Err = ParseEnumError;
            fn from_str(s: &str) -> Result<$name, ParseEnumError> {
                $name::from_bytes(s.as_bytes()).ok_or(ParseEnumError { expected: $what })
            }
        }
    };
}

spec_enum! {
    /// Where a customer came from (`customers.source`; the `source` of orders, deals and
    /// costs is free text instead).
    ///
    /// Groups of the customer dashboard: [`Source::is_synced`] and
    /// [`Source::is_imported`].
    Source, "customer source" {
        /// Synced from a Haravan shop.
        Haravan = "haravan",
        /// Synced from Shopee.
        Shopee = "shopee",
        /// Synced from Lazada.
        Lazada = "lazada",
        /// Synced from another order management system.
        OtherOms = "other_oms",
        /// Imported from a spreadsheet.
        ExcelImport = "excel_import",
        /// Created by hand.
        Manual = "manual",
        /// Followed the shop's Zalo official account.
        ZaloOa = "zalo_oa",
        /// Subscribed to web push notifications.
        Webpush = "webpush",
        /// Filled in a web form.
        Form = "form",
        /// Wrote to a fanpage in social chat.
        SocialChat = "social_chat",
        /// Registered at a point of sale.
        Pos = "pos",
    }
}

impl Source {
    /// Synced automatically from an order system: haravan, shopee, lazada, other_oms (S0).
    pub const fn is_synced(self) -> bool {
        matches!(
            self,
            Source::Haravan | Source::Shopee | Source::Lazada | Source::OtherOms
        )
    }

    /// Imported from Excel or created by hand: excel_import, manual (S0).
    pub const fn is_imported(self) -> bool {
        matches!(self, Source::ExcelImport | Source::Manual)
    }
}

spec_enum! {
    /// A customer's gender; an absent value is "unknown".
    Gender, "gender" {
        /// Male.
        Male = "male",
        /// Female.
        Female = "female",
        /// Other.
        Other = "other",
    }
}

spec_enum! {
    /// An order's status. A *purchase* is a `completed` order; a *placed* order is any
    /// order that is not `cancelled`.
    OrderStatus, "order status" {
        /// Created, not yet completed.
        Pending = "pending",
        /// Paid and delivered: a purchase.
        Completed = "completed",
        /// Failed (payment or delivery).
        Failed = "failed",
        /// Cancelled: not a placed order.
        Cancelled = "cancelled",
    }
}

spec_enum! {
    /// The channel of an interaction, campaign or fanpage.
    Channel, "channel" {
        /// Facebook.
        Facebook = "facebook",
        /// Zalo.
        Zalo = "zalo",
        /// Instagram.
        Instagram = "instagram",
        /// TikTok.
        Tiktok = "tiktok",
        /// The shop's web site.
        Web = "web",
        /// SMS.
        Sms = "sms",
        /// E-mail.
        Email = "email",
        /// Anything else.
        Other = "other",
    }
}

spec_enum! {
    /// What an interaction is.
    InteractionKind, "interaction kind" {
        /// A chat message.
        Message = "message",
        /// A comment on a post.
        Comment = "comment",
        /// A message sent by a marketing campaign (names its `campaign_id`).
        CampaignMessage = "campaign_message",
        /// A click on a tracked URL.
        UrlClick = "url_click",
        /// A play of a minigame (names the game in `ref_id`).
        MinigamePlay = "minigame_play",
        /// A survey answer (names the survey in `ref_id`).
        SurveyResponse = "survey_response",
        /// A follow of a page or account.
        Follow = "follow",
        /// A submitted form.
        FormSubmit = "form_submit",
        /// A web push subscription.
        WebpushSubscribe = "webpush_subscribe",
    }
}

impl InteractionKind {
    /// A `message` or a `comment`: what S4 counts as reach (inbound) and care (outbound).
    pub const fn is_message_or_comment(self) -> bool {
        matches!(self, InteractionKind::Message | InteractionKind::Comment)
    }
}

spec_enum! {
    /// Who an interaction came from.
    Direction, "direction" {
        /// From the customer.
        Inbound = "inbound",
        /// To the customer (a reply by a person or by automation, or a campaign).
        Outbound = "outbound",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip<T>(all: &[T])
    where
        T: Copy
            + fmt::Display
            + FromStr
            + PartialEq
            + fmt::Debug
            + Serialize
            + for<'a> Deserialize<'a>,
        <T as FromStr>::Err: fmt::Debug,
    {
        for v in all {
            let text = v.to_string();
            assert_eq!(text.parse::<T>().unwrap(), *v);
            let json = serde_json::to_string(v).unwrap();
            assert_eq!(json, format!("\"{text}\""));
            assert_eq!(serde_json::from_str::<T>(&json).unwrap(), *v);
        }
    }

    #[test]
    fn every_variant_round_trips() {
        round_trip(Source::ALL);
        round_trip(Gender::ALL);
        round_trip(OrderStatus::ALL);
        round_trip(Channel::ALL);
        round_trip(InteractionKind::ALL);
        round_trip(Direction::ALL);
        assert_eq!(Source::ALL.len(), 11);
        assert_eq!(InteractionKind::ALL.len(), 9);
    }

    #[test]
    fn parsing_ignores_ascii_case_and_blanks_around() {
        assert_eq!("Male".parse::<Gender>(), Ok(Gender::Male));
        assert_eq!(" male\t".parse::<Gender>(), Ok(Gender::Male));
        assert_eq!(
            " Completed ".parse::<OrderStatus>(),
            Ok(OrderStatus::Completed)
        );
        assert_eq!("SOCIAL_CHAT".parse::<Source>(), Ok(Source::SocialChat));
        // Inner blanks, other whitespace, non-ASCII letters and blanks only do not match.
        assert!("social chat".parse::<Source>().is_err());
        assert!("\u{a0}male".parse::<Gender>().is_err());
        assert!("\nmale".parse::<Gender>().is_err());
        assert!("   ".parse::<Gender>().is_err());
        assert!("".parse::<Gender>().is_err());
        assert!("in".parse::<Direction>().is_err());
        assert!("shipped".parse::<OrderStatus>().is_err());
        assert_eq!(
            "myspace".parse::<Channel>().unwrap_err().to_string(),
            "not a valid channel"
        );
    }

    proptest::proptest! {
        /// Every name of every enum parses to its value in any ASCII case, with spaces
        /// and tabs around it; an inner blank never matches.
        #[test]
        fn names_fold_ascii_case_and_blanks(
            pick in 0usize..40,
            upper in proptest::collection::vec(proptest::bool::ANY, 20),
            before in "[ \t]{0,3}",
            after in "[ \t]{0,3}",
        ) {
            let names: Vec<(&str, String)> = Source::ALL.iter().map(|v| ("source", v.to_string()))
                .chain(Gender::ALL.iter().map(|v| ("gender", v.to_string())))
                .chain(OrderStatus::ALL.iter().map(|v| ("status", v.to_string())))
                .chain(Channel::ALL.iter().map(|v| ("channel", v.to_string())))
                .chain(InteractionKind::ALL.iter().map(|v| ("kind", v.to_string())))
                .chain(Direction::ALL.iter().map(|v| ("direction", v.to_string())))
                .collect();
            let (what, name) = &names[pick % names.len()];
            let cased: String = name
                .chars()
                .zip(upper.iter().cycle())
                .map(|(c, &u)| if u { c.to_ascii_uppercase() } else { c })
                .collect();
            let text = format!("{before}{cased}{after}");
            let back = match *what {
                "source" => text.parse::<Source>().map(|v| v.to_string()),
                "gender" => text.parse::<Gender>().map(|v| v.to_string()),
                "status" => text.parse::<OrderStatus>().map(|v| v.to_string()),
                "channel" => text.parse::<Channel>().map(|v| v.to_string()),
                "kind" => text.parse::<InteractionKind>().map(|v| v.to_string()),
                _ => text.parse::<Direction>().map(|v| v.to_string()),
            };
            proptest::prop_assert_eq!(back, Ok(name.clone()));
            let split = format!("{} {}", &name[..1], &name[1..]);
            proptest::prop_assert!(split.parse::<Source>().is_err());
        }
    }

    #[test]
    fn deserializing_follows_the_same_rule() {
        assert_eq!(
            serde_json::from_str::<OrderStatus>("\" Completed \"").unwrap(),
            OrderStatus::Completed
        );
        let err = serde_json::from_str::<Gender>("\"F\"")
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("not a gender (allowed: male, female, other; any case)"),
            "{err}"
        );
    }

    #[test]
    fn expected_lists_every_allowed_value() {
        assert_eq!(
            OrderStatus::expected(),
            "not an order status (allowed: pending, completed, failed, cancelled; any case)"
        );
        for s in Source::ALL {
            assert!(Source::expected().contains(s.name()));
        }
    }

    #[test]
    fn groups() {
        let synced: Vec<_> = Source::ALL.iter().filter(|s| s.is_synced()).collect();
        assert_eq!(synced.len(), 4);
        let imported: Vec<_> = Source::ALL.iter().filter(|s| s.is_imported()).collect();
        assert_eq!(imported, [&Source::ExcelImport, &Source::Manual]);
    }
}
