//! Rows that name the same contact are applied in file order, so the last
//! row wins as in a sequential import; rows for different contacts still run
//! concurrently.
//!
//! The dispatcher (one task, file order) gives every row a [`Turn`]: the
//! rows in flight that share one of its contact keys, which it waits for
//! before sending, and a signal its own successors wait for. A row that
//! waits holds a waiting slot, not a concurrency permit (rows of other
//! contacts keep every permit), and takes a permit once its turn comes;
//! waiting rows are bounded by their slots. No cycle: a row only waits for
//! rows dispatched before it, and a permit holder waits for nothing.

use std::collections::HashMap;
use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;

use dotdigital_contacts::Identifier;
use dotdigital_contacts::types;
use tokio::sync::watch;

/// The rows in flight by contact key.
pub struct ContactOrder {
    /// Key → a receiver that closes when the last row dispatched with that
    /// key has finished.
    last: HashMap<u64, watch::Receiver<()>>,
    hasher: RandomState,
    /// Finished entries are swept when the map grows past this.
    sweep_at: usize,
}

/// One row's place in its contacts' order.
pub struct Turn {
    after: Vec<watch::Receiver<()>>,
    /// Dropped when the row is finished (and its report line queued).
    done: watch::Sender<()>,
}

impl Turn {
    /// Whether no earlier row of the contact is in flight.
    pub fn is_free(&self) -> bool {
        self.after.is_empty()
    }

    /// Waits until every earlier row for the same contact has finished.
    pub async fn wait(&mut self) {
        for previous in &mut self.after {
            // `changed` fails once the sender is dropped: the row finished.
            while previous.changed().await.is_ok() {}
        }
        self.after.clear();
    }

    /// Lets the later rows for the same contacts go.
    pub fn finish(self) {
        drop(self.done);
    }
}

impl ContactOrder {
    pub fn new(concurrency: usize) -> Self {
        ContactOrder {
            last: HashMap::new(),
            hasher: RandomState::new(),
            // Each row in flight has at most a few keys; sweeping at 4 per
            // permit keeps the map small and the sweeps rare.
            sweep_at: concurrency * 4 + 64,
        }
    }

    /// The turn of the next row in file order.
    pub fn turn(&mut self, identifier: &Identifier, body: &types::ImportContactRequest) -> Turn {
        let (done, receiver) = watch::channel(());
        let mut after = Vec::new();
        for key in contact_keys(identifier, body) {
            let key = self.hasher.hash_one(key);
            if let Some(previous) = self.last.insert(key, receiver.clone())
                && previous.has_changed().is_ok()
            {
                after.push(previous);
            }
        }
        if self.last.len() > self.sweep_at {
            self.last.retain(|_, r| r.has_changed().is_ok());
            self.sweep_at = self.sweep_at.max(self.last.len() * 2);
        }
        Turn { after, done }
    }
}

/// What a contact is known by, in a row: the lookup identifier, and the
/// email, mobile number and custom identifiers of the body. Emails compare
/// case-insensitively and mobile numbers without `+`: two rows wrongly taken
/// for one contact only wait for each other, never the reverse.
fn contact_keys(
    identifier: &Identifier,
    body: &types::ImportContactRequest,
) -> Vec<(u8, String, String)> {
    let email = |value: &str| (0, String::new(), value.to_lowercase());
    let mobile = |value: &str| (1, String::new(), value.trim_start_matches('+').to_owned());
    let mut keys = vec![match identifier {
        Identifier::Email(value) => email(value),
        Identifier::MobileNumber(value) => mobile(value),
        Identifier::ContactId(id) => (2, String::new(), id.to_string()),
        Identifier::Custom { name, value } => (3, name.clone(), value.clone()),
    }];
    if let Some(identifiers) = &body.identifiers {
        keys.extend(identifiers.email.as_deref().map(|v| email(v)));
        keys.extend(identifiers.mobile_number.as_deref().map(|v| mobile(v)));
        keys.extend(
            identifiers
                .extra
                .iter()
                .map(|(name, value)| (3, name.clone(), value.clone())),
        );
    }
    keys.sort_unstable();
    keys.dedup();
    keys
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(json: serde_json::Value) -> types::ImportContactRequest {
        serde_json::from_value(json).unwrap_or_default()
    }

    #[tokio::test]
    async fn a_row_waits_for_the_earlier_rows_of_its_contact_only() {
        let mut order = ContactOrder::new(4);
        let empty = body(serde_json::json!({}));
        let first = order.turn(&Identifier::email("Ann@example.com"), &empty);
        let other = order.turn(&Identifier::email("bob@example.com"), &empty);
        // Same contact by its email in the body, under another lookup.
        let by_body = body(serde_json::json!({"identifiers": {"email": "ann@example.com"}}));
        let mut second = order.turn(&Identifier::custom("crmId", "A-1"), &by_body);
        assert_eq!(second.after.len(), 1, "it waits for the first row");
        assert!(other.after.is_empty() && first.after.is_empty());
        let mut third = order.turn(&Identifier::custom("crmId", "A-1"), &empty);
        assert_eq!(third.after.len(), 1, "only for the row right before it");

        let waiting = tokio::spawn(async move {
            second.wait().await;
            second
        });
        tokio::task::yield_now().await;
        assert!(!waiting.is_finished());
        first.finish();
        let second = waiting.await.unwrap_or_else(|e| panic!("{e}"));
        second.finish();
        third.wait().await;
        other.finish();
    }

    #[test]
    fn finished_rows_are_swept() {
        let mut order = ContactOrder::new(1);
        let empty = body(serde_json::json!({}));
        for i in 0..10_000 {
            order
                .turn(&Identifier::email(format!("c{i}@example.com")), &empty)
                .finish();
        }
        assert!(order.last.len() <= 200, "{}", order.last.len());
    }
}
