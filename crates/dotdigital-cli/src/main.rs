//! `dotdigital`: write contacts into Dotdigital from the command line.

mod connect;
mod field_values;
mod sandbox;
mod spec_values;
mod sync;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use dotdigital_contacts::types;
use dotdigital_contacts::{ContactsClient, Identifier, ImportOutcome};

/// Import, update and bulk-sync Dotdigital contacts.
///
/// Credentials come from DOTDIGITAL_API_USER and DOTDIGITAL_API_PASSWORD (or a
/// prompt on a terminal); DOTDIGITAL_REGION (r1, r2, r3) or DOTDIGITAL_BASE_URL
/// choose the host, DOTDIGITAL_INTEGRATION_TOKEN adds a partner token.
#[derive(Debug, Parser)]
#[command(name = "dotdigital", version, propagate_version = true)]
struct Cli {
    /// Log retries and progress details to stderr (-v info, -vv debug).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    verbose: u8,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Write contacts: import (v3 upsert), update (v2 replace), sync (bulk).
    #[command(subcommand)]
    Contacts(ContactsCommand),
    /// Run the local sandbox: an emulator of both endpoints, until Ctrl-C or SIGTERM.
    ///
    /// The first line on stdout is `listening on http://HOST:PORT`. Point the
    /// other commands at it with DOTDIGITAL_BASE_URL and its credentials.
    Sandbox(sandbox::SandboxArgs),
}

#[derive(Debug, Subcommand)]
enum ContactsCommand {
    /// Import a single contact (v3 PATCH /contacts/v3/{identifier}/{value}).
    ///
    /// Updates the contact found by the identifier with only the fields given,
    /// restores it from the recycle bin, or creates it (a new contact needs an
    /// email or mobile number in its identifiers). Prints the stored contact
    /// as JSON with "outcome": "created" or "updated".
    Import(ImportArgs),
    /// Update a contact (v2 PUT /v2/contacts/{id}): a full replace.
    ///
    /// A v2 PUT resets a missing opt-in type to Unknown and a missing email
    /// type to PlainText, so give both or say --reset-types.
    Update(UpdateArgs),
    /// Import every row of a CSV or JSONL file (or stdin), with bounded
    /// concurrency, pacing from the X-RateLimit-* headers, and a report.
    ///
    /// CSV headers: `email`, `mobileNumber` and `identifier.NAME` set
    /// identifiers; `lists` holds list ids separated by `;`; any other column
    /// is a data field, typed by a suffix (`AGE:number`, `VIP:boolean`,
    /// `BORN:date`; plain text otherwise). An empty cell leaves the field
    /// untouched; the clear marker (default `#CLEAR`) empties it.
    /// JSONL rows are request bodies: {"identifiers": {...}, "dataFields": {...}, "lists": [...]}.
    Sync(sync::SyncArgs),
}

/// Options shared by the commands that call the API.
#[derive(Debug, Args)]
pub(crate) struct Target {
    /// Run against an embedded sandbox (no account needed). `--sandbox=auto`
    /// does so only when DOTDIGITAL_API_USER is not set, and says which it used.
    #[arg(long, value_enum, num_args = 0..=1, default_missing_value = "always", value_name = "WHEN")]
    pub(crate) sandbox: Option<connect::SandboxMode>,
}

#[derive(Debug, Args)]
struct ImportArgs {
    /// How the contact is looked up: email, mobileNumber, contactId, or a custom identifier's name.
    identifier: String,
    /// The identifier's value.
    value: String,
    /// How sent values merge into an existing contact.
    #[arg(long, value_parser = spec_values::parser(types::MergeOption::ALL), ignore_case = true, default_value_t = types::MergeOption::default())]
    merge_option: types::MergeOption,
    /// Set a data field: NAME=VALUE, or NAME:number=42, NAME:boolean=true, NAME:date=2026-01-05.
    #[arg(long = "set", value_name = "NAME[:type]=VALUE")]
    set: Vec<String>,
    /// Empty a data field (sends null).
    #[arg(long = "clear", value_name = "NAME")]
    clear: Vec<String>,
    /// Add the contact to a list.
    #[arg(long = "list", value_name = "ID")]
    lists: Vec<i32>,
    /// A request body as JSON (a file, or - for stdin), applied before --set/--clear/--list.
    #[arg(long, value_name = "FILE|-")]
    json: Option<PathBuf>,
    #[command(flatten)]
    target: Target,
}

