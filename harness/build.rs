//! Links the `fauxauth` binary as a position-dependent executable on Linux.
//!
//! A position-independent executable is relocated by the dynamic loader at every start: the
//! binary carries about 41,000 relative relocations (vtables, `&'static str` tables of the
//! dependencies), so the loader reads a 1 MB relocation table and writes 0.7 MB of pointers,
//! which become private memory in every process. Linked at a fixed address, there is nothing to
//! relocate: idle resident memory of `fauxauth provider` drops by 1.3 MiB (10.6 to 9.3 MiB,
//! `VmRSS` as `fauxauth-bench` reads it), and start-up does less work.
//!
//! What is given up is the randomized address of the executable's own code and statics (shared
//! libraries, heap and stacks stay randomized). fauxauth is a test double that listens on
//! loopback by default and holds only test credentials, so that hardening buys it little.
//!
//! Only this binary is linked differently (the tests that run `fauxauth` run it too); libraries,
//! test executables and other binaries keep the target's default. It is set here rather than as a
//! `-C relocation-model=static` rustflag in `.cargo/config.toml`, which would recompile every
//! crate of every build differently and which `cargo install` from a registry never reads. A
//! statically linked build (`+crt-static`, the container image) is left as it is here:
//! `image/build.sh` gives it `-C relocation-model=static`, so it is linked `-static` at a fixed
//! address for the same reasons.
//!
//! It also embeds the scenario library (`scenarios/`), so that `fauxauth run` and `fauxauth test`
//! work from `cargo install` and the container image, far from a checkout: every `.yaml` file,
//! with its path, goes into `$OUT_DIR/library.deflate`, one deflated stream the binary includes
//! and inflates when a run needs it (`scenario::load::built_in`), and the build runs again when any
//! of them changes or one is added.

use std::path::{Path, PathBuf};

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    embed_library();
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let features = std::env::var("CARGO_CFG_TARGET_FEATURE").unwrap_or_default();
    let crt_static = features.split(',').any(|feature| feature == "crt-static");
    if os == "linux" && !crt_static {
        // The compiler driver (`cc`) links; its last `-pie` / `-no-pie` wins, and link
        // arguments come after the ones rustc chooses.
        println!("cargo::rustc-link-arg-bin=fauxauth=-no-pie");
    }
}

/// Writes `library.deflate`: for every scenario file, sorted, its path relative to the repository
/// (`scenarios/code/replayed-code.yaml`) and its text, each as a 4-byte little-endian length and the
/// bytes; deflated at the highest level.
fn embed_library() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let root = manifest.join("..");
    let library = root.join("scenarios");
    println!("cargo::rerun-if-changed={}", library.display());
    let mut files = Vec::new();
    walk(&library, &mut files);
    files.sort();
    let mut raw = Vec::new();
    for file in files {
        // Directories are watched by their contents' times: a changed or added file reruns this.
        println!("cargo::rerun-if-changed={}", file.display());
        let relative = file
            .strip_prefix(&root)
            .expect("under the repository")
            .to_string_lossy()
            .replace('\\', "/");
        let text = std::fs::read(&file).expect("a scenario file is readable");
        for part in [relative.as_bytes(), &text] {
            let len = u32::try_from(part.len()).expect("a scenario file under 4 GiB");
            raw.extend_from_slice(&len.to_le_bytes());
            raw.extend_from_slice(part);
        }
    }
    let deflated = miniz_oxide::deflate::compress_to_vec(&raw, 10);
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets it"));
    std::fs::write(out.join("library.deflate"), deflated).expect("OUT_DIR is writable");
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            println!("cargo::rerun-if-changed={}", path.display());
            walk(&path, out);
        } else if path.extension().is_some_and(|e| e == "yaml") {
            out.push(path);
        }
    }
}
