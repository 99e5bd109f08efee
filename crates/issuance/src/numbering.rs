//! Document numbers without gaps (ADR 0017). A number (高知県指令第N号) is printed and signed before the document
//! is registered, yet only a registered document may use one up. So the number is consumed in the transaction
//! that registers the document (`store::consume_number`, which also catches other server processes), and
//! within this process issues of a template draw numbers in order and register in that order:
//!
//! - [`Numbers::reserve`] hands out the template's next number — the database's when nothing is in flight,
//!   else the one after the last handed out — so several documents render, sign and get their timestamps at
//!   the same time;
//! - [`Ticket::my_turn`] waits until every lower number handed out here is registered or given up;
//! - a ticket dropped without [`Ticket::registered`] (the issue failed, or was cancelled) gives its number up:
//!   the next reservation reads the database again, and documents already made with higher numbers fail to
//!   register and are made again — nothing is registered past a gap.

use madoguchi_kernel::{AppError, Db};
use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex, OnceLock};

/// The numbering state of one template in this process.
#[derive(Debug, Default)]
struct Sequence {
    /// The next number to hand out while others are in flight, and its format; `None`: read the database.
    next: Option<(i64, String)>,
    /// Numbers handed out and not yet registered or given up.
    open: BTreeSet<i64>,
}

#[derive(Debug)]
struct Template {
    id: i64,
    seq: Mutex<Sequence>,
    /// One reservation at a time (it may read the database).
    reserving: tokio::sync::Mutex<()>,
    /// Bumped whenever a number is registered or given up.
    resolved: tokio::sync::watch::Sender<u64>,
}

/// The numbering of every template of one database in this process.
#[derive(Debug, Clone, Default)]
pub struct Numbers {
    templates: Arc<Mutex<HashMap<i64, Arc<Template>>>>,
}

impl Numbers {
    /// The numbering shared by every state of this process on a database (the routes and the job runner each
    /// have a state).
    pub fn of_database(database_url: &str) -> Numbers {
        static ALL: OnceLock<Mutex<HashMap<String, Numbers>>> = OnceLock::new();
        let mut all = ALL
            .get_or_init(Default::default)
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        all.entry(database_url.to_string()).or_default().clone()
    }

    fn template(&self, id: i64) -> Arc<Template> {
        self.templates
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(id)
            .or_insert_with(|| {
                Arc::new(Template {
                    id,
                    seq: Mutex::default(),
                    reserving: tokio::sync::Mutex::new(()),
                    resolved: tokio::sync::watch::Sender::new(0),
                })
            })
            .clone()
    }

    /// Hands out the next number of a template for a document about to be made.
    pub async fn reserve(&self, db: &Db, template_id: i64) -> Result<Ticket, AppError> {
        let t = self.template(template_id);
        let _one_at_a_time = t.reserving.lock().await;
        let in_flight = {
            let s = t.seq.lock().unwrap_or_else(|e| e.into_inner());
            s.next.clone().filter(|_| !s.open.is_empty())
        };
        let (mut n, format) = match in_flight {
            Some(next) => next,
            None => crate::store::current_numbering(db, template_id).await?,
        };
        let mut s = t.seq.lock().unwrap_or_else(|e| e.into_inner());
        while s.open.contains(&n) {
            n += 1;
        }
        s.open.insert(n);
        s.next = Some((n + 1, format.clone()));
        drop(s);
        Ok(Ticket {
            template: t.clone(),
            n,
            format,
            registered: false,
        })
    }
}

/// A number handed out for one document: given up when dropped unless [`Ticket::registered`] was called.
#[derive(Debug)]
pub struct Ticket {
    template: Arc<Template>,
    /// The number to print.
    pub n: i64,
    /// The format to print it with (`高知県指令第{n}号`).
    pub format: String,
    registered: bool,
}

impl Ticket {
    /// The document number as printed.
    pub fn number(&self) -> String {
        self.format.replace("{n}", &self.n.to_string())
    }

    /// Waits until every lower number handed out in this process is registered or given up.
    pub async fn my_turn(&self) {
        let mut changes = self.template.resolved.subscribe();
        loop {
            {
                let s = self.template.seq.lock().unwrap_or_else(|e| e.into_inner());
                if s.open.first().is_none_or(|lowest| *lowest >= self.n) {
                    return;
                }
            }
            if changes.changed().await.is_err() {
                return;
            }
        }
    }

    /// The document with this number is registered.
    pub fn registered(mut self) {
        self.registered = true;
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        let mut s = self.template.seq.lock().unwrap_or_else(|e| e.into_inner());
        s.open.remove(&self.n);
        if !self.registered {
            // The number stays free: the next reservation reads the database, so it is used next.
            s.next = None;
            tracing::debug!(
                template = self.template.id,
                n = self.n,
                "document number given up"
            );
        }
        drop(s);
        self.template.resolved.send_modify(|v| *v += 1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ticket(t: &Arc<Template>, n: i64) -> Ticket {
        t.seq.lock().unwrap().open.insert(n);
        t.seq.lock().unwrap().next = Some((n + 1, "第{n}号".into()));
        Ticket {
            template: t.clone(),
            n,
            format: "第{n}号".into(),
            registered: false,
        }
    }

    #[tokio::test]
    async fn a_number_waits_for_the_lower_ones_and_a_given_up_one_is_read_again() {
        let numbers = Numbers::default();
        let t = numbers.template(1);
        let (a, b) = (ticket(&t, 7), ticket(&t, 8));
        assert_eq!(b.number(), "第8号");
        // 8 waits while 7 is in flight.
        let waiting = tokio::spawn(async move {
            b.my_turn().await;
            b
        });
        tokio::task::yield_now().await;
        assert!(!waiting.is_finished());
        a.registered();
        let b = waiting.await.unwrap();
        assert_eq!(t.seq.lock().unwrap().next, Some((9, "第{n}号".into())));
        // 8 fails: nothing is handed out from memory any more.
        drop(b);
        let s = t.seq.lock().unwrap();
        assert!(s.open.is_empty() && s.next.is_none());
    }
}
