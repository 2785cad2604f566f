//! `dotdigital contacts sync`: stream rows from a file, import them with
//! bounded concurrency and rate-limit pacing, and account for every row.

mod csv_cells;
mod failures;
pub(crate) mod input;
mod order;
mod pacer;
mod progress;
mod report;
mod slow;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use dotdigital_contacts::{ContactsClient, Delivery, ImportOutcome, RetryPolicy};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc, watch};

use failures::{Failures, Reason};
pub use input::Format;
use input::{Row, RowImport, Source};
use order::{ContactOrder, Turn};
use pacer::Pacer;
use progress::Progress;
use report::{Line, MadeFrom, Report, Resumed, Status};
use slow::SlowCalls;

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
    /// dropped connection, a timeout) before it counts as failed; imports that
    /// append consent records or send an email are retried only when certainly
    /// not applied.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_RETRIES)]
    retries: u32,
    /// How long one attempt waits for an answer, in seconds. With the
    /// defaults (30 s, 8 retries) a row that never gets an answer gives up
    /// after at most 9 attempts of 30 s plus 31.75 s of backoff: 5 min 2 s
    /// (longer only when a 429 asks for a wait, at most 60 s each).
    #[arg(long, value_name = "SECS", default_value_t = DEFAULT_TIMEOUT_SECS, value_parser = clap::value_parser!(u64).range(1..=3600))]
    timeout: u64,
    /// Write a JSONL report: a first line naming the input (size, hash,
    /// options), then one line per row (row, identifier,
    /// created/updated/failed, error).
    #[arg(long, value_name = "FILE")]
    report: Option<PathBuf>,
    /// Skip the rows the report already records as created or updated, and
    /// append to it. Refused (exit 2) when the input or its options changed.
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

/// `--retries` by default.
const DEFAULT_RETRIES: u32 = 8;
/// `--timeout` by default, in seconds: the wrapper's own default.
const DEFAULT_TIMEOUT_SECS: u64 = 30;

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

    fn count(&mut self, status: Status) {
        match status {
            Status::Created => self.created += 1,
            Status::Updated => self.updated += 1,
            Status::Valid => self.valid += 1,
            Status::Failed => self.failed += 1,
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
    // The input first: a bad header must not leave a new report behind.
    let source = Source::open(&args.input, format, &args.identifier, &args.clear_marker)
        .map_err(Failure::usage)?;
    let (report, resumed) = open_report(&args, format, stderr)?;
    let retried = Arc::new(AtomicU64::new(0));
    let timeout = Duration::from_secs(args.timeout);
    let connection = if args.dry_run {
        crate::connect::offline()?
    } else {
        crate::connect::connect(args.target.sandbox, timeout).await?
    };
    let counter = retried.clone();
    let policy = RetryPolicy::default().max_retries(args.retries);
    let slow = Arc::new(SlowCalls::new(stderr, timeout, &policy));
    let client = connection
        .client
        .clone()
        .with_retry_policy(policy)
        .with_on_retry(move |_| {
            counter.fetch_add(1, Ordering::Relaxed);
        });

    let concurrency = usize::from(args.concurrency);
    let (row_rx, reader) = read_rows(source);
    let (stop_tx, stop_rx) = watch::channel(None::<Stop>);
    let interrupt = stop_on_ctrl_c(stop_tx.clone());
    let (line_tx, line_rx) = mpsc::channel::<Line>(concurrency * 2);
    let dispatcher = Dispatcher {
        client,
        pacer: Arc::new(Pacer::new(args.max_rate)),
        permits: Arc::new(Semaphore::new(concurrency)),
        waiting: Arc::new(Semaphore::new(concurrency)),
        order: ContactOrder::new(concurrency),
        merge_option: args.merge_option,
        dry_run: args.dry_run,
        resumed,
        line_tx,
        stop_tx,
        slow,
        stderr: stderr.clone(),
    };
    let dispatcher = tokio::spawn(dispatcher.run(row_rx, stop_rx.clone()));

    let started = Instant::now();
    let progress = Progress::new(&args.input, format, stderr);
    let tally = Tally {
        dry_run: args.dry_run,
        ..Tally::default()
    };
    let failures = Failures::new(stderr, report.path().map(Path::to_owned));
    // Counted on a runtime worker, like the rows: the thread that started the
    // runtime is woken only once, at the end.
    let counter = tokio::spawn(count_lines(
        line_rx,
        Counted {
            tally,
            report,
            progress,
            failures,
        },
        retried.clone(),
        concurrency * 2,
    ));
    let stopped =
        |e: tokio::task::JoinError| Failure::new(Exit::Failed, format!("the sync stopped: {e}"));
    let mut counted = counter.await.map_err(stopped)??;
    counted.tally.skipped = dispatcher.await.map_err(stopped)?;
    counted.tally.retried = retried.load(Ordering::Relaxed);
    interrupt.abort();
    reader.abort();
    counted.progress.finish();
    drop(connection);

    counted.failures.finish();
    print_summary(&counted, started.elapsed(), verbose, stderr);
    let stop = *stop_rx.borrow();
    Ok(match stop {
        Some(Stop::Interrupted) => Exit::Interrupted,
        Some(Stop::Fatal(exit)) => exit,
        None if counted.tally.failed > 0 => Exit::Failed,
        None => Exit::Done,
    })
}

/// Rows are read on a blocking thread into a small queue (constant memory),
/// in batches: a thread woken per row cost more CPU than the row.
fn read_rows(mut source: Source) -> (mpsc::Receiver<Vec<Row>>, tokio::task::JoinHandle<()>) {
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
    (row_rx, reader)
}

fn stop_on_ctrl_c(stop_tx: watch::Sender<Option<Stop>>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            stop_tx.send_replace(Some(Stop::Interrupted));
        }
    })
}

