//! What the wrapper costs per call: a `dotdigital-contacts` import against a
//! hand-written reqwest PATCH of the same body, whose answer is parsed into the
//! same generated `Contact`, and against the generated client alone.
//!
//! The server is a [`FixedServer`]: a bare hyper server on its own thread that
//! answers at once, so the figures are the clients'. The clients share one
//! single-threaded runtime on this thread, whose CPU time (user + sys, from
//! `CLOCK_THREAD_CPUTIME_ID`) is the clients' CPU time. Rounds interleave the
//! clients, in a rotating order; the table gives medians over the rounds.
//!
//! `cargo bench -p dotdigital-contacts` prints the table; the target is a
//! ratio wrapper / hand-written of at most 1.05, in wall and in CPU time, at 1
//! and at 16 calls in flight.
//!
//! To profile one client alone, name it: `cargo bench -p dotdigital-contacts
//! -- wrapper` (or `hand-written`, `generated`).

#![allow(clippy::unwrap_used, reason = "a benchmark fails by panicking")]

use std::sync::Arc;
use std::time::{Duration, Instant};

use dotdigital_capture_server::{FixedServer, Reply};
use dotdigital_contacts::{ContactsClient, Identifier, types};
use dotdigital_contacts_api::Credentials;
use nix::time::{ClockId, clock_gettime};
use serde_json::json;

const ROUNDS: usize = 12;
const CALLS_PER_ROUND: usize = 1600;
const TARGET: f64 = 1.05;
const USER: &str = "apiuser-1@apiconnector.com";
const PASSWORD: &str = "p4ssword";
const USER_AGENT: &str = "bench/1";

#[derive(Clone, Copy, PartialEq)]
enum Variant {
    HandWritten,
    Generated,
    Wrapper,
}

impl Variant {
    const ALL: [Variant; 3] = [Variant::HandWritten, Variant::Generated, Variant::Wrapper];

    fn key(self) -> &'static str {
        match self {
            Variant::HandWritten => "hand-written",
            Variant::Generated => "generated",
            Variant::Wrapper => "wrapper",
        }
    }

    fn name(self) -> &'static str {
        match self {
            Variant::HandWritten => "hand-written reqwest",
            Variant::Generated => "generated client alone",
            Variant::Wrapper => "dotdigital-contacts import",
        }
    }
}

struct Clients {
    http: reqwest::Client,
    url: String,
    generated: dotdigital_contacts_api::Client,
    generated_body: types::ImportContactRequest,
    wrapper: ContactsClient,
}

impl Clients {
    async fn call(&self, variant: Variant) {
        let contact: types::Contact = match variant {
            Variant::HandWritten => {
                let body = json!({"identifiers": {"email": "ann@example.com"},
                                  "dataFields": {"FIRSTNAME": "Ann", "POSTCODE": null}});
                let response = self
                    .http
                    .patch(&self.url)
                    .query(&[("merge-option", "overwrite")])
                    .basic_auth(USER, Some(PASSWORD))
                    .header(reqwest::header::ACCEPT, "application/json")
                    .json(&body)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(response.status(), 200);
                response.json().await.unwrap()
            }
            Variant::Generated => self
                .generated
                .import_contact()
                .identifier("email")
                .value("ann@example.com")
                .merge_option(types::MergeOption::Overwrite)
                .body(self.generated_body.clone())
                .send()
                .await
                .unwrap()
                .into_inner(),
            Variant::Wrapper => {
                self.wrapper
                    .import_contact(Identifier::email("ann@example.com"))
                    .set("FIRSTNAME", "Ann")
                    .clear("POSTCODE")
                    .send()
                    .await
                    .unwrap()
                    .contact
            }
        };
        assert_eq!(contact.contact_id, 7);
    }
}

/// CPU time (user + sys) of this thread so far, to the nanosecond
/// (`getrusage` counts in scheduler ticks, too coarse for a round).
fn thread_cpu() -> Duration {
    let now = clock_gettime(ClockId::CLOCK_THREAD_CPUTIME_ID).unwrap();
    Duration::new(now.tv_sec() as u64, now.tv_nsec() as u32)
}

/// Wall and CPU time per call of `calls` calls, `in_flight` at a time.
async fn round(
    clients: &Arc<Clients>,
    variant: Variant,
    in_flight: usize,
    calls: usize,
) -> (Duration, Duration) {
    let (cpu, start) = (thread_cpu(), Instant::now());
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..in_flight {
        let clients = clients.clone();
        workers.spawn(async move {
            for _ in 0..calls / in_flight {
                clients.call(variant).await;
            }
        });
    }
    while let Some(worker) = workers.join_next().await {
        worker.unwrap();
    }
    let per_call = |d: Duration| d / calls as u32;
    (per_call(start.elapsed()), per_call(thread_cpu() - cpu))
}

