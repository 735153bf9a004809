//! `palette-api`: serve the API, or migrate its database.

use clap::Parser;
use secrecy::ExposeSecret;
use server::{app, telemetry, Application, Cli, Command};

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let _telemetry = telemetry::init(&cli.settings)?;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Migrate => app::migrate(cli.settings.database_url.expose_secret()).await,
        Command::Serve => {
            Application::build(&cli.settings).await?.run_until_stopped().await?;
            tracing::info!("stopped");
            Ok(())
        }
    }
}
