//! `dotdigital contacts sync`: stream rows from a file, import them with
//! bounded concurrency and rate-limit pacing, and account for every row.

pub(crate) mod input;
mod pacer;
mod progress;
mod report;

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use dotdigital_contacts::{ContactsClient, Delivery, Identifier, ImportOutcome, RetryPolicy};
use tokio::sync::{Semaphore, mpsc, watch};

pub use input::Format;
use input::{Row, Source};
use pacer::Pacer;
use progress::Progress;
use report::{DoneRows, Line, Report, Status};

use crate::failure::{Exit, Failure, with_causes};
use crate::terminal::{self, Stderr};
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
    /// At most this many calls a minute, to leave part of the API user's
    /// budget to other integrations (the X-RateLimit-* headers still pace it
    /// further when they say so).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    max_rate: Option<u32>,
    /// How often a row is retried after a transient failure (5xx, 429, a
    /// dropped connection) before it counts as failed; imports that append
    /// consent records or send an email are retried only when certainly not applied.
    #[arg(long, value_name = "N", default_value_t = 8)]
    retries: u32,
    /// Write a JSONL report: one line per row (row, identifier, created/updated/failed, error).
    #[arg(long, value_name = "FILE")]
    report: Option<PathBuf>,
    /// Skip the rows the report already records as created or updated, and append to it.
    #[arg(long, requires = "report")]
    resume: bool,
    /// Read and check every row as the client would, write the report, send nothing.
    #[arg(long, conflicts_with = "resume")]
    dry_run: bool,
    /// The input format (default: `.jsonl`/`.ndjson` files are JSONL, anything else CSV).
    #[arg(long, value_enum)]
    format: Option<Format>,
    /// The CSV cell value that empties a data field (sends null).
    #[arg(long, default_value = "#CLEAR")]
    clear_marker: String,
    #[command(flatten)]
    pub(crate) target: crate::Target,
}

/// Rows by outcome so far.
#[derive(Debug, Default)]
struct Tally {
    created: u64,
    updated: u64,
    valid: u64,
    failed: u64,
    skipped: u64,
    retried: u64,
    dry_run: bool,
}

impl Tally {
    fn done(&self) -> u64 {
        self.created + self.updated + self.valid + self.failed
    }

    /// `created 3, updated 1, failed 0`, or in a dry run `valid 4, failed 0`.
    fn counts(&self) -> String {
        if self.dry_run {
            format!("valid {}, failed {}", self.valid, self.failed)
        } else {
            format!(
                "created {}, updated {}, failed {}",
                self.created, self.updated, self.failed
            )
        }
    }
}

/// Why dispatching stopped early.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stop {
    Interrupted,
    /// Every further row would fail the same way (credentials, no connection).
    Fatal(Exit),
}

/// How many rows the reader hands over at a time.
const ROWS_PER_BATCH: usize = 64;

