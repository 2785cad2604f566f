//! Contacts in memory, with an index per identifier. Binned contacts stay in
//! the indexes: an identifier stays unique across the account and its
//! recycle bin, so restoring a contact can never clash.
//!
//! Ids are dense (1, 2, 3…; contacts are binned, never removed), so contacts
//! live in a `Vec` at `id - 1`: half the memory of a map at a million contacts.

use std::collections::HashMap;

use crate::contact::Contact;
use crate::identifier::Identifier;

/// All contacts of the account.
#[derive(Debug, Default)]
pub(crate) struct Store {
    /// The contact with id `n` is at `n - 1`.
    contacts: Vec<Contact>,
    by_email: HashMap<String, u64>,
    by_mobile_number: HashMap<String, u64>,
    /// Key: `name` NUL `value`.
    by_custom: HashMap<String, u64>,
}

/// Who already holds an identifier value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Clash {
    pub identifier: String,
    pub value: String,
}

impl Store {
    pub fn get(&self, id: u64) -> Option<&Contact> {
        let index = usize::try_from(id.checked_sub(1)?).ok()?;
        self.contacts.get(index)
    }

    /// The contact (active or binned) holding `value` for `identifier`;
    /// `value` is in stored form.
    pub fn find(&self, identifier: &Identifier, value: &str) -> Option<&Contact> {
        let id = match identifier {
            Identifier::ContactId => return value.parse().ok().and_then(|id| self.get(id)),
            Identifier::Email => self.by_email.get(&value.to_lowercase()).copied(),
            Identifier::MobileNumber => self.by_mobile_number.get(value).copied(),
            Identifier::Other(name) => self.by_custom.get(&custom_key(name, value)).copied(),
        }?;
        self.get(id)
    }

    /// The id the next new contact gets; taken only when [`Store::put`] stores it,
    /// so a failing create leaves no gap.
    pub fn fresh_id(&self) -> u64 {
        self.contacts.len() as u64 + 1
    }

    /// The first identifier of `contact` that another contact already holds.
    pub fn clash(&self, contact: &Contact) -> Option<Clash> {
        let taken = |identifier: &Identifier, value: &str| {
            self.find(identifier, value)
                .is_some_and(|owner| owner.id != contact.id)
                .then(|| Clash {
                    identifier: identifier.name().to_owned(),
                    value: value.to_owned(),
                })
        };
        contact
            .email
            .as_deref()
            .and_then(|email| taken(&Identifier::Email, email))
            .or_else(|| {
                contact
                    .mobile_number
                    .as_deref()
                    .and_then(|mobile| taken(&Identifier::MobileNumber, mobile))
            })
            .or_else(|| {
                contact
                    .more()
                    .custom
                    .iter()
                    .find_map(|(name, value)| taken(&Identifier::Other(name.clone()), value))
            })
    }

    /// Stores `contact` (a changed copy, or a new one with [`Store::fresh_id`]),
    /// keeping the indexes exact. The caller has checked [`Store::clash`].
    pub fn put(&mut self, mut contact: Contact) {
        // A million contacts: spare capacity from pushes adds up.
        contact.data_fields.shrink_to_fit();
        let index = usize::try_from(contact.id.saturating_sub(1)).unwrap_or(usize::MAX);
        let old = match self.contacts.get_mut(index) {
            Some(slot) => Some(std::mem::replace(slot, contact)),
            None => {
                self.contacts.push(contact);
                None
            }
        };
        if let Some(old) = old {
            self.unindex(&old);
        }
        let Some(contact) = self.contacts.get(index).or(self.contacts.last()) else {
            return;
        };
        if let Some(email) = &contact.email {
            self.by_email.insert(email.to_lowercase(), contact.id);
        }
        if let Some(mobile) = &contact.mobile_number {
            self.by_mobile_number.insert(mobile.clone(), contact.id);
        }
        for (name, value) in &contact.more().custom {
            self.by_custom.insert(custom_key(name, value), contact.id);
        }
    }

    fn unindex(&mut self, contact: &Contact) {
        if let Some(email) = &contact.email {
            self.by_email.remove(&email.to_lowercase());
        }
        if let Some(mobile) = &contact.mobile_number {
            self.by_mobile_number.remove(mobile);
        }
        for (name, value) in &contact.more().custom {
            self.by_custom.remove(&custom_key(name, value));
        }
    }

    /// Number of (active, binned) contacts.
    pub fn counts(&self) -> (usize, usize) {
        let binned = self.contacts.iter().filter(|c| c.binned).count();
        (self.contacts.len() - binned, binned)
    }

    /// Forgets every contact; ids start again from 1.
    pub fn clear(&mut self) {
        *self = Self::default();
    }
}

fn custom_key(name: &str, value: &str) -> String {
    format!("{name}\0{value}")
}
