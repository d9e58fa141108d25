//! The macro behind the row-label enums of the customer picture ([`CycleBucket`](crate::customer_picture::CycleBucket),
//! [`AgeGroup`](crate::customer_picture::AgeGroup), …): a leaf module, so that the fold
//! machinery and the sections can both define label enums.

/// Defines a row-label enum of the customer picture (docs/metrics.md#customer_picture): `ALL`, `COUNT`, `index`, `label`, `Display`,
/// `FromStr`, and `Serialize` and `Deserialize` as the label.
macro_rules! label_enum {
    (
        $(#[$meta:meta])*
        $name:ident, $what:literal {
            $( $(#[$vmeta:meta])* $variant:ident = $label:literal, )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )+
        }

        impl $name {
            /// Number of values.
            pub const COUNT: usize = [$($label),+].len();

            /// Every value, in the documented row order.
            pub const ALL: [$name; Self::COUNT] = [$($name::$variant),+];

            /// The label, as written in JSON.
            pub const fn label(self) -> &'static str {
                match self { $($name::$variant => $label,)+ }
            }

            /// The position in [`Self::ALL`].
            pub const fn index(self) -> usize {
                self as usize
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.label())
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::model::ParseEnumError;

            /// Parses the exact label.
            fn from_str(s: &str) -> std::result::Result<$name, $crate::model::ParseEnumError> {
                $name::ALL
                    .into_iter()
                    .find(|value| value.label() == s)
                    .ok_or($crate::model::ParseEnumError { expected: $what })
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
                serializer.serialize_str(self.label())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> std::result::Result<$name, D::Error> {
                let label = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
                label.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

pub(crate) use label_enum;