pub async fn run(args: SyncArgs, stderr: &Stderr, verbose: bool) -> Result<Exit, Failure> {
    let format = Format::of(&args.input, args.format);
    let (mut report, done) = match &args.report {
        Some(path) if args.resume => {
            let max_row = input::max_row(&args.input).map_err(Failure::usage)?;
            Report::resume(path, max_row, |notice| stderr.line(notice))?
        }
        Some(path) => (Report::create(path)?, DoneRows::default()),
        None => (Report::none(), DoneRows::default()),
    };
    let mut source = Source::open(&args.input, format, &args.identifier, &args.clear_marker)
        .map_err(Failure::usage)?;
    let retried = Arc::new(AtomicU64::new(0));
    let connection = if args.dry_run {
        crate::connect::offline()?
    } else {
        crate::connect::connect(args.target.sandbox).await?
    };
    let counter = retried.clone();
    let client = connection
        .client
        .clone()
        .with_retry_policy(RetryPolicy::default().max_retries(args.retries))
        .with_on_retry(move |_| {
            counter.fetch_add(1, Ordering::Relaxed);
        });

    // Rows are read on a blocking thread into a small queue (constant
    // memory), in batches: a thread woken per row cost more CPU than the row.
    let concurrency = usize::from(args.concurrency);
    let (row_tx, row_rx) = mpsc::channel::<Vec<Row>>(2);
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

    let (stop_tx, stop_rx) = watch::channel(None::<Stop>);
    let interrupt = {
        let stop_tx = stop_tx.clone();
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                stop_tx.send_replace(Some(Stop::Interrupted));
            }
        })
    };
    let (line_tx, mut line_rx) = mpsc::channel::<Line>(concurrency * 2);
    let dispatcher = Dispatcher {
        client,
        pacer: Arc::new(Pacer::new(args.max_rate)),
        permits: Arc::new(Semaphore::new(concurrency)),
        merge_option: args.merge_option,
        dry_run: args.dry_run,
        done,
        line_tx,
        stop_tx,
        stderr: stderr.clone(),
    };
    let dispatcher = tokio::spawn(dispatcher.run(row_rx, stop_rx.clone()));

    let started = Instant::now();
    let mut progress = Progress::new(&args.input, format, stderr);
    let dry_run = args.dry_run;
    let retried_now = retried.clone();
    // Counted on a runtime worker, like the rows: the thread that started the
    // runtime is woken only once, at the end.
    let counter = tokio::spawn(async move {
        let mut tally = Tally {
            dry_run,
            ..Tally::default()
        };
        // Every line ready at once is one write to the report.
        let mut lines = Vec::with_capacity(concurrency * 2);
        while line_rx.recv_many(&mut lines, concurrency * 2).await > 0 {
            for line in lines.drain(..) {
                match line.status {
                    Status::Created => tally.created += 1,
                    Status::Updated => tally.updated += 1,
                    Status::Valid => tally.valid += 1,
                    Status::Failed => tally.failed += 1,
                }
                report.write(&line)?;
            }
            report.flush()?;
            tally.retried = retried_now.load(Ordering::Relaxed);
            progress.update(&tally);
        }
        Ok::<_, Failure>((tally, report, progress))
    });
    let stopped =
        |e: tokio::task::JoinError| Failure::new(Exit::Failed, format!("the sync stopped: {e}"));
    let (mut tally, report, progress) = counter.await.map_err(stopped)??;
    tally.skipped = dispatcher.await.map_err(stopped)?;
    tally.retried = retried.load(Ordering::Relaxed);
    interrupt.abort();
    reader.abort();
    progress.finish();
    drop(connection);

    let elapsed = started.elapsed();
    let total = tally.done() + tally.skipped;
    terminal::print(&if dry_run {
        format!("rows: {total} ({}); dry run, nothing sent", tally.counts())
    } else {
        format!(
            "rows: {total} ({}, skipped {}), retried {}",
            tally.counts(),
            tally.skipped,
            tally.retried
        )
    });
    terminal::print(&format!(
        "elapsed: {:.1} s, {:.0} rows/s",
        elapsed.as_secs_f64(),
        tally.done() as f64 / elapsed.as_secs_f64().max(1e-9)
    ));
    if let Some(path) = report.path() {
        terminal::print(&format!("report: {}", path.display()));
    }
    if verbose && tally.retried > 0 {
        stderr.line(&format!("{} retries in all", tally.retried));
    }
    let stop = *stop_rx.borrow();
    Ok(match stop {
        Some(Stop::Interrupted) => Exit::Interrupted,
        Some(Stop::Fatal(exit)) => exit,
        None if tally.failed > 0 => Exit::Failed,
        None => Exit::Done,
    })
}

/// Hands rows out to import tasks, within the concurrency limit and the pace.
struct Dispatcher {
    client: ContactsClient,
    pacer: Arc<Pacer>,
    permits: Arc<Semaphore>,
    merge_option: types::MergeOption,
    dry_run: bool,
    done: DoneRows,
    line_tx: mpsc::Sender<Line>,
    stop_tx: watch::Sender<Option<Stop>>,
    stderr: Stderr,
}

