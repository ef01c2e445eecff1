use std::process::ExitCode;

fn main() -> ExitCode {
    polyzone::cli::main()
}

// mimalloc: faster small allocations than glibc's malloc, and cheap frees
// of memory allocated on another thread (the zone loader's pipeline).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
