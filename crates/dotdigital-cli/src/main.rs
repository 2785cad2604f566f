//! `dotdigital`: write contacts into Dotdigital from the command line.

mod connect;
mod failure;
mod field_values;
mod schema;
mod spec_values;
mod sync;
mod terminal;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use dotdigital_contacts::types;
use dotdigital_contacts::{ContactsClient, Identifier};
use dotdigital_sandbox::command_line::{ABOUT, AFTER_HELP, SandboxArgs};

use failure::{Exit, Failure};
use terminal::Stderr;

/// Import, update and bulk-sync Dotdigital contacts.
///
/// Credentials come from DOTDIGITAL_API_USER and DOTDIGITAL_API_PASSWORD (or a
/// prompt on a terminal); DOTDIGITAL_REGION (r1, r2, r3) or DOTDIGITAL_BASE_URL
/// choose the host, DOTDIGITAL_INTEGRATION_TOKEN adds a partner token.
#[derive(Debug, Parser)]
#[command(name = "dotdigital", version, propagate_version = true, after_help = EXIT_CODES)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Write contacts: import (v3 upsert), update (v2 replace), sync (bulk).
    Contacts(ContactsArgs),
    #[command(about = ABOUT, long_about = None, after_help = AFTER_HELP)]
    Sandbox(SandboxArgs),
}

#[derive(Debug, Args)]
struct ContactsArgs {
    /// Log each retry and progress details to stderr (-v info, -vv debug).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    verbose: u8,
    #[command(subcommand)]
    command: ContactsCommand,
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
    /// untouched; the clear marker (default `#CLEAR`) empties it. Unquoted
    /// cells are trimmed, quoted ones kept as they are. A column named twice
    /// is refused; a row with more or fewer cells than the header fails.
    /// Rows for the same contact are applied in file order (the last wins).
    /// JSONL rows are request bodies: {"identifiers": {...}, "dataFields": {...}, "lists": [...]}.
    Sync(sync::SyncArgs),
    /// Print the JSON Schema of one JSONL sync row (--update: of a v2 update
    /// body), to validate an export with a standard validator before a sync.
    Schema(schema::SchemaArgs),
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

const EXIT_CODES: &str = "\
Exit codes: 0 done; 1 the request or some rows failed; 2 usage (bad arguments or
input); 3 credentials or configuration (missing, refused with 401/403); 4 the
service could not be reached (or kept answering 5xx/429); 130 interrupted.";

fn main() -> ExitCode {
    let cli = Cli::parse();
    // The sandbox's command line is shared with its own binary: no -v there.
    let verbose = match &cli.command {
        Command::Contacts(contacts) => contacts.verbose,
        Command::Sandbox(_) => 0,
    };
    let filter = match verbose {
        0 => "warn",
        1 => "info",
        _ => "debug",
    };
    let stderr = Stderr::default();
    tracing_subscriber::fmt()
        .with_writer(stderr.clone())
        .with_ansi(Stderr::colours())
        .fmt_fields(escaped_fields())
        .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
        .init();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(e) => {
            stderr.line(&format!("error: cannot start the async runtime: {e}"));
            return Exit::Failed.into();
        }
    };
    match runtime.block_on(run(cli.command, &stderr, verbose > 0)) {
        Ok(exit) => exit.into(),
        Err(failure) => {
            stderr.hide();
            stderr.line(&format!("error: {}", failure.message));
            failure.exit.into()
        }
    }
}

/// Log fields as `name=value`, their control characters escaped and cut to
/// [`terminal::QUOTED_CHARS`]: a retry's log line quotes the server's answer,
/// which must not reach the terminal raw (the default field formatter writes
/// it as it is).
fn escaped_fields() -> impl for<'w> tracing_subscriber::fmt::FormatFields<'w> {
    use tracing_subscriber::field::MakeExt;
    tracing_subscriber::fmt::format::debug_fn(|writer, field, value| {
        let text = format!("{value:?}");
        let text = terminal::escape(&terminal::cut(&text, terminal::QUOTED_CHARS)).into_owned();
        match field.name() {
            "message" => writer.write_str(&text),
            name => write!(writer, "{name}={text}"),
        }
    })
    .delimited(" ")
}

async fn run(command: Command, stderr: &Stderr, verbose: bool) -> Result<Exit, Failure> {
    let command = match command {
        Command::Sandbox(args) => {
            args.run()
                .await
                .map_err(|e| Failure::new(Exit::Configuration, failure::with_causes(&e)))?;
            return Ok(Exit::Done);
        }
        Command::Contacts(contacts) => contacts.command,
    };
    match command {
        ContactsCommand::Import(args) => {
            let connection =
                connect::connect(args.target.sandbox, connect::DEFAULT_TIMEOUT).await?;
            import(&connection.client, args).await
        }
        ContactsCommand::Update(args) => {
            let connection =
                connect::connect(args.target.sandbox, connect::DEFAULT_TIMEOUT).await?;
            update(&connection.client, args).await
        }
        ContactsCommand::Sync(args) => sync::run(args, stderr, verbose).await,
        ContactsCommand::Schema(args) => schema::run(&args),
    }
}

async fn import(client: &ContactsClient, args: ImportArgs) -> Result<Exit, Failure> {
    let mut import = client
        .import_contact(
            Identifier::from_name(&args.identifier, args.value.as_str())
                .map_err(|e| Failure::usage(e.to_string()))?,
        )
        .merge_option(args.merge_option);
    if let Some(path) = &args.json {
        let text = if path.as_os_str() == "-" {
            std::io::read_to_string(std::io::stdin())
                .map_err(|e| Failure::usage(format!("cannot read stdin: {e}")))?
        } else {
            std::fs::read_to_string(path)
                .map_err(|e| Failure::usage(format!("cannot read {}: {e}", path.display())))?
        };
        let body = serde_json::from_str(&text)
            .map_err(|e| e.to_string())
            .and_then(sync::input::import_body)
            .map_err(|e| Failure::usage(format!("{}: not an import body: {e}", path.display())))?;
        import = import.apply(body)?;
    }
    for assignment in &args.set {
        let (name, value) = field_values::parse_assignment(assignment).map_err(Failure::usage)?;
        import = import.set(name, value);
    }
    for name in args.clear {
        import = import.clear(name);
    }
    import = import.lists(args.lists);
    let imported = import.send().await?;
    let outcome = imported.outcome.as_str();
    print_json(&serde_json::json!({ "outcome": outcome, "contact": imported.contact }))
}

async fn update(client: &ContactsClient, args: UpdateArgs) -> Result<Exit, Failure> {
    let mut update = match (args.opt_in_type, args.email_type) {
        (Some(opt_in), Some(email_type)) => {
            client.update_contact(args.id, args.email, opt_in, email_type)
        }
        _ => client.update_contact_resetting_types(args.id, args.email),
    };
    for assignment in &args.set {
        let (name, value) = field_values::parse_assignment(assignment).map_err(Failure::usage)?;
        update = update.set(name, value);
    }
    for name in args.clear {
        update = update.clear(name);
    }
    let updated = update.send().await?;
    print_json(&updated.contact)
}

fn print_json(value: &impl serde::Serialize) -> Result<Exit, Failure> {
    let text = serde_json::to_string_pretty(value)
        .map_err(|e| Failure::new(Exit::Failed, e.to_string()))?;
    terminal::print(&text);
    Ok(Exit::Done)
}
