//! `palette-api`: serve the API, or migrate its database.

use clap::Parser;
use server::{app, telemetry, Application, Cli, Command};

/// jemalloc, with background threads that return what a burst of
/// connections freed to the system; glibc's allocator kept it (RSS stayed
/// at its peak). `scripts/bench connections` measures both.
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let _telemetry = telemetry::init(&cli.settings)?;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Migrate => app::migrate(cli.settings.direct_database_url()).await,
        Command::Serve => {
            Application::build(&cli.settings).await?.run_until_stopped().await?;
            tracing::info!("stopped");
            Ok(())
        }
    }
}
