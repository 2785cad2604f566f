//! `dotdigital contacts sync`: stream rows from a file, import them with
//! bounded concurrency and rate-limit pacing, and account for every row.

pub(crate) mod input;
mod pacer;
mod report;

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use dotdigital_contacts::{ContactsClient, Delivery, ImportOutcome};
use indicatif::{ProgressBar, ProgressStyle};
use tokio::sync::{Semaphore, mpsc};

pub use input::Format;
use input::{Row, Source};
use pacer::Pacer;
use report::{DoneRows, Line, Report, Status};

use dotdigital_contacts::types;

#[derive(Debug, clap::Args)]
pub struct SyncArgs {
    /// A CSV or JSONL file, or - for stdin.
    input: PathBuf,
    /// The identifier rows are looked up by: email, mobileNumber, contactId, or a custom identifier's name.
    #[arg(long, default_value = "email")]
    identifier: String,
    /// How sent values merge into existing contacts.
    #[arg(long, value_parser = crate::spec_values::parser(types::MergeOption::ALL), ignore_case = true, default_value_t = types::MergeOption::default())]
    merge_option: types::MergeOption,
    /// How many imports are in flight at once.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=256))]
    concurrency: u16,
    /// Write a JSONL report: one line per row (row, identifier, created/updated/failed, error).
    #[arg(long, value_name = "FILE")]
    report: Option<PathBuf>,
    /// Skip the rows the report already records as created or updated, and append to it.
    #[arg(long, requires = "report")]
    resume: bool,
    /// The input format (default: `.jsonl`/`.ndjson` files are JSONL, anything else CSV).
    #[arg(long, value_enum)]
    format: Option<Format>,
    /// The CSV cell value that empties a data field (sends null).
    #[arg(long, default_value = "#CLEAR")]
    clear_marker: String,
    #[command(flatten)]
    pub(crate) target: crate::Target,
}

#[derive(Debug, Default)]
struct Tally {
    created: u64,
    updated: u64,
    failed: u64,
    skipped: u64,
}

impl Tally {
    fn done(&self) -> u64 {
        self.created + self.updated + self.failed
    }
}

/// How many rows the reader hands over at a time.
const ROWS_PER_BATCH: usize = 64;

