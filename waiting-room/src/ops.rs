//! `port_ops!`: declares a store port's op enum, one variant per method of the port
//! trait with the method's name, so the names sit beside the trait in one list (read
//! by [`crate::intercept`]: metrics, fault injection, test gates).

/// Declares `enum $name` (`Copy`, `Debug`, `Eq`, `Hash`) with `ALL` (every op, in
/// declaration order, so `op as usize` indexes it) and `name()` (the method's name).
macro_rules! port_ops {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident { $($variant:ident => $label:literal,)+ }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        $vis enum $name {
            $($variant,)+
        }

        impl $name {
            /// Every op, in declaration order: `op as usize` is its index here.
            pub const ALL: &'static [$name] = &[$($name::$variant,)+];

            /// The method's name, as in the trait.
            pub const fn name(self) -> &'static str {
                match self {
                    $($name::$variant => $label,)+
                }
            }
        }
    };
}