/// The report to write, and what a resumed one says is done. The report
/// records what it was made from; `--resume` refuses another input.
fn open_report(
    args: &SyncArgs,
    format: Format,
    stderr: &Stderr,
) -> Result<(Report, Resumed), Failure> {
    let Some(path) = &args.report else {
        return Ok((Report::none(), Resumed::default()));
    };
    let identity = input::identity(&args.input).map_err(Failure::usage)?;
    let made = MadeFrom::new(
        &args.input,
        identity.as_ref(),
        format,
        &args.identifier,
        &args.clear_marker,
    );
    if !args.resume {
        return Ok((Report::create(path, &made)?, Resumed::default()));
    }
    let Some(identity) = identity else {
        return Err(Failure::usage(
            "--resume needs the input as a file: stdin or a pipe cannot be checked to be the input the report was made from",
        ));
    };
    Report::resume(path, &made, identity.lines, |notice| stderr.line(notice))
}

/// What the line counter owns, and hands back at the end.
struct Counted {
    tally: Tally,
    report: Report,
    progress: Progress,
    failures: Failures,
}

/// Counts the finished rows, writes their report lines, shows the first
/// failures and keeps the progress up to date.
async fn count_lines(
    mut line_rx: mpsc::Receiver<Line>,
    mut counted: Counted,
    retried: Arc<AtomicU64>,
    batch: usize,
) -> Result<Counted, Failure> {
    // Every line ready at once is one write to the report.
    let mut lines = Vec::with_capacity(batch);
    while line_rx.recv_many(&mut lines, batch).await > 0 {
        for line in lines.drain(..) {
            counted.tally.count(line.status);
            if line.status == Status::Failed {
                counted.failures.add(&line);
            }
            counted.report.write(&line)?;
        }
        counted.report.flush()?;
        counted.tally.retried = retried.load(Ordering::Relaxed);
        counted.progress.update(&counted.tally);
    }
    Ok(counted)
}