pub async fn run(client: &ContactsClient, args: SyncArgs) -> Result<ExitCode, String> {
    let done = match (&args.report, args.resume) {
        (Some(path), true) => DoneRows::read(path)?,
        _ => DoneRows::default(),
    };
    let mut report = match &args.report {
        Some(path) => Report::open(path, args.resume)?,
        None => Report::none(),
    };
    let format = Format::of(&args.input, args.format);
    let mut source = Source::open(&args.input, format, &args.identifier, &args.clear_marker)?;
    // Rows are read on a blocking thread into a small queue (constant
    // memory), in batches: a thread woken per row cost more CPU than the row.
    let concurrency = usize::from(args.concurrency);
    let (row_tx, mut row_rx) = mpsc::channel::<Vec<Row>>(2);
    let reader = tokio::task::spawn_blocking(move || {
        loop {
            let batch: Vec<Row> = std::iter::from_fn(|| source.next_row())
                .take(ROWS_PER_BATCH)
                .collect();
            let last = batch.len() < ROWS_PER_BATCH;
            if batch.is_empty() || row_tx.blocking_send(batch).is_err() || last {
                break;
            }
        }
    });

    let (line_tx, mut line_rx) = mpsc::channel::<Line>(concurrency * 2);
    let pacer = Arc::new(Pacer::new());
    let permits = Arc::new(Semaphore::new(concurrency));
    let merge_option = args.merge_option;
    let client = client.clone();
    let dispatcher = tokio::spawn(async move {
        let (mut skipped, mut interrupted_by_user) = (0u64, false);
        let interrupted = tokio::signal::ctrl_c();
        tokio::pin!(interrupted);
        let mut batch = Vec::new().into_iter();
        loop {
            let row = match batch.next() {
                Some(row) => row,
                None => tokio::select! {
                    next = row_rx.recv() => match next {
                        Some(next) => {
                            batch = next.into_iter();
                            continue;
                        }
                        None => break,
                    },
                    _ = &mut interrupted => {
                        interrupted_by_user = true;
                        break;
                    }
                },
            };
            if done.contains(row.number) {
                skipped += 1;
                continue;
            }
            let (identifier, body) = match row.import {
                Ok(import) => import,
                Err(error) => {
                    let line = Line {
                        row: row.number,
                        identifier: row.key,
                        status: Status::Failed,
                        contact_id: None,
                        error: Some(error),
                        delivery: Some("not-sent".into()),
                    };
                    if line_tx.send(line).await.is_err() {
                        break;
                    }
                    continue;
                }
            };
            // A row may wait long for its turn (rate limits): an interrupt
            // must not wait for it.
            let permit = tokio::select! {
                permit = permits.clone().acquire_owned() => match permit {
                    Ok(permit) => permit,
                    Err(_) => break,
                },
                _ = &mut interrupted => {
                    interrupted_by_user = true;
                    break;
                }
            };
            let (client, pacer, line_tx) = (client.clone(), pacer.clone(), line_tx.clone());
            tokio::spawn(async move {
                let key = row.key;
                pacer.wait_turn().await;
                let result = match client
                    .import_contact(identifier)
                    .merge_option(merge_option)
                    .apply(body)
                {
                    Ok(import) => import.send().await,
                    Err(error) => Err(error),
                };
                let line = match result {
                    Ok(imported) => {
                        pacer.observe(imported.rate_limit.as_ref());
                        let status = if imported.outcome == ImportOutcome::Created {
                            Status::Created
                        } else {
                            Status::Updated
                        };
                        Line {
                            row: row.number,
                            identifier: key,
                            status,
                            contact_id: Some(imported.contact.contact_id),
                            error: None,
                            delivery: None,
                        }
                    }
                    Err(error) => {
                        pacer.observe(error.rate_limit());
                        let delivery = match error.delivery() {
                            Delivery::NotSent => "not-sent",
                            Delivery::MaybeSent => "maybe-sent",
                            Delivery::Sent => "sent",
                        };
                        Line {
                            row: row.number,
                            identifier: key,
                            status: Status::Failed,
                            contact_id: None,
                            error: Some(error.to_string()),
                            delivery: Some(delivery.into()),
                        }
                    }
                };
                // The receiver lives until every sender is gone.
                let _ = line_tx.send(line).await;
                drop(permit);
            });
        }
        if interrupted_by_user {
            eprintln!("interrupted: finishing the rows in flight; rerun with --resume to continue");
        }
        (skipped, interrupted_by_user)
    });

    let started = Instant::now();
    let progress = Progress::new(&args.input, format);
    // Counted on a runtime worker, like the rows: the thread that started the
    // runtime is woken only once, at the end.
    let counter = tokio::spawn(async move {
        let mut tally = Tally::default();
        while let Some(line) = line_rx.recv().await {
            match line.status {
                Status::Created => tally.created += 1,
                Status::Updated => tally.updated += 1,
                Status::Failed => tally.failed += 1,
            }
            report.write(&line)?;
            progress.update(&tally, started);
        }
        Ok::<_, String>((tally, report, progress))
    });
    let stopped = |e: tokio::task::JoinError| format!("the sync stopped: {e}");
    let (mut tally, report, progress) = counter.await.map_err(stopped)??;
    let (skipped, interrupted) = dispatcher.await.map_err(stopped)?;
    tally.skipped = skipped;
    reader.abort();
    progress.finish();

    let elapsed = started.elapsed();
    println!(
        "rows: {} (created {}, updated {}, failed {}, skipped {})",
        tally.done() + tally.skipped,
        tally.created,
        tally.updated,
        tally.failed,
        tally.skipped
    );
    println!(
        "elapsed: {:.1}s, {:.1} rows/s",
        elapsed.as_secs_f64(),
        tally.done() as f64 / elapsed.as_secs_f64().max(1e-9)
    );
    if let Some(path) = report.path() {
        println!("report: {}", path.display());
    }
    Ok(if interrupted {
        // 128 + SIGINT, as shells report an interrupted command.
        ExitCode::from(130)
    } else if tally.failed > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// A progress bar on a terminal, a line every few seconds otherwise.
struct Progress {
    bar: Option<ProgressBar>,
    last_line: std::sync::Mutex<Instant>,
}

impl Progress {
    fn new(input: &Path, format: Format) -> Self {
        let bar = std::io::stderr().is_terminal().then(|| {
            // Reading the file a second time is only worth it for a bar's ETA.
            let total = input::count_rows(input, format);
            let bar = total.map_or_else(ProgressBar::new_spinner, ProgressBar::new);
            let template = "{bar:30} {pos}/{len} rows, {per_sec}, eta {eta} {msg}";
            if let Ok(style) = ProgressStyle::with_template(template) {
                bar.set_style(style);
            }
            bar
        });
        Progress {
            bar,
            last_line: std::sync::Mutex::new(Instant::now()),
        }
    }

    fn update(&self, tally: &Tally, started: Instant) {
        if let Some(bar) = &self.bar {
            bar.set_position(tally.done());
            bar.set_message(format!(
                "(created {}, updated {}, failed {})",
                tally.created, tally.updated, tally.failed
            ));
            return;
        }
        let mut last = self
            .last_line
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if last.elapsed() >= Duration::from_secs(5) {
            *last = Instant::now();
            eprintln!(
                "progress: {} rows (created {}, updated {}, failed {}), {:.0} rows/s",
                tally.done(),
                tally.created,
                tally.updated,
                tally.failed,
                tally.done() as f64 / started.elapsed().as_secs_f64().max(1e-9)
            );
        }
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