#[derive(Debug, Args)]
struct UpdateArgs {
    /// The contact id (0 creates a contact with a new email).
    id: i32,
    /// The contact's email address.
    #[arg(long)]
    email: String,
    /// Opt-in type to store.
    #[arg(
        long,
        value_parser = spec_values::parser(types::ApiContactOptInType::ALL),
        ignore_case = true,
        required_unless_present = "reset_types",
        requires = "email_type"
    )]
    opt_in_type: Option<types::ApiContactOptInType>,
    /// Email format to store.
    #[arg(
        long,
        value_parser = spec_values::parser(types::ApiContactEmailType::ALL),
        ignore_case = true,
        required_unless_present = "reset_types",
        requires = "opt_in_type"
    )]
    email_type: Option<types::ApiContactEmailType>,
    /// Leave both types out, so Dotdigital resets them to Unknown and PlainText.
    #[arg(long, conflicts_with_all = ["opt_in_type", "email_type"])]
    reset_types: bool,
    /// Set a data field: NAME=VALUE or NAME:type=VALUE.
    #[arg(long = "set", value_name = "NAME[:type]=VALUE")]
    set: Vec<String>,
    /// Empty a data field (sends null).
    #[arg(long = "clear", value_name = "NAME")]
    clear: Vec<String>,
    #[command(flatten)]
    target: Target,
}

/// Turns the command line's identifier name and value into an [`Identifier`].
pub fn identifier(name: &str, value: &str) -> Result<Identifier, String> {
    Ok(match name {
        "email" => Identifier::email(value),
        "mobileNumber" => Identifier::mobile_number(value),
        "contactId" => Identifier::contact_id(
            value
                .parse()
                .map_err(|_| format!("contactId {value:?} is not a number"))?,
        ),
        custom => Identifier::custom(custom, value),
    })
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let filter = match cli.verbose {
        0 => "warn",
        1 => "info",
        _ => "debug",
    };
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
        .init();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli.command)) {
        Ok(code) => code,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn run(command: Command) -> Result<ExitCode, String> {
    let command = match command {
        Command::Sandbox(args) => return sandbox::run(args).await,
        Command::Contacts(command) => command,
    };
    match command {
        ContactsCommand::Import(args) => {
            let connection = connect::connect(args.target.sandbox).await?;
            import(&connection.client, args).await
        }
        ContactsCommand::Update(args) => {
            let connection = connect::connect(args.target.sandbox).await?;
            update(&connection.client, args).await
        }
        ContactsCommand::Sync(args) => {
            let connection = connect::connect(args.target.sandbox).await?;
            sync::run(&connection.client, args).await
        }
    }
}

async fn import(client: &ContactsClient, args: ImportArgs) -> Result<ExitCode, String> {
    let mut import = client
        .import_contact(identifier(&args.identifier, &args.value)?)
        .merge_option(args.merge_option);
    if let Some(path) = &args.json {
        let text = if path.as_os_str() == "-" {
            std::io::read_to_string(std::io::stdin())
                .map_err(|e| format!("cannot read stdin: {e}"))?
        } else {
            std::fs::read_to_string(path)
                .map_err(|e| format!("cannot read {}: {e}", path.display()))?
        };
        let body = serde_json::from_str(&text)
            .map_err(|e| e.to_string())
            .and_then(sync::input::import_body)
            .map_err(|e| format!("{}: not an import body: {e}", path.display()))?;
        import = import.apply(body).map_err(|e| e.to_string())?;
    }
    for assignment in &args.set {
        let (name, value) = field_values::parse_assignment(assignment)?;
        import = import.set(name, value);
    }
    for name in args.clear {
        import = import.clear(name);
    }
    import = import.lists(args.lists);
    let imported = import.send().await.map_err(|e| e.to_string())?;
    let outcome = match imported.outcome {
        ImportOutcome::Created => "created",
        ImportOutcome::Updated => "updated",
    };
    print_json(&serde_json::json!({ "outcome": outcome, "contact": imported.contact }))?;
    Ok(ExitCode::SUCCESS)
}

async fn update(client: &ContactsClient, args: UpdateArgs) -> Result<ExitCode, String> {
    let mut update = match (args.opt_in_type, args.email_type) {
        (Some(opt_in), Some(email_type)) => {
            client.update_contact(args.id, args.email, opt_in, email_type)
        }
        _ => client.update_contact_resetting_types(args.id, args.email),
    };
    for assignment in &args.set {
        let (name, value) = field_values::parse_assignment(assignment)?;
        update = update.set(name, value);
    }
    for name in args.clear {
        update = update.clear(name);
    }
    let updated = update.send().await.map_err(|e| e.to_string())?;
    print_json(&updated.contact)?;
    Ok(ExitCode::SUCCESS)
}

fn print_json(value: &impl serde::Serialize) -> Result<(), String> {
    let text = serde_json::to_string_pretty(value).map_err(|e| e.to_string())?;
    println!("{text}");
    Ok(())
}