fn print_summary(counted: &Counted, elapsed: Duration, verbose: bool, stderr: &Stderr) {
    let tally = &counted.tally;
    let total = tally.done() + tally.skipped;
    terminal::print(&if tally.dry_run {
        format!("rows: {total} ({}); dry run, nothing sent", tally.counts())
    } else {
        format!(
            "rows: {total} ({}, skipped {}), retried {}",
            tally.counts(),
            tally.skipped,
            tally.retried
        )
    });
    if let Some(reasons) = counted.failures.by_reason() {
        terminal::print(&format!("failed rows by reason: {reasons}"));
    }
    terminal::print(&format!(
        "elapsed: {:.1} s, {:.0} rows/s",
        elapsed.as_secs_f64(),
        tally.done() as f64 / elapsed.as_secs_f64().max(1e-9)
    ));
    if let Some(path) = counted.report.path() {
        terminal::print(&format!("report: {}", path.display()));
    }
    if verbose && tally.retried > 0 {
        stderr.line(&format!("{} retries in all", tally.retried));
    }
}

/// Hands rows out to import tasks, within the concurrency limit and the
/// pace, each after the earlier rows for its contact.
struct Dispatcher {
    client: ContactsClient,
    pacer: Arc<Pacer>,
    permits: Arc<Semaphore>,
    /// Rows waiting for an earlier row of their contact, as many as permits.
    waiting: Arc<Semaphore>,
    order: ContactOrder,
    merge_option: types::MergeOption,
    dry_run: bool,
    resumed: Resumed,
    line_tx: mpsc::Sender<Line>,
    stop_tx: watch::Sender<Option<Stop>>,
    slow: Arc<SlowCalls>,
    stderr: Stderr,
}

impl Dispatcher {
    /// Runs until the input ends or a stop; returns how many rows were skipped
    /// as already done.
    async fn run(
        mut self,
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
            if self.resumed.done.contains(row.number) {
                skipped += 1;
                continue;
            }
            if !self.dispatch(row, &mut stop).await {
                break;
            }
        }
        if *stop.borrow() == Some(Stop::Interrupted) {
            self.stderr
                .line("interrupted: finishing the rows in flight; rerun with --resume to continue");
        }
        skipped
    }

    /// Starts one row (or records why it cannot be); false when the sync stops.
    async fn dispatch(&mut self, row: Row, stop: &mut watch::Receiver<Option<Stop>>) -> bool {
        let import = match row.import {
            Ok(import) => import,
            Err(error) => {
                let line = failed(
                    row.number,
                    row.key,
                    error,
                    Reason::BadRow,
                    Delivery::NotSent,
                );
                return self.line_tx.send(line).await.is_ok();
            }
        };
        if self.resumed.superseded.contains(row.number) {
            let error = "not sent: a later row for the same contact is already applied, and sending this earlier one now would undo it (the last row wins); import it by hand if it is still wanted".to_owned();
            let line = failed(
                row.number,
                row.key,
                error,
                Reason::Superseded,
                Delivery::NotSent,
            );
            return self.line_tx.send(line).await.is_ok();
        }
        if self.dry_run {
            let line = self.check(row.number, row.key, import);
            return self.line_tx.send(line).await.is_ok();
        }
        let turn = self.order.turn(&import.identifier, &import.body);
        // A row that must wait for an earlier row of its contact does not
        // hold one of the `--concurrency` permits while it waits (that would
        // slow unrelated rows): it holds a waiting slot, as bounded.
        let slots = if turn.is_free() {
            &self.permits
        } else {
            &self.waiting
        };
        // A row may wait long for its turn (rate limits): a stop must not wait for it.
        let slot = tokio::select! {
            slot = slots.clone().acquire_owned() => match slot {
                Ok(slot) => slot,
                Err(_) => return false,
            },
            _ = stop.wait_for(Option::is_some) => return false,
        };
        let task = ImportRow {
            client: self.client.clone(),
            pacer: self.pacer.clone(),
            merge_option: self.merge_option,
            stop_tx: self.stop_tx.clone(),
            stop: stop.clone(),
            permits: self.permits.clone(),
            line_tx: self.line_tx.clone(),
            slow: self.slow.clone(),
            stderr: self.stderr.clone(),
        };
        let ready = Ready {
            number: row.number,
            key: row.key,
            import,
        };
        tokio::spawn(task.in_turn(turn, slot, ready));
        true
    }

    /// `--dry-run`: every check the client makes before the network.
    fn check(&self, number: u64, key: String, import: RowImport) -> Line {
        let checked = import
            .import(&self.client, self.merge_option)
            .and_then(|import| import.to_request());
        match checked {
            Ok(_) => Line::done(number, key, Status::Valid, None),
            Err(error) => failed(
                number,
                key,
                error.to_string(),
                Reason::of(&error),
                Delivery::NotSent,
            ),
        }
    }
}

