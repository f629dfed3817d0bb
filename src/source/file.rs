//! placeholder
use super::Event;
/// placeholder
pub fn load_path(_p: &str, _s: &mut dyn FnMut(Event)) -> std::io::Result<()> {
    Ok(())
}
/// placeholder
pub fn load_bytes(_n: &str, _b: &[u8], _s: &mut dyn FnMut(Event)) {}
