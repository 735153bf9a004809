//! `palette-api`: serve the API, migrate its database, or run an operator's
//! command on users and teams.

use std::process::ExitCode;

use clap::Parser;
use server::{app, cli, telemetry, Application, Cli, Command};

/// jemalloc, with background threads that return what a burst of
/// connections freed to the system; glibc's allocator kept it (RSS stayed
/// at its peak). `scripts/bench connections` measures both.
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

#[actix_web::main]
async fn main() -> anyhow::Result<ExitCode> {
    let Cli { command, settings } = Cli::parse();
    match command.unwrap_or(Command::Serve) {
        // Operators' commands log to stderr themselves: stdout is their output.
        Command::Users(command) => Ok(cli::users(command, &settings).await),
        Command::Teams(command) => Ok(cli::teams(command, &settings).await),
        Command::Migrate => {
            let _telemetry = telemetry::init(&settings)?;
            app::migrate(settings.direct_database_url()).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Serve => {
            let _telemetry = telemetry::init(&settings)?;
            let _error_reporting = server::error_reporting::init(&settings)?;
            Application::build(&settings).await?.run_until_stopped().await?;
            tracing::info!("stopped");
            Ok(ExitCode::SUCCESS)
        }
    }
}
