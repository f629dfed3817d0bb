//! Keys: the actions a key can ask for, the default bindings, the runtime keymap with the
//! config's overrides, and key names.
pub mod defaults;
pub mod keymap;
pub mod names;
