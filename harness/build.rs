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
//! statically linked build (`+crt-static`, the container image) is left as it is: it is linked
//! `-static-pie` and relocates itself.

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let features = std::env::var("CARGO_CFG_TARGET_FEATURE").unwrap_or_default();
    let crt_static = features.split(',').any(|feature| feature == "crt-static");
    if os == "linux" && !crt_static {
        // The compiler driver (`cc`) links; its last `-pie` / `-no-pie` wins, and link
        // arguments come after the ones rustc chooses.
        println!("cargo::rustc-link-arg-bin=fauxauth=-no-pie");
    }
}
