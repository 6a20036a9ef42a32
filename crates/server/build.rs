//! Embeds `web/` into the binary: every file becomes a static byte slice with its content hash
//! (the ETag), and the whole tree gets one build hash that names the asset URL prefix, so
//! browsers may cache assets for a year and still never run a stale mix of old and new files.

use sha2::{Digest, Sha256};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let web = manifest.join("../../web");
    println!("cargo:rerun-if-changed={}", web.display());
    let mut files = Vec::new();
    collect(&web, &web, &mut files);
    files.sort();
    let mut tree = Sha256::new();
    let mut table = String::from("&[\n");
    for rel in &files {
        let abs = web.join(rel);
        let bytes = std::fs::read(&abs).unwrap_or_else(|e| panic!("cannot read {}: {e}", abs.display()));
        let hash = hex(&Sha256::digest(&bytes));
        tree.update(rel.as_bytes());
        tree.update(hash.as_bytes());
        let _ = writeln!(
            table,
            "    EmbeddedFile {{ path: {rel:?}, etag: \"\\\"{}\\\"\", bytes: include_bytes!({:?}) }},",
            &hash[..20],
            abs.canonicalize().unwrap_or(abs.clone()).display().to_string()
        );
    }
    table.push(']');
    let build_hash = &hex(&tree.finalize())[..12];
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("web_assets.rs");
    let code = format!(
        "/// Hash of every embedded file and its name: the asset URL prefix.\n\
         pub const BUILD_HASH: &str = {build_hash:?};\n\
         /// Every file under `web/`, sorted by path.\n\
         pub static FILES: &[EmbeddedFile] = {table};\n"
    );
    std::fs::write(&out, code).unwrap_or_else(|e| panic!("cannot write {}: {e}", out.display()));
}

fn collect(root: &Path, dir: &Path, out: &mut Vec<String>) {
    let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()));
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') {
            continue;
        }
        if path.is_dir() {
            collect(root, &path, out);
        } else if let Ok(rel) = path.strip_prefix(root) {
            out.push(rel.to_string_lossy().replace('\\', "/"));
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}
