//! Publishing diagnostics in order, and never for an outdated text.
//!
//! Handlers run concurrently, and `publishDiagnostics` is an async send, so
//! two handlers could otherwise interleave and publish the diagnostics of
//! version 4 after those of version 5. Instead, every result goes through one
//! queue into one task:
//!
//! - a handler enqueues a result only while holding the document store's lock
//!   and only if its revision (opening and version) is still the document's
//!   current one, so the queue holds each document's results in order;
//! - the task checks the revision again just before sending and drops results
//!   the document has moved past (during a burst of edits only the latest
//!   result goes out, and nothing of a closed document's old text does).

use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::mpsc;
use tower_lsp_server::lsp_types::{Diagnostic, Uri};
use tower_lsp_server::Client;

use crate::documents::{DocumentStore, Revision};

/// Something to send to the client.
#[derive(Debug)]
pub enum Job {
    /// The diagnostics of `uri` at `revision`, sent only if that is still
    /// the document's revision.
    Publish {
        uri: Uri,
        revision: Revision,
        diagnostics: Vec<Diagnostic>,
    },
    /// Clears the diagnostics of a closed document.
    Clear { uri: Uri },
}

/// The sending half of the queue. Sending never awaits, so a handler can
/// enqueue while it holds the store's lock.
#[derive(Clone, Debug)]
pub struct Publisher {
    jobs: mpsc::UnboundedSender<Job>,
}

impl Publisher {
    /// Starts the publishing task on the current tokio runtime.
    pub fn spawn(client: Client, documents: Arc<Mutex<DocumentStore>>) -> Publisher {
        let (jobs, mut queue) = mpsc::unbounded_channel::<Job>();
        tokio::spawn(async move {
            while let Some(job) = queue.recv().await {
                match job {
                    Job::Publish {
                        uri,
                        revision,
                        diagnostics,
                    } => {
                        if !lock(&documents).is_current(&uri, revision) {
                            continue;
                        }
                        client
                            .publish_diagnostics(uri, diagnostics, Some(revision.version))
                            .await;
                    }
                    Job::Clear { uri } => client.publish_diagnostics(uri, Vec::new(), None).await,
                }
            }
        });
        Publisher { jobs }
    }

    /// Queues a job. Fails only when the task is gone (the server is exiting).
    pub fn send(&self, job: Job) {
        let _ = self.jobs.send(job);
    }
}

/// Locks the store. A panic while the lock was held (a bug) must not make
/// every later request fail, so a poisoned lock is simply taken over: the
/// store's invariants hold between statements.
pub fn lock(documents: &Mutex<DocumentStore>) -> MutexGuard<'_, DocumentStore> {
    documents
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
