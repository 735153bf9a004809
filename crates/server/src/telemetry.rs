//! Logging through `tracing`.

use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::EnvFilter;

use crate::config::{LogFormat, Settings};

/// Installs the global subscriber: text or JSON lines on stdout, filtered by `LOG_LEVEL`.
pub fn init(settings: &Settings) -> anyhow::Result<()> {
    let filter = EnvFilter::try_new(&settings.log_level)
        .map_err(|e| anyhow::anyhow!("invalid LOG_LEVEL `{}`: {e}", settings.log_level))?;
    let registry = tracing_subscriber::registry().with(filter);
    match settings.log_format {
        LogFormat::Text => registry.with(tracing_subscriber::fmt::layer()).try_init()?,
        LogFormat::Json => registry
            .with(tracing_subscriber::fmt::layer().json().flatten_event(true))
            .try_init()?,
    }
    Ok(())
}
