//! Detects the instruction-count bench runner: `benches/instructions.rs` runs only
//! when `gungraun-runner` and `valgrind` are on PATH at build time (otherwise it
//! prints how to install them and exits successfully, so `cargo bench -p kernels`
//! still works).
fn main() {
    println!("cargo::rustc-check-cfg=cfg(gungraun_runner)");
    println!("cargo::rerun-if-env-changed=PATH");
    println!("cargo::rerun-if-env-changed=GUNGRAUN_RUNNER");
    let on_path = |name: &str| {
        std::env::var_os("PATH")
            .is_some_and(|p| std::env::split_paths(&p).any(|d| d.join(name).is_file()))
    };
    let runner = std::env::var_os("GUNGRAUN_RUNNER").is_some() || on_path("gungraun-runner");
    if runner && on_path("valgrind") {
        println!("cargo::rustc-cfg=gungraun_runner");
    }
}