fn median(mut values: Vec<Duration>) -> Duration {
    values.sort();
    values[values.len() / 2]
}

fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

/// Runs the named clients alone, for a profiler.
async fn profile(clients: &Arc<Clients>, named: &[String]) {
    for variant in Variant::ALL
        .into_iter()
        .filter(|v| named.iter().any(|n| n == v.key()))
    {
        for in_flight in [1, 16] {
            let (wall, cpu) = round(clients, variant, in_flight, CALLS_PER_ROUND * ROUNDS).await;
            println!(
                "{} at {in_flight} in flight: {:.1} us wall, {:.1} us CPU per call",
                variant.name(),
                micros(wall),
                micros(cpu)
            );
        }
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let contact = json!({"contactId": 7, "status": "subscribed", "created": "2026-01-05T09:30:00Z", "updated": "2026-01-05T09:30:00Z",
                         "identifiers": {"email": "ann@example.com"}, "dataFields": {"FIRSTNAME": "Ann", "POSTCODE": null},
                         "channelProperties": {"email": {"status": "subscribed", "emailType": "Html", "optInType": "Single"}}});
    // Dotdigital sends its rate-limit headers with every answer.
    let server = FixedServer::start(Reply::json(200, contact).unlimited_rate());
    let base_url = server.base_url();
    let http = || {
        dotdigital_contacts_api::http_client_builder()
            .unwrap()
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(30))
            .user_agent(USER_AGENT)
            .build()
            .unwrap()
    };
    let clients = Arc::new(Clients {
        http: http(),
        url: format!("{base_url}/contacts/v3/email/ann@example.com"),
        generated: dotdigital_contacts_api::Client::new_with_client(&base_url, http(), Credentials::new(USER, PASSWORD)),
        generated_body: serde_json::from_value(json!({"identifiers": {"email": "ann@example.com"},
                                                      "dataFields": {"FIRSTNAME": "Ann", "POSTCODE": null}}))
        .unwrap(),
        wrapper: ContactsClient::builder()
            .base_url(&base_url)
            .credentials(USER, PASSWORD)
            .user_agent(USER_AGENT)
            .build()
            .unwrap(),
    });

    let named: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    if !named.is_empty() {
        return profile(&clients, &named).await;
    }
    println!(
        "| in flight | client ({ROUNDS} interleaved rounds x {CALLS_PER_ROUND} calls, medians) | wall per call | CPU per call | wall / hand-written | CPU / hand-written |"
    );
    println!("|---|---|---|---|---|---|");
    let mut verdicts = Vec::new();
    for in_flight in [1, 16] {
        // Warm every connection pool to `in_flight` connections.
        for variant in Variant::ALL {
            round(&clients, variant, in_flight, in_flight * 20).await;
        }
        let mut results = vec![(Vec::new(), Vec::new()); Variant::ALL.len()];
        for r in 0..ROUNDS {
            for i in 0..Variant::ALL.len() {
                let index = (i + r) % Variant::ALL.len();
                let (wall, cpu) =
                    round(&clients, Variant::ALL[index], in_flight, CALLS_PER_ROUND).await;
                results[index].0.push(wall);
                results[index].1.push(cpu);
            }
        }
        let medians: Vec<(Duration, Duration)> = results
            .into_iter()
            .map(|(wall, cpu)| (median(wall), median(cpu)))
            .collect();
        let (base_wall, base_cpu) = medians[0];
        for (variant, (wall, cpu)) in Variant::ALL.into_iter().zip(&medians) {
            let (wall_ratio, cpu_ratio) = (
                wall.as_secs_f64() / base_wall.as_secs_f64(),
                cpu.as_secs_f64() / base_cpu.as_secs_f64(),
            );
            let target = if variant == Variant::Wrapper {
                format!(" (target <= {TARGET})")
            } else {
                String::new()
            };
            println!(
                "| {in_flight} | {} | {:.1} us | {:.1} us | {wall_ratio:.3}{target} | {cpu_ratio:.3}{target} |",
                variant.name(),
                micros(*wall),
                micros(*cpu)
            );
            if variant == Variant::Wrapper {
                // The wrapper's own share: what it adds to the generated client.
                let (generated_wall, generated_cpu) = medians[1];
                verdicts.push((
                    in_flight,
                    wall_ratio <= TARGET && cpu_ratio <= TARGET,
                    wall.as_secs_f64() / generated_wall.as_secs_f64(),
                    cpu.as_secs_f64() / generated_cpu.as_secs_f64(),
                ));
            }
        }
    }
    println!();
    for (in_flight, met, wall, cpu) in verdicts {
        println!(
            "wrapper at {in_flight} in flight: {} (over the generated client alone: wall {wall:.3}, CPU {cpu:.3})",
            if met {
                "meets the target"
            } else {
                "misses the target"
            }
        );
    }
}
