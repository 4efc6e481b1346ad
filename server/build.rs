//! Builds the web pages (`web/`: the fan page and the admin console) so the binary
//! can embed them: `npm ci` when `node_modules` is missing or older than the
//! lockfile, then `node build.mjs --outdir $OUT_DIR/web`. Node.js and npm are the
//! only tools this needs; without them the build stops and says what to install.
//! `FLOODGATE_WEB_PREBUILT=<dir>` embeds an already built folder instead (for
//! packaging where the pages were built in an earlier step).

use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let web = manifest.join("../web");
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("set by cargo")).join("web");
    println!("cargo:rerun-if-env-changed=FLOODGATE_WEB_PREBUILT");
    if let Ok(prebuilt) = std::env::var("FLOODGATE_WEB_PREBUILT") {
        copy_dir(Path::new(&prebuilt), &out);
        println!("cargo:rerun-if-changed={prebuilt}");
        return;
    }
    for watched in ["src", "build.mjs", "package.json", "package-lock.json"] {
        println!("cargo:rerun-if-changed={}", web.join(watched).display());
    }
    if !tool_works("node") || !tool_works("npm") {
        fail(
            "Floodgate's web pages are built with Node.js (18 or newer) and npm, which were not found.\n\
             On Debian or Ubuntu run:   sudo apt-get install -y nodejs npm\n\
             then run the same cargo command again.",
        );
    }
    if needs_install(&web) {
        run(
            Command::new("npm")
                .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
                .current_dir(&web),
            "npm ci (installing the web pages' dependencies from web/package-lock.json)",
        );
    }
    run(
        Command::new("node")
            .arg("build.mjs")
            .arg("--outdir")
            .arg(&out)
            .current_dir(&web),
        "node build.mjs (bundling the web pages)",
    );
}

/// `node_modules` is missing, or older than the lockfile npm last installed from.
fn needs_install(web: &Path) -> bool {
    let modified = |p: PathBuf| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    match (
        modified(web.join("node_modules/.package-lock.json")),
        modified(web.join("package-lock.json")),
    ) {
        (Some(installed), Some(lock)) => installed < lock,
        _ => true,
    }
}

fn tool_works(name: &str) -> bool {
    Command::new(name)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

fn run(command: &mut Command, what: &str) {
    match command.status() {
        Ok(status) if status.success() => {}
        Ok(status) => fail(&format!("{what} failed ({status}); see the output above")),
        Err(e) => fail(&format!("{what} could not start: {e}")),
    }
}

fn copy_dir(from: &Path, to: &Path) {
    let _ = std::fs::remove_dir_all(to);
    std::fs::create_dir_all(to)
        .unwrap_or_else(|e| fail(&format!("creating {}: {e}", to.display())));
    let entries = std::fs::read_dir(from)
        .unwrap_or_else(|e| fail(&format!("FLOODGATE_WEB_PREBUILT {}: {e}", from.display())));
    for entry in entries.flatten() {
        let (src, dst) = (entry.path(), to.join(entry.file_name()));
        if src.is_dir() {
            copy_dir(&src, &dst);
        } else if let Err(e) = std::fs::copy(&src, &dst) {
            fail(&format!("copying {}: {e}", src.display()));
        }
    }
}

fn fail(message: &str) -> ! {
    eprintln!("\nerror: {message}\n");
    std::process::exit(1);
}