impl Dispatcher {
    /// Runs until the input ends or a stop; returns how many rows were skipped
    /// as already done.
    async fn run(
        self,
        mut row_rx: mpsc::Receiver<Vec<Row>>,
        mut stop: watch::Receiver<Option<Stop>>,
    ) -> u64 {
        let mut skipped = 0u64;
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
                    _ = stop.wait_for(Option::is_some) => break,
                },
            };
            if self.done.contains(row.number) {
                skipped += 1;
                continue;
            }
            let (identifier, body) = match row.import {
                Ok(import) => import,
                Err(error) => {
                    let line = failed(row.number, row.key, error, Delivery::NotSent);
                    if self.line_tx.send(line).await.is_err() {
                        break;
                    }
                    continue;
                }
            };
            if self.dry_run {
                let line = self.check(row.number, row.key, identifier, body);
                if self.line_tx.send(line).await.is_err() {
                    break;
                }
                continue;
            }
            // A row may wait long for its turn (rate limits): a stop must not wait for it.
            let permit = tokio::select! {
                permit = self.permits.clone().acquire_owned() => match permit {
                    Ok(permit) => permit,
                    Err(_) => break,
                },
                _ = stop.wait_for(Option::is_some) => break,
            };
            let task = ImportRow {
                client: self.client.clone(),
                pacer: self.pacer.clone(),
                merge_option: self.merge_option,
                stop_tx: self.stop_tx.clone(),
                stderr: self.stderr.clone(),
            };
            let line_tx = self.line_tx.clone();
            tokio::spawn(async move {
                let line = task.run(row.number, row.key, identifier, body).await;
                // The receiver lives until every sender is gone.
                let _ = line_tx.send(line).await;
                drop(permit);
            });
        }
        if *stop.borrow() == Some(Stop::Interrupted) {
            self.stderr
                .line("interrupted: finishing the rows in flight; rerun with --resume to continue");
        }
        skipped
    }

    /// `--dry-run`: every check the client makes before the network.
    fn check(
        &self,
        number: u64,
        key: String,
        identifier: Identifier,
        body: types::ImportContactRequest,
    ) -> Line {
        let checked = self
            .client
            .import_contact(identifier)
            .merge_option(self.merge_option)
            .apply(body)
            .and_then(|import| import.to_request());
        match checked {
            Ok(_) => Line {
                row: number,
                identifier: key,
                status: Status::Valid,
                contact_id: None,
                error: None,
                delivery: None,
            },
            Err(error) => failed(number, key, error.to_string(), Delivery::NotSent),
        }
    }
}

/// One row's import, with what it needs to pace itself and stop the sync.
struct ImportRow {
    client: ContactsClient,
    pacer: Arc<Pacer>,
    merge_option: types::MergeOption,
    stop_tx: watch::Sender<Option<Stop>>,
    stderr: Stderr,
}

impl ImportRow {
    async fn run(
        self,
        number: u64,
        key: String,
        identifier: Identifier,
        body: types::ImportContactRequest,
    ) -> Line {
        self.pacer.wait_turn().await;
        let result = match self
            .client
            .import_contact(identifier)
            .merge_option(self.merge_option)
            .apply(body)
        {
            Ok(import) => import.send().await,
            Err(error) => Err(error),
        };
        match result {
            Ok(imported) => {
                self.pacer.observe(imported.rate_limit.as_ref());
                let status = if imported.outcome == ImportOutcome::Created {
                    Status::Created
                } else {
                    Status::Updated
                };
                Line {
                    row: number,
                    identifier: key,
                    status,
                    contact_id: Some(imported.contact.contact_id),
                    error: None,
                    delivery: None,
                }
            }
            Err(error) => {
                self.pacer.observe(error.rate_limit());
                if let Some(exit) = Exit::stops_a_sync(&error) {
                    let first = self.stop_tx.send_if_modified(|stop| {
                        stop.is_none()
                            .then(|| *stop = Some(Stop::Fatal(exit)))
                            .is_some()
                    });
                    if first {
                        self.stderr.line(&format!(
                            "error: stopping the sync: {}\nthe rows in flight finish; fix the cause and rerun with --resume",
                            with_causes(&error)
                        ));
                    }
                }
                failed(number, key, error.to_string(), error.delivery())
            }
        }
    }
}

fn failed(number: u64, key: String, error: String, delivery: Delivery) -> Line {
    let delivery = match delivery {
        Delivery::NotSent => "not-sent",
        Delivery::MaybeSent => "maybe-sent",
        Delivery::Sent => "sent",
    };
    Line {
        row: number,
        identifier: key,
        status: Status::Failed,
        contact_id: None,
        error: Some(error),
        delivery: Some(delivery.into()),
    }
}