/// A row ready to send.
struct Ready {
    number: u64,
    key: String,
    import: RowImport,
}

/// One row's import, with what it needs to wait for its turn, pace itself,
/// stop the sync and report.
struct ImportRow {
    client: ContactsClient,
    pacer: Arc<Pacer>,
    merge_option: types::MergeOption,
    stop_tx: watch::Sender<Option<Stop>>,
    stop: watch::Receiver<Option<Stop>>,
    permits: Arc<Semaphore>,
    line_tx: mpsc::Sender<Line>,
    slow: Arc<SlowCalls>,
    stderr: Stderr,
}

impl ImportRow {
    /// Waits for the earlier rows of the contact, then for a permit (unless
    /// `slot` is one already), sends the row and queues its report line.
    async fn in_turn(self, mut turn: Turn, slot: OwnedSemaphorePermit, row: Ready) {
        let _permit = if turn.is_free() {
            slot
        } else {
            turn.wait().await;
            if self.stop.borrow().is_some() {
                // Not sent, not recorded: --resume does it.
                return;
            }
            let permit = match self.permits.clone().acquire_owned().await {
                Ok(permit) => permit,
                // The permits are never closed.
                Err(_) => return,
            };
            // No longer waiting: the slot goes to the next waiting row.
            drop(slot);
            permit
        };
        let line_tx = self.line_tx.clone();
        let line = self.run(row).await;
        // The receiver lives until every sender is gone. The line is queued
        // before the next row for this contact may start, so the report
        // records the rows of a contact in file order.
        let _ = line_tx.send(line).await;
        turn.finish();
    }

    async fn run(self, row: Ready) -> Line {
        let Ready {
            number,
            key,
            import,
        } = row;
        self.pacer.wait_turn().await;
        let result = match import.import(&self.client, self.merge_option) {
            Ok(import) => self.slow.watch(number, import.send()).await,
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
                Line::done(number, key, status, Some(imported.contact.contact_id))
            }
            Err(error) => {
                self.pacer.observe(error.rate_limit());
                if let Some(exit) = Exit::stops_a_sync(&error) {
                    self.stop(exit, &error);
                }
                let reason = Reason::of(&error);
                failed(number, key, error.to_string(), reason, error.delivery())
            }
        }
    }

    /// Stops dispatching: every further row would fail the same way.
    fn stop(&self, exit: Exit, error: &dotdigital_contacts::Error) {
        let first = self.stop_tx.send_if_modified(|stop| {
            stop.is_none()
                .then(|| *stop = Some(Stop::Fatal(exit)))
                .is_some()
        });
        if first {
            self.stderr.line(&format!(
                "error: stopping the sync: {}\nthe rows in flight finish; fix the cause and rerun with --resume",
                terminal::cut(&with_causes(error), terminal::QUOTED_CHARS)
            ));
        }
    }
}

fn failed(number: u64, key: String, error: String, reason: Reason, delivery: Delivery) -> Line {
    let delivery = delivery.as_str();
    Line {
        row: number,
        identifier: key,
        status: Status::Failed,
        contact_id: None,
        error: Some(error),
        delivery: Some(delivery.into()),
        reason: Some(reason),
    }
}
